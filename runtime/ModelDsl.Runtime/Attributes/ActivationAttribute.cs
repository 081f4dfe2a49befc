namespace ModelDsl;

/// <summary>
/// An element-wise activation as a layer of its own, as PyTorch's <c>nn.ReLU</c>, <c>nn.GELU</c>, <c>nn.GELU(approximate='tanh')</c>,
/// <c>nn.Tanh</c>, <c>nn.Sigmoid</c> and <c>nn.LeakyReLU(negative_slope)</c>: <c>[Activation(Activation.Gelu)]</c> after any float
/// layer, <c>[B, D]</c> or <c>[B, T, D]</c> to the same shape, no parameters. A <c>[Dense(..., Activation = ...)]</c> computes the
/// same function fused into its output; this layer is for activations between other layers (after a norm, a pool, an input).
/// </summary>
/// <param name="activation">The function (not <see cref="Activation.None"/>).</param>
public sealed class ActivationAttribute(Activation activation) : LayerAttribute
{
    /// <summary>The function.</summary>
    public Activation Activation { get; } = activation;

    /// <summary>The negative slope of <see cref="Activation.LeakyRelu"/> (PyTorch's <c>negative_slope</c>, default 0.01); only with LeakyRelu.</summary>
    public float Slope { get; set; } = 0.01f;

    /// <summary>The lower bound of <see cref="Activation.RRelu"/>'s random slope (PyTorch's <c>lower</c>, default 1/8); only with RRelu.</summary>
    public float Lower { get; set; } = 0.125f;

    /// <summary>The upper bound of <see cref="Activation.RRelu"/>'s random slope (PyTorch's <c>upper</c>, default 1/3); only with RRelu.</summary>
    public float Upper { get; set; } = 1f / 3f;
}
