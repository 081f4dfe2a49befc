using System.Globalization;

namespace ModelDsl.Generator.Layers;

/// <summary>The DSL's <c>Activation</c> values (None 0, Relu 1, Gelu 2, GeluTanh 3, Tanh 4, Sigmoid 5, LeakyRelu 6).</summary>
internal static class Activations
{
    public const int None = 0;
    public const int Relu = 1;
    public const int Tanh = 4;

    /// <summary>The summary's name of an activation.</summary>
    public static string Name(long activation) => activation switch
    {
        0 => "linear",
        1 => "relu",
        2 => "gelu",
        3 => "gelu (tanh)",
        4 => "tanh",
        5 => "sigmoid",
        6 => "leaky relu",
        _ => "activation " + activation.ToString(CultureInfo.InvariantCulture),
    };
}
