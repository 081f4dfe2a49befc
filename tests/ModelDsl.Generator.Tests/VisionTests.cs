using System;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// Image inputs and the image layers ([Conv2d], [MaxPool2d], [AvgPool2d], [GlobalAvgPool2d], [Flatten], [PatchEmbedding]) in the generator: the
/// declarations generate code that compiles, every size rule is reported at the argument that breaks it, naming the dims.
/// (Gradient checks, allocations and the Batch's checks of a generated CNN: ModelDsl.Training.Tests/VisionModelTests.cs;
/// PyTorch parity: ModelDsl.Parity.Tests/VisionParityTests.cs.)
/// </summary>
public sealed class VisionTests
{
    /// <summary>The snapshot CNN (SnapshotTests.ImageClassifier): every image layer and option once.</summary>
    public const string Cnn = """
        using ModelDsl;

        namespace Demo;

        [Model(MaxBatch = 16)]
        public partial class DigitCnn
        {
            public const int Channels = 1, Side = 8, Filters = 8, Classes = 10;

            [Input(Channels = Channels, Height = Side, Width = Side)] public partial ImageInput Pixels { get; }
            [Conv2d(Filters, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
            [Activation(Activation.Relu)] public partial ActivationLayer Relu1 { get; }
            [MaxPool2d(2)] public partial Pool2dLayer Pool1 { get; }
            [Conv2d(2 * Filters, 3, Stride = 1, Padding = 2, Dilation = 2, Groups = 2)] public partial Conv2dLayer Conv2 { get; }
            [AvgPool2d(3, Stride = 2, Padding = 1)] public partial Pool2dLayer Pool2 { get; }
            [Flatten] public partial FlattenLayer Flat { get; }
            [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
        }
        """;

    /// <summary>The snapshot ViT (SnapshotTests.VisionTransformer): 16 patches of 2x2 plus the class token, a pre-norm encoder, the class token's row to the head.</summary>
    public const string Vit = """
        using ModelDsl;

        namespace Demo;

        [Model(MaxBatch = 16)]
        public partial class DigitVit
        {
            public const int Side = 8, Patch = 2, D = 16, Classes = 10;

            [Input(Channels = 1, Height = Side, Width = Side)] public partial ImageInput Pixels { get; }
            [PatchEmbedding(Patch, D)] public partial PatchEmbeddingLayer Patches { get; }
            [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 2 * D, NormFirst = true, Dropout = 0f)] public partial EncoderStack Encoder { get; }
            [FirstTokenPool] public partial Pool Cls { get; }
            [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
        }
        """;

