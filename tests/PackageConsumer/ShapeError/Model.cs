using ModelDsl;

// The build of this project must fail with MDSL1002 at the Heads argument below (line 12, column 56)
// and no other error.
[Model(MaxBatch = 8)]
public partial class BadHeads
{
    public const int Vocab = 16, D = 64, Length = 8;

    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [TransformerEncoder(Layers = 1, FeedForward = 128, Heads = 5)] public partial EncoderStack Encoder { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
}

public static class Program
{
    public static void Main() => System.Console.WriteLine("never built");
}
