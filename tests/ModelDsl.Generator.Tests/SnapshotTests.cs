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
    public void FeatureRegressor() => Check(TestModels.Regressor);

    private static void Check(string source, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompilationErrors());
        Assert.Empty(outcome.GeneratedFileProblems());
        Snapshot.Verify(outcome, nameof(SnapshotTests), test);
    }
}
