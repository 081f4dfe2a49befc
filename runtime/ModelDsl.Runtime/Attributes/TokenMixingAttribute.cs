namespace ModelDsl;

/// <summary>
/// The MLP-Mixer's token mixing (Tolstikhin et al. 2021): a Dense over the token axis of a sequence of fixed length
/// <c>[B, N, D]</c> (every row full, e.g. a <c>[PatchEmbedding]</c>'s patches), each of the D channels mixed across the N tokens,
/// to <c>[B, Units, D]</c>. PyTorch's <c>nn.Linear(N, Units)</c> on <c>x.transpose(1, 2)</c>, transposed back; parameters
/// <c>weight</c> <c>[Units, N]</c> (Xavier uniform) and <c>bias</c> <c>[Units]</c> (zeros). A Mixer block's token MLP is two of
/// them around a GELU, the second back to N (docs/vision.md).
/// </summary>
/// <param name="units">Output tokens.</param>
public sealed class TokenMixingAttribute(int units) : LayerAttribute
{
    /// <summary>Output tokens (the hidden size of the token MLP, or N to map back).</summary>
    public int Units { get; } = units;

    /// <summary>Whether the layer adds a learned bias per output token.</summary>
    public bool Bias { get; set; } = true;
}
