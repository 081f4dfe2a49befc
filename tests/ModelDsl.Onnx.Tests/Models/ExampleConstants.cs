// The constants the linked example models read from their examples' data classes, which this project does not compile
// (they pull in the whole example program). ExampleConstantsTests checks each against the example's source.
namespace ModelDsl.Examples.DateTranslator
{
    internal static class DateDataset
    {
        public const int TargetLength = 10;
    }
}

namespace ModelDsl.Examples.Reverse
{
    internal static class ReverseData
    {
        public const int MaxLength = 12;

        public const int Vocab = 39;
    }
}
