using System.Globalization;

namespace ModelDsl.Generator.Layers;

/// <summary>The DSL's <c>Activation</c> values (None 0, Relu 1, Gelu 2, GeluTanh 3, Tanh 4, Sigmoid 5, LeakyRelu 6, RRelu 7).</summary>
internal static class Activations
{
    public const int None = 0;
    public const int Relu = 1;
    public const int Tanh = 4;
    public const int LeakyRelu = 6;
    public const int RRelu = 7;

    /// <summary>
    /// Reports an <c>Activation</c> argument a layer cannot fuse into its output (RRelu, which saves a slope per element, or an
    /// unknown value) as MDSL0002 at the argument; returns whether the value is usable.
    /// </summary>
    public static bool CheckFused(Planning.LayerContext c, long activation)
    {
        if (activation is >= None and <= LeakyRelu)
        {
            return true;
        }

        string display = activation == RRelu ? "Activation.RRelu" : activation.ToString(CultureInfo.InvariantCulture);
        c.Report(Diagnostics.DiagnosticDescriptors.ArgumentOutOfRange, c.At("Activation"), c.Layer.Name, "Activation", display,
            "a function without per-element state (None, Relu, Gelu, GeluTanh, Tanh, Sigmoid or LeakyRelu); RRelu goes in an [Activation(Activation.RRelu)] layer of its own");
        return false;
    }

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
        7 => "rrelu",
        _ => "activation " + activation.ToString(CultureInfo.InvariantCulture),
    };
}
