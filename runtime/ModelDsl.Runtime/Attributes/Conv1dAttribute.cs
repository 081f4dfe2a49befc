namespace ModelDsl;

/// <summary>
/// PyTorch's <c>nn.Conv1d</c> along a sequence <c>[B, T, D]</c>, its D features read as the input channels at each of the T
/// positions (the DSL keeps sequences channels-last; PyTorch's <c>[B, D, T]</c> is its transpose): output
/// <c>[B, T', OutChannels]</c> with <c>T' = (T + 2·Padding - Dilation·(Kernel - 1) - 1) / Stride + 1</c>. Parameters <c>weight</c>
/// <c>[OutChannels, D / Groups, Kernel]</c> (Xavier uniform over fan-in <c>D / Groups · Kernel</c> and fan-out
/// <c>OutChannels · Kernel</c>) and <c>bias</c> <c>[OutChannels]</c> (zeros), under <c>nn.Conv1d</c>'s state-dict names.
/// A convolution that keeps the length (stride 1, <c>2·Padding = Dilation·(Kernel - 1)</c>) keeps the sequence's run-time length
/// and its padding lengths; any other needs full-length sequences (docs/vision.md).
/// </summary>
/// <param name="outChannels">Output channels (filters).</param>
/// <param name="kernel">Kernel length.</param>
public sealed class Conv1dAttribute(int outChannels, int kernel) : LayerAttribute
{
    /// <summary>Output channels (filters).</summary>
    public int OutChannels { get; } = outChannels;

    /// <summary>Kernel length.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Step between windows (at least 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added at both ends (0 or more).</summary>
    public int Padding { get; set; }

    /// <summary>Spacing between kernel taps (at least 1).</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Channel groups; divides both the input channels and <see cref="OutChannels"/>.</summary>
    public int Groups { get; set; } = 1;

    /// <summary>Whether the layer adds a learned bias per output channel.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>When set, the input channels the layer expects (PyTorch's <c>in_channels</c>), checked against its input's width.</summary>
    public int InChannels { get; set; }
}
