using System;
using System.Collections.Generic;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// What a layer descriptor's ONNX hook writes with (<c>LayerDescriptor.EmitOnnx</c>): the writer of the generated <c>ToOnnx()</c>
/// body, whose lines call the runtime's <c>ModelDsl.Onnx.OnnxGraph</c> <c>g</c>; the values earlier layers produced; and the
/// parameters' emitted initializers. Every value is named in the graph (a layer's output by its state-dict path, e.g. <c>encoder</c>).
/// </summary>
internal sealed class OnnxContext
{
    private readonly Dictionary<string, OnnxFlow> _flows = new(StringComparer.Ordinal);

    public OnnxContext(ModelPlan plan, SourceWriter writer)
    {
        Plan = plan;
        Writer = writer;
    }

    /// <summary>The step graph's int64 <c>[1]</c> input holding the decoded position (0 for the first token).</summary>
    public const string Position = "position";

    public ModelPlan Plan { get; }

    public SourceWriter Writer { get; }

    /// <summary>Records what the layer named <paramref name="layer"/> hands on.</summary>
    public void SetFlow(string layer, OnnxFlow flow) => _flows[layer] = flow;

    /// <summary>What the layer named <paramref name="layer"/> hands on.</summary>
    public OnnxFlow FlowOf(string layer) => _flows[layer];

    /// <summary>What <paramref name="layer"/> reads (its From, or the previous member).</summary>
    public OnnxFlow SourceOf(LayerPlan layer) => _flows[layer.Options.Source!];

    /// <summary>Writes one line of the <c>ToOnnx()</c> body.</summary>
    public void Line(string line) => Writer.Line(line);

    /// <summary>A C# string literal.</summary>
    public static string Quote(string text) => Literals.String(text);

    /// <summary>The expression adding (once) the parameter's initializer: its state-dict name (the owner's, if tied), offset and shape.</summary>
    public static string Param(ParameterPlan parameter) =>
        "g.Param(" + Quote(parameter.TiedTo ?? parameter.Name) + ", " + Literals.Int(parameter.Offset) + ", " + Literals.Ints(parameter.Shape) + ")";

    /// <summary>The expression adding the state tensor's initializer (BatchNorm running statistics).</summary>
    public static string State(ParameterPlan state) =>
        "g.State(" + Quote(state.Name) + ", " + Literals.Int(state.Offset) + ", " + Literals.Ints(state.Shape) + ")";

    /// <summary>The parameter of <paramref name="layer"/> named <paramref name="name"/> (a full state-dict name), or null.</summary>
    public static ParameterPlan? FindParameter(LayerPlan layer, string name)
    {
        foreach (ParameterGroup group in layer.Groups)
        {
            foreach (ParameterPlan parameter in group.Parameters)
            {
                if (parameter.Name == name)
                {
                    return parameter;
                }
            }
        }

        return null;
    }

    /// <summary>The parameter of <paramref name="layer"/> named <paramref name="name"/>; it must exist.</summary>
    public static ParameterPlan Parameter(LayerPlan layer, string name) =>
        FindParameter(layer, name) ?? throw new InvalidOperationException(layer.Name + " has no parameter " + name);

    /// <summary>The <c>Param</c> expression of a parameter that must exist.</summary>
    public static string ParamOf(LayerPlan layer, string name) => Param(Parameter(layer, name));

    /// <summary>The graph's lengths input of a sequence input (created on first use).</summary>
    public static string Lengths(string sequence) => "g.Lengths(" + Quote(sequence) + ")";
}

/// <summary>
/// What a layer hands on in the ONNX graph: the name of its output value, the sequence input it runs along (the graph input whose
/// <c>_lengths</c> and <c>_length</c> dimension apply; null after pooling or for a non-sequence input) and its width.
/// </summary>
internal sealed record OnnxFlow(string Value, string? Sequence, long Width)
{
    /// <summary>A recurrent encoder's final state <c>[B, directions × H]</c> (PyTorch's <c>h_n</c> of the last layer), or null.</summary>
    public string? Final { get; init; }
}
