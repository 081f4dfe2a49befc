using System.Linq;
using System.Text.RegularExpressions;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>Generated files for representative models, compared with the reviewed snapshots in <c>_snapshots/</c>.</summary>
public sealed class SnapshotTests
{
    [Fact]
    public void SentimentClassifier() => Check(TestModels.Sentiment);

    [Fact]
    public void DecoderOnlyGpt() => Check(TestModels.Gpt);

    [Fact]
    public void EncoderDecoderSeq2Seq() => Check(TestModels.Seq2Seq);

    [Fact]
    public void GruBahdanauSeq2Seq() => Check(TestModels.GruBahdanau);

    /// <summary>
    /// The examples' model declarations exactly as they are in examples/ (read from the repository), with stubs for the
    /// example-side constants they use (appended in the example's file-scoped namespace): a change to an example's
    /// model shows up here as a snapshot change.
    /// </summary>
    [Theory]
    [InlineData("examples/Sentiment/SentimentModel.cs", "")]
    [InlineData("examples/TinyGpt/CharacterModel.cs", "")]
    [InlineData("examples/DateTranslator/DateModel.cs", "public static class DateDataset { public const int TargetLength = 10; }")]
    [InlineData("examples/Vision/DigitCnn.cs", "")]
    [InlineData("examples/Reverse/ReverseModel.cs", "public static class ReverseData { public const int MaxLength = 12; public const int Vocab = 39; }")]
    public void Example(string path, string stubs)
    {
        string source = System.IO.File.ReadAllText(System.IO.Path.Combine(DiagnosticTests.RepositoryRoot(), path));
        Check("using ModelDsl;\n" + source + "\n" + stubs + "\n", test: "Example" + System.IO.Path.GetFileNameWithoutExtension(path));
    }

    [Fact]
    public void FeatureRegressor() => Check(TestModels.Regressor); // dense feature input, BatchNorm, per-row MSE

    [Fact]
    public void ImageClassifier() => Check(VisionTests.Cnn); // image input, Conv2d (padding, dilation, groups), max/avg pooling, flatten, Dense

    [Fact]
    public void VisionTransformer() => Check(VisionTests.Vit); // image input, PatchEmbedding (class token, positions), pre-norm encoder, first-token pool

    [Fact]
    public void FeatureSequenceTagger() => Check(TestModels.SequenceRegressor); // feature sequences, standalone attention, BatchNorm and MSE over valid positions

    [Fact]
    public void SequenceDistillation() => Check(TestModels.SequenceDistillation); // [KLDivergenceLoss] over the valid positions (issue 19)

    [Fact]
    public void TwoHeadModel() => Check(TestModels.TwoHeadBert, "MDSL0021"); // two heads, two weighted losses: per-loss Batch members and values (issue 19)

    /// <summary>A model with errors: the diagnostics snapshot (.verified.txt) and the throwing property stubs.</summary>
    [Fact]
    public void ModelWithErrors()
    {
        string source = TestModels.Sentiment
            .Replace("Heads = Heads", "Heads = 5", System.StringComparison.Ordinal)
            .Replace("[MeanPool] public partial Pool Pool { get; }", "[MeanPool(From = \"Missing\")] public partial Pool Pool { get; }", System.StringComparison.Ordinal);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Assert.Equal(["MDSL1002", "MDSL0007"], outcome.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Empty(outcome.CompilationErrors()); // the stubs implement every layer property
        Assert.Empty(outcome.GeneratedFileProblems());
        Snapshot.Verify(outcome, nameof(SnapshotTests));
        AssertReadableLines(outcome);
    }

    private static void Check(string source, string? expectedWarning = null, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        string[] expected = expectedWarning is null ? [] : [expectedWarning];
        Assert.Equal(expected, outcome.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Empty(outcome.CompilationErrors());
        Assert.Empty(outcome.GeneratedFileProblems());
        Snapshot.Verify(outcome, nameof(SnapshotTests), test);
        AssertReadableLines(outcome);
        AssertOneActivationPlan(outcome);
    }

    /// <summary>
    /// One activation plan (issue 16): the model's <c>ActivationBlockLength</c> is the trainer's <c>ArenaLength</c>, and every
    /// <c>ActivationTable</c> entry is a trainer <c>Arena</c> constant at the same offset, and the other way round.
    /// </summary>
    private static void AssertOneActivationPlan(GeneratorOutcome outcome)
    {
        string[] parts = [".Trainer.g.cs", ".Batch.g.cs", ".Decoder.g.cs", ".Diagram.g.cs", ".PyTorch.g.cs"];
        string model = outcome.Sources.Single(s => !parts.Any(part => s.HintName.EndsWith(part, System.StringComparison.Ordinal))).SourceText.ToString();
        string trainer = outcome.Sources.Single(s => s.HintName.EndsWith(".Trainer.g.cs", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.Equal(
            Regex.Match(model, @"public const int ActivationBlockLength = (\d+);").Groups[1].Value,
            Regex.Match(trainer, @"public const int ArenaLength = (\d+);").Groups[1].Value);
        string activationTable = model.Substring(model.IndexOf("__activationTable =", System.StringComparison.Ordinal));
        activationTable = activationTable.Substring(0, activationTable.IndexOf("};", System.StringComparison.Ordinal));
        var table = Regex.Matches(activationTable, @"new\(""([^""]+)"", (\d+), \d+, [\d, ]+\), //")
            .Select(m => (Name: Regex.Replace(m.Groups[1].Value, "[^A-Za-z0-9_]", "_"), Offset: int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(entry => entry.Offset)
            .ToList();
        var arena = Regex.Matches(trainer, @"public const int @?(\w+) = (\d+); // ")
            .Select(m => (Name: m.Groups[1].Value, Offset: int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(entry => entry.Offset)
            .ToList();
        Assert.NotEmpty(table);
        Assert.Equal(table.Select(entry => entry.Offset), arena.Select(entry => entry.Offset));
        for (int i = 0; i < table.Count; i++)
        {
            Assert.True(arena[i].Name == table[i].Name || arena[i].Name.StartsWith(table[i].Name + "_", System.StringComparison.Ordinal), arena[i].Name + " vs " + table[i].Name);
        }
    }

    /// <summary>The longest line a generated file may have (issue 16: the trainer once had lines of 492 characters).</summary>
    internal const int MaxGeneratedLineLength = 160;

    /// <summary>Every line of every generated file of a snapshot model is at most <see cref="MaxGeneratedLineLength"/> characters.</summary>
    private static void AssertReadableLines(GeneratorOutcome outcome)
    {
        var tooLong = new System.Collections.Generic.List<string>();
        foreach (Microsoft.CodeAnalysis.GeneratedSourceResult source in outcome.Sources)
        {
            string[] lines = source.SourceText.ToString().Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].TrimEnd('\r').Length > MaxGeneratedLineLength)
                {
                    tooLong.Add(source.HintName + "(" + (i + 1) + "): " + lines[i].TrimEnd('\r').Length + " characters: " + lines[i].Trim());
                }
            }
        }

        Assert.True(tooLong.Count == 0, tooLong.Count + " generated lines over " + MaxGeneratedLineLength + " characters:\n" + string.Join("\n", tooLong));
    }
}
