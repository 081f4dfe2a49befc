using System;
using System.IO;
using ModelDsl.Examples.DateTranslator;
using ModelDsl.Examples.Reverse;

namespace ModelDsl.Onnx.Tests;

/// <summary>The constants Models/ExampleConstants.cs supplies to the linked example models equal the examples' own.</summary>
public sealed class ExampleConstantsTests
{
    [Fact]
    public void ConstantsMatchTheExamplesSources()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ModelDsl.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("ModelDsl.sln not found above " + AppContext.BaseDirectory);
        }

        Assert.Contains("public const int TargetLength = " + DateDataset.TargetLength + ";", Read(root, "examples/DateTranslator/DateDataset.cs"), StringComparison.Ordinal);
        string reverseData = Read(root, "examples/Reverse/ReverseData.cs");
        Assert.Contains("public const int MaxLength = " + ReverseData.MaxLength + ";", reverseData, StringComparison.Ordinal);
        Assert.Contains("public const int Vocab = " + ReverseData.Vocab + ";", reverseData, StringComparison.Ordinal);
    }

    private static string Read(string root, string path) => File.ReadAllText(Path.Combine(root, path));
}
