namespace ModelDsl;

/// <summary>
/// PyTorch's <c>nn.Conv2d</c> on images <c>[B, C, H, W]</c> (NCHW, cross-correlation): output <c>[B, OutChannels, OH, OW]</c> with
/// <c>OH = (H + 2·Padding - Dilation·(Kernel - 1) - 1) / Stride + 1</c> (the same for the width). Parameters <c>weight</c>
/// <c>[OutChannels, C / Groups, Kernel, Kernel]</c> (Xavier uniform over fan-in <c>C / Groups · Kernel²</c> and fan-out
/// <c>OutChannels · Kernel²</c>) and <c>bias</c> <c>[OutChannels]</c> (zeros), under <c>nn.Conv2d</c>'s state-dict names.
/// The input channels C come from the layer it reads.
/// </summary>
/// <param name="outChannels">Output channels (filters).</param>
/// <param name="kernel">Side of the square kernel.</param>
public sealed class Conv2dAttribute(int outChannels, int kernel) : LayerAttribute
{
    /// <summary>Output channels (filters).</summary>
    public int OutChannels { get; } = outChannels;

    /// <summary>Side of the square kernel.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Step between windows, along both axes (at least 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added on every side (0 or more).</summary>
    public int Padding { get; set; }

    /// <summary>Spacing between kernel taps (at least 1).</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Channel groups; divides both the input channels and <see cref="OutChannels"/>.</summary>
    public int Groups { get; set; } = 1;

    /// <summary>Whether the layer adds a learned bias per output channel.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>When set, the input channels the layer expects (PyTorch's <c>in_channels</c>), checked against its input.</summary>
    public int InChannels { get; set; }
}

/// <summary>
/// PyTorch's <c>nn.MaxPool2d(Kernel, Stride, Padding)</c> on <c>[B, C, H, W]</c>: the largest value of each square window (padding
/// never wins); no parameters.
/// </summary>
/// <param name="kernel">Side of the square window.</param>
public sealed class MaxPool2dAttribute(int kernel) : LayerAttribute
{
    /// <summary>Side of the square window.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Step between windows; 0 (the default) means <see cref="Kernel"/>, as in PyTorch.</summary>
    public int Stride { get; set; }

    /// <summary>Implicit padding on every side, at most half the kernel.</summary>
    public int Padding { get; set; }
}

/// <summary>
/// PyTorch's <c>nn.AvgPool2d(Kernel, Stride, Padding)</c> on <c>[B, C, H, W]</c> (<c>count_include_pad=True</c>): the mean of
/// each square window, padded positions counting as zeros; no parameters.
/// </summary>
/// <param name="kernel">Side of the square window.</param>
public sealed class AvgPool2dAttribute(int kernel) : LayerAttribute
{
    /// <summary>Side of the square window.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Step between windows; 0 (the default) means <see cref="Kernel"/>, as in PyTorch.</summary>
    public int Stride { get; set; }

    /// <summary>Implicit padding on every side, at most half the kernel.</summary>
    public int Padding { get; set; }
}

/// <summary>
/// Global average pooling, <c>[B, C, H, W]</c> to <c>[B, C]</c>: the mean of each channel's plane (PyTorch's
/// <c>nn.AdaptiveAvgPool2d(1)</c> followed by <c>flatten(1)</c>); no parameters.
/// </summary>
public sealed class GlobalAvgPool2dAttribute : LayerAttribute
{
}

/// <summary>
/// Flattens an image <c>[B, C, H, W]</c> to <c>[B, C·H·W]</c> in NCHW order (PyTorch's <c>nn.Flatten()</c>), so a
/// <c>[Dense]</c> head can read it; no parameters, no copy.
/// </summary>
public sealed class FlattenAttribute : LayerAttribute
{
}

/// <summary>
/// The Vision Transformer's patch embedding on images <c>[B, C, H, W]</c>: non-overlapping <c>PatchSize × PatchSize</c> patches, each
/// projected to <c>D</c> (PyTorch's <c>nn.Conv2d(C, D, PatchSize, stride=PatchSize)</c>: <c>proj.weight</c> <c>[D, C, P, P]</c>, Xavier
/// uniform, <c>proj.bias</c> <c>[D]</c>, zeros), read row by row as a sequence, a learned <c>cls_token</c> <c>[1, 1, D]</c> (zeros)
/// prepended and learned positions <c>pos_embed</c> <c>[1, 1 + N, D]</c> (normal) added: output <c>[B, 1 + (H/P)·(W/P), D]</c>, a
/// sequence a <c>[TransformerEncoder]</c> and a <c>[FirstTokenPool]</c> read. H and W must be multiples of <c>PatchSize</c>.
/// </summary>
/// <param name="patchSize">Side P of the square patches.</param>
/// <param name="d">Embedding width D.</param>
public sealed class PatchEmbeddingAttribute(int patchSize, int d) : LayerAttribute
{
    /// <summary>Side P of the square patches.</summary>
    public int PatchSize { get; } = patchSize;

    /// <summary>Embedding width D.</summary>
    public int D { get; } = d;
}
