using System;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// [TokenMixing] (the MLP-Mixer's Dense over the token axis) in the generator: a Mixer block composed of existing layers generates
/// code that compiles and exports nn.Linear on the transposed sequence; a sequence whose rows are not all full and a bad Units
/// are reported at the right place. (Kernel: ModelDsl.Runtime.Tests/TokenMixingTests; PyTorch parity of a whole Mixer:
/// ModelDsl.Parity.Tests/VisionParityTests.SmallMixer.)
/// </summary>
public sealed class TokenMixingTests
{
    private const string Mixer = """
        using ModelDsl;

        namespace Demo;

        [Model(MaxBatch = 4)]
        public partial class TinyMixer
        {
            [Input(Channels = 1, Height = 8, Width = 8)] public partial ImageInput Pixels { get; }
            [PatchEmbedding(4, 16)] public partial PatchEmbeddingLayer Patches { get; }
            [LayerNorm] public partial Norm Norm1 { get; }
            [TokenMixing(8)] public partial TokenMixingLayer Token1 { get; }
            [Activation(Activation.Gelu)] public partial ActivationLayer Gelu { get; }
            [TokenMixing(5, Bias = false)] public partial TokenMixingLayer Token2 { get; }
            [Add(nameof(Token2), nameof(Patches))] public partial MergeLayer Mixed { get; }
            [LayerNorm] public partial Norm Norm2 { get; }
            [Dense(32, Activation = Activation.Gelu)] public partial Dense Channel1 { get; }
            [Dense(16)] public partial Dense Channel2 { get; }
            [Add(nameof(Channel2), nameof(Mixed))] public partial MergeLayer Block { get; }
            [MeanPool] public partial Pool Pool { get; }
            [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
        }
        """;

    [Fact]
    public void A_mixer_block_generates_code_that_compiles()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Mixer);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        Assert.Empty(outcome.CompilationErrors());
        string code = string.Join("\n", outcome.Sources.Select(source => source.SourceText.ToString()));
        Assert.Contains("Kernels.TokenMixing.Backward(", code, StringComparison.Ordinal);
        Assert.Contains("token1.weight [8, 5]", code, StringComparison.Ordinal); // nn.Linear(N = 4 patches + class token, 8)
        Assert.DoesNotContain("token2.bias", code, StringComparison.Ordinal);
        Assert.Contains("[B,8,16]", code, StringComparison.Ordinal); // 8 mixed tokens of 16 channels
    }

    [Fact]
    public void Units_below_one_is_reported_at_the_argument()
    {
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(Mixer.Replace("[TokenMixing(8)]", "[TokenMixing([|0|])]", StringComparison.Ordinal));
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = outcome.GeneratorDiagnostics.First();
        Assert.Equal("MDSL1008", diagnostic.Id);
        Assert.Equal("Token1: Units (0) must be at least 1", diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    [Fact]
    public void A_sequence_of_run_time_length_is_reported()
    {
        string markup = DiagnosticTests.Model(members:
        [
            "[Input(Length, Features = 4)] public partial FeatureInput Signal { get; }",
            "[|[TokenMixing(8)]|] public partial TokenMixingLayer Mix { get; }",
            "[MeanPool] public partial Pool Pool { get; }",
            "[Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }",
        ]);
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = outcome.GeneratorDiagnostics.First();
        Assert.Equal("MDSL1010", diagnostic.Id);
        Assert.Equal(
            "Mix: [TokenMixing] needs a sequence of fixed length [B, N, D] whose rows are all full (a [PatchEmbedding]'s patches, an earlier [TokenMixing]) but 'Signal' produces [B, T, 4]",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(span.Start + 1, diagnostic.Location.SourceSpan.Start);
    }
}
