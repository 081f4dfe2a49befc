using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// What a layer descriptor's <c>WritePyTorch</c> writes into: the exported module's <c>__init__</c> lines and <c>forward</c> lines,
/// and the Python names of the values the forward has computed so far (layer outputs, each sequence input's lengths, length,
/// ids and adjacency, a recurrent encoder's final state). Lines are written without the method's indentation.
/// </summary>
internal sealed class PyTorchContext
{
    private readonly Dictionary<string, LayerPlan> _layers = new(System.StringComparer.Ordinal);

    public PyTorchContext(ModelPlan plan)
    {
        Plan = plan;
        foreach (LayerPlan layer in plan.Layers)
        {
            _layers[layer.Name] = layer;
        }
    }

    public ModelPlan Plan { get; }

    /// <summary>Lines of <c>__init__</c> after <c>super().__init__()</c>.</summary>
    public List<string> Init { get; } = [];

    /// <summary>Lines of <c>forward(self, batch)</c> after the prologue that reads the batch.</summary>
    public List<string> Forward { get; } = [];

    /// <summary>The layer named <paramref name="name"/>.</summary>
    public LayerPlan Layer(string name) => _layers[name];

    /// <summary>The submodule of the layer: <c>self.{path}</c> (its state-dict prefix).</summary>
    public static string Self(LayerPlan layer) => "self." + layer.Path;

    /// <summary>The forward's variable holding the layer's output.</summary>
    public static string Out(LayerPlan layer) => "h_" + layer.Path;

    /// <summary>The forward's variable holding the output of the layer <paramref name="layer"/> reads.</summary>
    public string In(LayerPlan layer) => Out(Layer(layer.Options.Source!));

    /// <summary>The forward's variable holding the final state <c>[B, F]</c> of a recurrent encoder.</summary>
    public static string Final(LayerPlan encoder) => "final_" + encoder.Path;

    /// <summary>The lengths <c>[B]</c> (int64) of the sequence input <paramref name="input"/>.</summary>
    public static string Lengths(string input) => "lengths_" + Naming.SnakeCase(input);

    /// <summary>The batch's longest length of the sequence input (the T every [B, T, ...] tensor of it has).</summary>
    public static string T(string input) => "t_" + Naming.SnakeCase(input);

    /// <summary>The adjacency <c>[B, T, T]</c> (bool, true = may attend) of the sequence input, for Graph masks.</summary>
    public static string Adjacency(string input) => "adjacency_" + Naming.SnakeCase(input);

    /// <summary>The sequence input whose lengths the layer's output follows.</summary>
    public static string SequenceOf(LayerPlan layer) => layer.Output.Source ?? throw new System.InvalidOperationException(layer.Name + " has no sequence");

    /// <summary>A Python float literal that reads back as the same float32.</summary>
    public static string Float(float value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOf('.') >= 0 || text.IndexOf('E') >= 0 ? text.Replace("E", "e") : text + ".0";
    }

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "True" : "False";

    /// <summary>The Python function of the DSL's Activation value (None 0, Relu 1, Gelu 2, GeluTanh 3, Tanh 4, Sigmoid 5, LeakyRelu 6).</summary>
    public static string Activation(int activation) => "ACTIVATIONS[" + Int(activation) + "]";

    /// <summary>
    /// The <c>[B, T, T]</c> bool mask (true = may attend) of a self-attention over <paramref name="sequence"/> with the <c>Masks</c>
    /// flags <paramref name="mask"/> (Causal 1, KeyPadding 2, LocalWindow 4, Graph 8).
    /// </summary>
    public static string SelfMask(int mask, long radius, string sequence)
    {
        var arguments = new List<string> { Lengths(sequence), T(sequence), T(sequence) };
        if ((mask & 1) != 0)
        {
            arguments.Add("causal=True");
        }

        if ((mask & 2) != 0)
        {
            arguments.Add("key_padding=True");
        }

        if ((mask & 4) != 0)
        {
            arguments.Add("radius=" + Int(radius));
        }

        if ((mask & 8) != 0)
        {
            arguments.Add("adjacency=" + Adjacency(sequence));
        }

        return "allowed_mask(" + string.Join(", ", arguments) + ")";
    }

    /// <summary>The <c>[B, T, S]</c> mask of a cross-attention from <paramref name="queries"/> to <paramref name="memory"/>'s valid positions.</summary>
    public static string MemoryMask(string queries, string memory) =>
        "allowed_mask(" + Lengths(memory) + ", " + T(queries) + ", " + T(memory) + ", key_padding=True)";
}
