namespace ModelDsl.Kernels;

/// <summary>Element-wise activations, named as PyTorch names them.</summary>
public enum ActivationKind
{
    /// <summary>Identity.</summary>
    None = 0,

    /// <summary><c>max(0, x)</c>.</summary>
    ReLU,

    /// <summary><c>x</c> for <c>x &gt; 0</c>, else <c>slope · x</c> (PyTorch default slope 0.01).</summary>
    LeakyReLU,

    /// <summary>Exact GELU: <c>x · Φ(x) = x/2 · (1 + erf(x/√2))</c> (PyTorch <c>approximate='none'</c>).</summary>
    Gelu,

    /// <summary>Tanh-approximated GELU: <c>x/2 · (1 + tanh(√(2/π)(x + 0.044715 x³)))</c> (PyTorch <c>approximate='tanh'</c>).</summary>
    GeluTanh,

    /// <summary><c>tanh(x)</c>.</summary>
    Tanh,

    /// <summary><c>1 / (1 + e^-x)</c>.</summary>
    Sigmoid,
}
