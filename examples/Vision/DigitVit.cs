using ModelDsl;

namespace ModelDsl.Examples.Vision;

/// <summary>
/// A small Vision Transformer for the 8x8 UCI digits: 16 patches of 2x2 projected to 64 (plus the class token, with learned
/// positions), two pre-norm Transformer encoder layers with 4 heads, and a Dense head on the class token. PyTorch equivalent:
/// <c>Conv2d(1, 64, 2, stride=2)</c>, flatten, <c>cat(cls_token, ...) + pos_embed</c>,
/// <c>TransformerEncoder(TransformerEncoderLayer(64, 4, 128, dropout=0.1, batch_first=True, norm_first=True), 2, norm=LayerNorm(64))</c>,
/// <c>[:, 0]</c>, <c>Linear(64, 10)</c>.
/// </summary>
[Model(MaxBatch = 32)]
public partial class DigitVit
{
    /// <summary>Image side, patch side, model width, classes.</summary>
    public const int Side = 8, Patch = 2, D = 64, Classes = 10;

    /// <summary>The scans: one channel, 8x8, pixel counts 0..16 scaled to [0, 1].</summary>
    [Input(Channels = 1, Height = Side, Width = Side)] public partial ImageInput Pixels { get; }

    /// <summary>[B, 1 + 16, 64]: the class token, then the 4x4 patches row by row.</summary>
    [PatchEmbedding(Patch, D)] public partial PatchEmbeddingLayer Patches { get; }

    /// <summary>Two pre-norm layers (and the final LayerNorm).</summary>
    [TransformerEncoder(Layers = 2, Heads = 4, FeedForward = 2 * D, NormFirst = true, Dropout = 0.1f)] public partial EncoderStack Encoder { get; }

    /// <summary>The class token's row, [B, 64].</summary>
    [FirstTokenPool] public partial Pool Cls { get; }

    /// <summary>The ten classes.</summary>
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}
