using ModelDsl;

namespace ModelDsl.Examples.Vision;

/// <summary>
/// A small hybrid Vision Transformer (the ViT paper's hybrid: patches of a convolutional feature map) for the 32x32 drawn shapes:
/// two 3x3 convolutions (8 and 16 filters) each with ReLU and 2x2 max pooling to an 8x8 map, its 16 patches of 2x2 (8x8 pixels each) projected
/// to 32 (plus the class token, with learned positions), two pre-norm Transformer encoder layers with 2 heads, and a Dense head on
/// the class token. PyTorch equivalent: <c>Conv2d(1, 8, 3, padding=1)</c>, ReLU, <c>MaxPool2d(2)</c>, <c>Conv2d(8, 16, 3, padding=1)</c>,
/// ReLU, <c>MaxPool2d(2)</c>, <c>Conv2d(16, 32, 2, stride=2)</c>, flatten, <c>cat(cls_token, ...) + pos_embed</c>,
/// <c>TransformerEncoder(TransformerEncoderLayer(32, 2, 64, dropout=0, batch_first=True, norm_first=True), 2, norm=LayerNorm(32))</c>,
/// <c>[:, 0]</c>, <c>Linear(32, 4)</c>.
/// </summary>
[Model(MaxBatch = 32)]
public partial class ShapeVit
{
    /// <summary>Image side, stem filters, patch side, model width, classes.</summary>
    public const int Side = Shapes.Side, StemFilters = 16, Patch = 2, D = 32, Classes = Shapes.Classes;

    /// <summary>The drawn images: one channel, 32x32, intensities in [0, 1].</summary>
    [Input(Channels = 1, Height = Side, Width = Side)] public partial ImageInput Pixels { get; }

    /// <summary>The stem: [B, 8, 32, 32].</summary>
    [Conv2d(StemFilters / 2, 3, Padding = 1)] public partial Conv2dLayer Stem1 { get; }

    /// <summary>ReLU.</summary>
    [Activation(Activation.Relu)] public partial ActivationLayer StemRelu1 { get; }

    /// <summary>[B, 8, 16, 16].</summary>
    [MaxPool2d(2)] public partial Pool2dLayer StemPool1 { get; }

    /// <summary>[B, 16, 16, 16].</summary>
    [Conv2d(StemFilters, 3, Padding = 1)] public partial Conv2dLayer Stem2 { get; }

    /// <summary>ReLU.</summary>
    [Activation(Activation.Relu)] public partial ActivationLayer StemRelu2 { get; }

    /// <summary>[B, 16, 8, 8].</summary>
    [MaxPool2d(2)] public partial Pool2dLayer StemPool2 { get; }

    /// <summary>[B, 1 + 16, 32]: the class token, then the 4x4 patches of 2x2 of the stem's 8x8 map (8x8 pixels each) row by row.</summary>
    [PatchEmbedding(Patch, D)] public partial PatchEmbeddingLayer Patches { get; }

    /// <summary>Two pre-norm layers (and the final LayerNorm).</summary>
    [TransformerEncoder(Layers = 2, Heads = 2, FeedForward = 2 * D, NormFirst = true, Dropout = 0f)] public partial EncoderStack Encoder { get; }

    /// <summary>The class token's row, [B, 32].</summary>
    [FirstTokenPool] public partial Pool Cls { get; }

    /// <summary>The four shapes.</summary>
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}