    [Fact]
    public void A_vit_generates_code_that_compiles()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Vit);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        Assert.Empty(outcome.CompilationErrors());
        string code = string.Join("\n", outcome.Sources.Select(source => source.SourceText.ToString()));
        Assert.Contains("Kernels.PatchEmbedding.Backward(", code, StringComparison.Ordinal);
        Assert.Contains("patches.proj.weight [16, 1, 2, 2]", code, StringComparison.Ordinal); // nn.Conv2d(C, D, P, stride=P)'s layout
        Assert.Contains("patches.pos_embed [1, 17, 16]", code, StringComparison.Ordinal); // 1 + (8/2)·(8/2) positions
    }

    [Fact]
    public void Image_layers_generate_code_that_compiles()
    {
        string global = """
            using ModelDsl;

            namespace Demo;

            [Model(MaxBatch = 4)]
            public partial class GlobalPool
            {
                [Input(Channels = 3, Height = 7, Width = 5)] public partial ImageInput Image { get; }
                [Conv2d(4, 2, Bias = false, InChannels = 3)] public partial Conv2dLayer Conv { get; }
                [Dropout(0.1f)] public partial DropoutLayer Drop { get; }
                [GlobalAvgPool2d] public partial Pool2dLayer Pool { get; }
                [Dense(2)] [MseLoss] public partial Dense Out { get; }
            }
            """;
        GeneratorOutcome outcome = GeneratorHarness.Run(Cnn, global);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        Assert.Empty(outcome.CompilationErrors());
        string code = string.Join("\n", outcome.Sources.Select(source => source.SourceText.ToString()));
        Assert.Contains("Kernels.Convolution.Backward(", code, StringComparison.Ordinal);
        Assert.Contains("Kernels.MaxPool2d.Backward(", code, StringComparison.Ordinal);
        Assert.Contains("Kernels.AvgPool2d.Backward(", code, StringComparison.Ordinal);
        Assert.Contains("Kernels.GlobalAvgPool2d.Backward(", code, StringComparison.Ordinal);
        Assert.Contains("conv2.weight [16, 4, 3, 3]", code, StringComparison.Ordinal); // nn.Conv2d's layout: [O, C / groups, k, k]
    }

    public static TheoryData<string, string, string> BadDeclarations => new()
    {
        { "[Conv2d(8, 3, [|Stride = 0|])] public partial Conv2dLayer Conv { get; }", "MDSL1008", "Conv: Stride (0) must be at least 1" },
        { "[Conv2d(8, 3, [|Groups = 3|])] public partial Conv2dLayer Conv { get; }", "MDSL1008", "Conv: Groups (3) must be a divisor of both the input channels Channels (4) and OutChannels (8)" },
        { "[Conv2d(8, 3, [|Dilation = 0|])] public partial Conv2dLayer Conv { get; }", "MDSL1008", "Conv: Dilation (0) must be at least 1" },
        { "[Conv2d(8, 3, [|Padding = -1|])] public partial Conv2dLayer Conv { get; }", "MDSL1008", "Conv: Padding (-1) must be 0 or more" },
        { "[Conv2d([|0|], 3)] public partial Conv2dLayer Conv { get; }", "MDSL1008", "Conv: OutChannels (0) must be at least 1" },
        { "[Conv2d(8, 3, [|InChannels = 3|])] public partial Conv2dLayer Conv { get; }", "MDSL1001", "Conv: expects input [B, InChannels (3), H, W] but 'Image' produces [B, Channels (4), Side (6), 9]" },
        {
            "[Conv2d(8, [|7|])] public partial Conv2dLayer Conv { get; }", "MDSL1020",
            "Conv: the output height would be (Side (6) + 2·Padding (0) - (Kernel (7) - 1) - 1) / Stride (1) + 1 = less than 1; the window must fit the padded input"
        },
        {
            "[Conv2d(8, [|3|], Dilation = 4, Padding = 1)] public partial Conv2dLayer Conv { get; }", "MDSL1020",
            "Conv: the output height would be (Side (6) + 2·Padding (1) - Dilation (4)·(Kernel (3) - 1) - 1) / Stride (1) + 1 = less than 1; the window must fit the padded input"
        },
        { "[MaxPool2d(4, [|Padding = 3|])] public partial Pool2dLayer Pool { get; }", "MDSL1008", "Pool: Padding (3) must be at most half the kernel (Kernel 4 / 2 = 2)" },
        { "[AvgPool2d(2, [|Stride = 0|])] public partial Pool2dLayer Pool { get; }", "MDSL1008", "Pool: Stride (0) must be at least 1 (leave it unset for the kernel size)" },
        {
            "[MaxPool2d([|7|])] public partial Pool2dLayer Pool { get; }", "MDSL1020",
            "Pool: the output height would be (Side (6) + 2·Padding (0) - (Kernel (7) - 1) - 1) / Stride (7) + 1 = less than 1; the window must fit the padded input"
        },
        {
            "[PatchEmbedding([|4|], 8)] public partial PatchEmbeddingLayer Patches { get; }", "MDSL1008",
            "Patches: PatchSize (4) must be a divisor of the image's height Side (6) and width 9 (the patches do not overlap and cover the image)"
        },
        {
            "[PatchEmbedding([|2|], 8)] public partial PatchEmbeddingLayer Patches { get; }", "MDSL1008",
            "Patches: PatchSize (2) must be a divisor of the image's height Side (6) and width 9 (the patches do not overlap and cover the image)"
        },
        { "[PatchEmbedding([|0|], 8)] public partial PatchEmbeddingLayer Patches { get; }", "MDSL1008", "Patches: PatchSize (0) must be at least 1" },
        { "[PatchEmbedding(3, [|0|])] public partial PatchEmbeddingLayer Patches { get; }", "MDSL1008", "Patches: D (0) must be at least 1" },
        {
            "[[|Dense(5)|]] public partial Dense Hidden { get; }", "MDSL1010",
            "Hidden: [Dense] needs floats [B, D] or [B, T, D]; flatten the image first ([Flatten] or [GlobalAvgPool2d]) but 'Image' produces [B, Channels (4), Side (6), 9]"
        },
    };

    [Theory]
    [MemberData(nameof(BadDeclarations))]
    public void Size_rules_are_reported_at_the_argument_naming_the_dims(string member, string id, string message)
    {
        string markup = DiagnosticTests.Model(members:
        [
            "public const int Channels = 4, Side = 6;",
            "[Input(Channels = Channels, Height = Side, Width = 9)] public partial ImageInput Image { get; }",
            member,
            "[Flatten] public partial FlattenLayer Flat { get; }",
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

    public static TheoryData<string, string> LayersThatNeedAnImage => new()
    {
        { "[[|Conv2d(8, 3)|]] public partial Conv2dLayer Conv { get; }", "Conv: [Conv2d] needs an image [B, C, H, W]" },
        { "[[|MaxPool2d(2)|]] public partial Pool2dLayer Pool { get; }", "Pool: [MaxPool2d] needs an image [B, C, H, W]" },
        { "[[|AvgPool2d(2)|]] public partial Pool2dLayer Pool { get; }", "Pool: [AvgPool2d] needs an image [B, C, H, W]" },
        { "[[|GlobalAvgPool2d|]] public partial Pool2dLayer Pool { get; }", "Pool: [GlobalAvgPool2d] needs an image [B, C, H, W]" },
        { "[[|Flatten|]] public partial FlattenLayer Flat { get; }", "Flat: [Flatten] needs an image [B, C, H, W]" },
        { "[[|PatchEmbedding(2, 8)|]] public partial PatchEmbeddingLayer Patches { get; }", "Patches: [PatchEmbedding] needs an image [B, C, H, W]" },
    };

    [Theory]
    [MemberData(nameof(LayersThatNeedAnImage))]
    public void Image_layers_on_features_are_reported(string member, string start)
    {
        string markup = DiagnosticTests.Model(members:
        [
            "[Input(Features = 64)] public partial FeatureInput X { get; }",
            member,
            "[Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }",
        ]);
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal("MDSL1010", diagnostic.Id);
        Assert.StartsWith(start, diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.EndsWith("but 'X' produces [B, 64]", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    public static TheoryData<string, string, string> BadImageInputs => new()
    {
        { "[Input(Channels = 1, [|Height = 0|], Width = 8)] public partial ImageInput Image { get; }", "MDSL1008", "Image: Height (0) must be at least 1 (an image input declares Channels, Height and Width)" },
        { "[[|Input(Channels = 1, Height = 8)|]] public partial ImageInput Image { get; }", "MDSL1008", "Image: Width (0) must be at least 1 (an image input declares Channels, Height and Width)" },
        { "[Input([|4|], Channels = 1, Height = 8, Width = 8)] public partial ImageInput Image { get; }", "MDSL1008", "Image: MaxLength (4) must be left unset for an image input (Channels, Height, Width)" },
        { "[Input(Channels = 1, Height = 8, Width = 8)] public partial FeatureInput [|Image|] { get; }", "MDSL0004", "Image: [Input] needs a property of type ImageInput, not FeatureInput" },
    };

    [Theory]
    [MemberData(nameof(BadImageInputs))]
    public void Bad_image_inputs_are_reported(string member, string id, string message)
    {
        string markup = DiagnosticTests.Model(members:
        [
            member,
            "[Flatten] public partial FlattenLayer Flat { get; }",
            "[Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }",
        ]);
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = outcome.GeneratorDiagnostics.First();
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    [Fact]
    public void Mse_on_an_image_output_is_reported()
    {
        string markup = DiagnosticTests.Model(members:
        [
            "[Input(Channels = 2, Height = 5, Width = 5)] public partial ImageInput Image { get; }",
            "[Conv2d(2, 3, Padding = 1)] [|[MseLoss]|] public partial Conv2dLayer Conv { get; }",
        ]);
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal("MDSL1007", diagnostic.Id);
        Assert.Equal("Conv: [MseLoss] needs a float output [B, D] or [B, T, D], but 'Conv' produces [B, 2, 5, 5]", diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(span.Start + 1, diagnostic.Location.SourceSpan.Start);
    }
}
