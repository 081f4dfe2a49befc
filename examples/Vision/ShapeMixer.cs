using ModelDsl;

namespace ModelDsl.Examples.Vision;

/// <summary>
/// A small MLP-Mixer for the 32x32 drawn shapes, composed as <see cref="DigitMixer"/> on <see cref="ShapeVit"/>'s stem and patch
/// embedding (two 3x3 convolutions with 8 and 16 filters, each with ReLU and 2x2 max pooling, then 16 patches of 2x2 of the 8x8 map projected to 32,
/// plus the class token and learned positions), two Mixer blocks (LayerNorm, token-mixing MLP 17 -> 32 -> 17
/// with GELU, skip; LayerNorm, channel-mixing MLP 32 -> 64 -> 32 with GELU, skip), a final LayerNorm, the mean over the tokens and
/// a Dense head.
/// </summary>
[Model(MaxBatch = 32)]
public partial class ShapeMixer
{
    /// <summary>Image side, stem filters, patch side, model width, tokens (16 patches + the class token), token-MLP and channel-MLP widths, classes.</summary>
    public const int Side = Shapes.Side, StemFilters = 16, Patch = 2, D = 32, Tokens = 1 + ((Side / 4 / Patch) * (Side / 4 / Patch)), TokenHidden = 32, ChannelHidden = 2 * D,
        Classes = Shapes.Classes;

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

    /// <summary>[B, 17, 32]: the class token, then the 4x4 patches of 2x2 of the stem's 8x8 map (8x8 pixels each) row by row, with learned positions.</summary>
    [PatchEmbedding(Patch, D)] public partial PatchEmbeddingLayer Patches { get; }

    /// <summary>Block 1, token mixing: each channel mixed across the 17 tokens.</summary>
    [LayerNorm] public partial Norm Norm1 { get; }

    /// <summary>Block 1: the token MLP's hidden layer, [B, 32, 32].</summary>
    [TokenMixing(TokenHidden)] public partial TokenMixingLayer Token1 { get; }

    /// <summary>Block 1: GELU.</summary>
    [Activation(Activation.Gelu)] public partial ActivationLayer TokenGelu1 { get; }

    /// <summary>Block 1: back to the 17 tokens.</summary>
    [TokenMixing(Tokens)] public partial TokenMixingLayer Token2 { get; }

    /// <summary>Block 1: the skip around token mixing.</summary>
    [Add(nameof(Token2), nameof(Patches))] public partial MergeLayer Mixed1 { get; }

    /// <summary>Block 1, channel mixing: the same MLP at every token.</summary>
    [LayerNorm] public partial Norm Norm2 { get; }

    /// <summary>Block 1: the channel MLP's hidden layer.</summary>
    [Dense(ChannelHidden, Activation = Activation.Gelu)] public partial Dense Channel1 { get; }

    /// <summary>Block 1: back to D.</summary>
    [Dense(D)] public partial Dense Channel2 { get; }

    /// <summary>Block 1: the skip around channel mixing.</summary>
    [Add(nameof(Channel2), nameof(Mixed1))] public partial MergeLayer Block1 { get; }

    /// <summary>Block 2, token mixing.</summary>
    [LayerNorm] public partial Norm Norm3 { get; }

    /// <summary>Block 2: the token MLP's hidden layer.</summary>
    [TokenMixing(TokenHidden)] public partial TokenMixingLayer Token3 { get; }

    /// <summary>Block 2: GELU.</summary>
    [Activation(Activation.Gelu)] public partial ActivationLayer TokenGelu2 { get; }

    /// <summary>Block 2: back to the 17 tokens.</summary>
    [TokenMixing(Tokens)] public partial TokenMixingLayer Token4 { get; }

    /// <summary>Block 2: the skip around token mixing.</summary>
    [Add(nameof(Token4), nameof(Block1))] public partial MergeLayer Mixed2 { get; }

    /// <summary>Block 2, channel mixing.</summary>
    [LayerNorm] public partial Norm Norm4 { get; }

    /// <summary>Block 2: the channel MLP's hidden layer.</summary>
    [Dense(ChannelHidden, Activation = Activation.Gelu)] public partial Dense Channel3 { get; }

    /// <summary>Block 2: back to D.</summary>
    [Dense(D)] public partial Dense Channel4 { get; }

    /// <summary>Block 2: the skip around channel mixing.</summary>
    [Add(nameof(Channel4), nameof(Mixed2))] public partial MergeLayer Block2 { get; }

    /// <summary>The final LayerNorm.</summary>
    [LayerNorm] public partial Norm Norm { get; }

    /// <summary>The mean over the 17 tokens, [B, 32].</summary>
    [MeanPool] public partial Pool Pool { get; }

    /// <summary>The four shapes.</summary>
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}
