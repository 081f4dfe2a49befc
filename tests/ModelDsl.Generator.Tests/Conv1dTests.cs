using System;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// [Conv1d] in the generator: along a sequence [B, T, D] (D channels, channels-last) it generates code that compiles, keeps the
/// sequence's run-time length when the convolution keeps the length and fixes it otherwise, exports nn.Conv1d to PyTorch, and
/// every size rule is reported at the argument that breaks it, naming the dims. (Kernels: ModelDsl.Runtime.Tests/Convolution1dTests;
/// PyTorch parity of a whole model: ModelDsl.Parity.Tests/VisionParityTests.SmallConv1d.)
/// </summary>
public sealed class Conv1dTests
{
    private const string Tagger = """
        using ModelDsl;

        namespace Demo;

        [Model(MaxBatch = 4)]
        public partial class SignalClassifier
        {
            public const int Length = 16, Channels = 3, Filters = 8;

            [Input(Length, Features = Channels)] public partial FeatureInput Signal { get; }
            [Conv1d(Filters, 3, Padding = 1, InChannels = Channels)] public partial Conv1dLayer Conv1 { get; }
            [Activation(Activation.Gelu)] public partial ActivationLayer Gelu { get; }
            [Conv1d(Filters, 5, Padding = 4, Dilation = 2, Groups = 4, Bias = false)] public partial Conv1dLayer Conv2 { get; }
            [MeanPool] public partial Pool Pool { get; }
            [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
        }
        """;

    [Fact]
    public void A_length_keeping_stack_generates_code_that_compiles_and_exports_to_pytorch()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Tagger);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        Assert.Empty(outcome.CompilationErrors());
        string code = string.Join("\n", outcome.Sources.Select(source => source.SourceText.ToString()));
        Assert.Contains("Kernels.Convolution1d.Backward(", code, StringComparison.Ordinal);
        Assert.Contains("new __Kernels.Convolution1dShape(B, T, 3, 8, 3, 1, 1, 1, 1)", code, StringComparison.Ordinal); // the run-time length T
        Assert.Contains("conv2.weight [8, 2, 5]", code, StringComparison.Ordinal); // nn.Conv1d's layout: [O, C / groups, k]
        Assert.Contains("nn.Conv1d(8, 8, 5, stride=1, padding=4, dilation=2, groups=4, bias=False)", code, StringComparison.Ordinal);
        Assert.Contains(".transpose(1, 2)).transpose(1, 2)", code, StringComparison.Ordinal); // channels-last sequences, PyTorch's [B, C, L]
        Assert.DoesNotContain("needs full-length sequences", code, StringComparison.Ordinal);
    }

    [Fact]
    public void A_length_changing_convolution_has_a_fixed_length_and_checks_the_batch()
    {
        string source = Tagger.Replace("Padding = 4, Dilation = 2", "Stride = 2, Dilation = 2", StringComparison.Ordinal);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        Assert.Empty(outcome.CompilationErrors());
        string code = string.Join("\n", outcome.Sources.Select(text => text.SourceText.ToString()));
        Assert.Contains("Conv2: a [Conv1d] that changes the length needs full-length sequences: T must be 16", code, StringComparison.Ordinal);
        Assert.Contains("[B,4,8]", code, StringComparison.Ordinal); // (16 - 2·(5 - 1) - 1) / 2 + 1 = 4 positions
    }

    public static TheoryData<string, string, string> BadDeclarations => new()
    {
        { "[Conv1d(8, 3, [|Stride = 0|])] public partial Conv1dLayer Conv { get; }", "MDSL1008", "Conv: Stride (0) must be at least 1" },
        { "[Conv1d(8, 3, [|Groups = 3|])] public partial Conv1dLayer Conv { get; }", "MDSL1008", "Conv: Groups (3) must be a divisor of both the input channels Channels (4) and OutChannels (8)" },
        { "[Conv1d(8, 3, [|Dilation = 0|])] public partial Conv1dLayer Conv { get; }", "MDSL1008", "Conv: Dilation (0) must be at least 1" },
        { "[Conv1d(8, 3, [|Padding = -1|])] public partial Conv1dLayer Conv { get; }", "MDSL1008", "Conv: Padding (-1) must be 0 or more" },
        { "[Conv1d([|0|], 3)] public partial Conv1dLayer Conv { get; }", "MDSL1008", "Conv: OutChannels (0) must be at least 1" },
        { "[Conv1d(8, [|0|])] public partial Conv1dLayer Conv { get; }", "MDSL1008", "Conv: Kernel (0) must be at least 1" },
        { "[Conv1d(8, 3, [|InChannels = 3|])] public partial Conv1dLayer Conv { get; }", "MDSL1001", "Conv: expects input [B, T, InChannels (3)] but 'Signal' produces [B, T, Channels (4)]" },
        {
            "[Conv1d(8, [|7|])] public partial Conv1dLayer Conv { get; }", "MDSL1020",
            "Conv: the output length would be (T (6) + 2·Padding (0) - (Kernel (7) - 1) - 1) / Stride (1) + 1 = less than 1; the window must fit the padded input"
        },
        {
            "[Conv1d(8, [|3|], Dilation = 4, Padding = 1)] public partial Conv1dLayer Conv { get; }", "MDSL1020",
            "Conv: the output length would be (T (6) + 2·Padding (1) - Dilation (4)·(Kernel (3) - 1) - 1) / Stride (1) + 1 = less than 1; the window must fit the padded input"
        },
    };

    [Theory]
    [MemberData(nameof(BadDeclarations))]
    public void Size_rules_are_reported_at_the_argument_naming_the_dims(string member, string id, string message)
    {
        string markup = DiagnosticTests.Model(members:
        [
            "public const int Channels = 4, Steps = 6;",
            "[Input(Steps, Features = Channels)] public partial FeatureInput Signal { get; }",
            member,
            "[MeanPool] public partial Pool Pool { get; }",
            "[Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }",
        ]);
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = outcome.GeneratorDiagnostics.First();
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Empty(outcome.GeneratedFileProblems());
    }

    [Theory]
    [InlineData("[Input(Features = 4)] public partial FeatureInput Signal { get; }", "[B, 4]")]
    [InlineData("[Input(Channels = 1, Height = 4, Width = 4)] public partial ImageInput Signal { get; }", "[B, 1, 4, 4]")]
    public void A_convolution_on_anything_but_a_float_sequence_is_reported(string input, string produces)
    {
        string markup = DiagnosticTests.Model(members:
        [
            input,
            "[|[Conv1d(8, 3)]|] public partial Conv1dLayer Conv { get; }",
            "[Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }",
        ]);
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = outcome.GeneratorDiagnostics.First();
        Assert.Equal("MDSL1010", diagnostic.Id);
        Assert.Equal("Conv: [Conv1d] needs a sequence [B, T, D] (its D features are the channels) but 'Signal' produces " + produces,
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(span.Start + 1, diagnostic.Location.SourceSpan.Start);
    }
}
