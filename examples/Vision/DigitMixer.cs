using ModelDsl;

namespace ModelDsl.Examples.Vision;

/// <summary>
/// A small MLP-Mixer (Tolstikhin et al. 2021) for the 8x8 UCI digits, composed of existing layers and <c>[TokenMixing]</c> (a Dense
/// over the transposed token axis): the ViT's patch embedding (16 patches of 2x2 projected to 64, plus the class token and learned
/// positions), two Mixer blocks (LayerNorm, token-mixing MLP 17 -> 64 -> 17 with GELU, skip; LayerNorm, channel-mixing MLP
/// 64 -> 128 -> 64 with GELU, skip), a final LayerNorm, the mean over the tokens and a Dense head. PyTorch equivalent of a block:
/// <c>x = x + token2(gelu(token1(norm1(x).transpose(1, 2)))).transpose(1, 2)</c>;
/// <c>x = x + channel2(gelu(channel1(norm2(x))))</c>.
/// </summary>
[Model(MaxBatch = 32)]
public partial class DigitMixer
{
    /// <summary>Image side, patch side, model width, tokens (16 patches + the class token), token-MLP and channel-MLP widths, classes.</summary>
    public const int Side = 8, Patch = 2, D = 64, Tokens = 1 + ((Side / Patch) * (Side / Patch)), TokenHidden = 64, ChannelHidden = 2 * D, Classes = 10;

    /// <summary>The scans: one channel, 8x8, pixel counts 0..16 scaled to [0, 1].</summary>
    [Input(Channels = 1, Height = Side, Width = Side)] public partial ImageInput Pixels { get; }

    /// <summary>[B, 17, 64]: the class token, then the 4x4 patches row by row, with learned positions.</summary>
    [PatchEmbedding(Patch, D)] public partial PatchEmbeddingLayer Patches { get; }

    /// <summary>Block 1, token mixing: each channel mixed across the 17 tokens.</summary>
    [LayerNorm] public partial Norm Norm1 { get; }

    /// <summary>Block 1: the token MLP's hidden layer, [B, 64, 64].</summary>
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

    /// <summary>The mean over the 17 tokens, [B, 64].</summary>
    [MeanPool] public partial Pool Pool { get; }

    /// <summary>The ten classes.</summary>
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}
