namespace ModelDsl;

/// <summary>Element-wise activation of a layer, named as PyTorch names them.</summary>
public enum Activation
{
    /// <summary>Identity.</summary>
    None = 0,

    /// <summary><c>max(0, x)</c>.</summary>
    Relu,

    /// <summary>Exact GELU (PyTorch <c>approximate='none'</c>).</summary>
    Gelu,

    /// <summary>Tanh-approximated GELU (PyTorch <c>approximate='tanh'</c>).</summary>
    GeluTanh,

    /// <summary><c>tanh(x)</c>.</summary>
    Tanh,

    /// <summary><c>1 / (1 + e^-x)</c>.</summary>
    Sigmoid,

    /// <summary>Leaky ReLU with slope 0.01.</summary>
    LeakyRelu,

    /// <summary>
    /// Randomized leaky ReLU (<c>nn.RReLU</c>): in training each negative element gets its own slope drawn uniformly from
    /// <c>[Lower, Upper]</c> (default <c>[1/8, 1/3]</c>), in evaluation the slope <c>(Lower + Upper) / 2</c>. Only as a layer,
    /// <c>[Activation(Activation.RRelu)]</c> (it saves one slope per element); not fused into a Dense or a Transformer.
    /// </summary>
    RRelu,
}
