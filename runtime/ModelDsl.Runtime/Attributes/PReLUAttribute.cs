namespace ModelDsl;

/// <summary>
/// PyTorch's <c>nn.PReLU</c>: <c>x</c> where <c>x &gt; 0</c>, else <c>a · x</c>, with learned slopes <c>weight</c> (initialized to
/// 0.25). <c>[PReLU]</c> learns one shared slope (<c>nn.PReLU()</c>, <c>weight</c> <c>[1]</c>); <c>[PReLU(PerChannel = true)]</c>
/// one per channel (<c>nn.PReLU(num_parameters=C)</c>, <c>weight</c> <c>[C]</c>). ModelDsl is channels-last: a channel is the
/// last (feature) dimension of <c>[B, C]</c> or <c>[B, T, C]</c>. For <c>[B, C]</c> that is PyTorch's channel dimension 1; a
/// PyTorch <c>[B, C, T]</c> tensor is this layer's <c>[B, T, C]</c> transposed, and its <c>weight</c> loads unchanged.
/// </summary>
public sealed class PReLUAttribute : LayerAttribute
{
    /// <summary>One slope per channel (the last dimension) instead of one shared slope.</summary>
    public bool PerChannel { get; set; }

    /// <summary>
    /// PyTorch's <c>num_parameters</c>, checked against the input: 1 (one shared slope) or the last dimension C (one per
    /// channel). Leave it unset to take the count from <see cref="PerChannel"/>.
    /// </summary>
    public int Channels { get; set; }
}
