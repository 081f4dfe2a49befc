using System.Linq;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary><c>[Freeze]</c>: one emitted <c>Freeze(...)</c> call in the trainer's constructor per frozen member with parameters.</summary>
public sealed class FreezeAttributeTests
{
    private const string Source = """
        using ModelDsl;

        namespace Tiny;

        [Model(MaxBatch = 4)]
        public partial class Transfer
        {
            [Input(8)] public partial TokenInput Text { get; }
            [Freeze] [Embedding(20, 16)] public partial TokenEmbedding Tokens { get; }
            [Freeze] [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 32)] public partial EncoderStack Encoder { get; }
            [MeanPool] public partial Pool Pool { get; }
            [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
        }
        """;

    [Fact]
    public void Trainer_constructor_freezes_each_member_declared_with_Freeze()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Source);
        outcome.AssertNoCrash();
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        string trainer = outcome.Sources.Single(source => source.HintName.EndsWith(".Trainer.g.cs", System.StringComparison.Ordinal)).SourceText.ToString();
        string[] calls = [.. trainer.Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith("Freeze(", System.StringComparison.Ordinal))];
        Assert.Equal(["Freeze(\"Tokens\");", "Freeze(\"Encoder\");"], calls);
        Assert.Contains("// [Freeze] on Encoder: the trainer starts with it frozen; Unfreeze(nameof(Transfer.Encoder)) trains it.", trainer, System.StringComparison.Ordinal);
    }

    [Fact]
    public void Without_Freeze_no_call_is_emitted()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Source.Replace("[Freeze] ", string.Empty, System.StringComparison.Ordinal));
        string trainer = outcome.Sources.Single(source => source.HintName.EndsWith(".Trainer.g.cs", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.DoesNotContain("Freeze(", trainer, System.StringComparison.Ordinal);
    }
}
