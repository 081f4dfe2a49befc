using System;
using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>Dims, the parameter/state/activation tables, the constructor and initialization.</summary>
internal sealed partial class ModelEmitter
{
    private void WriteDims(SourceWriter writer)
    {
        writer.Line("/// <summary>Largest batch the model is planned for; every buffer is sized for it.</summary>");
        writer.Line("public const int MaxBatch = " + Literals.Int(_plan.MaxBatch) + ";");
        writer.Line();
        writer.Line("/// <summary>Floats the parameters own (tied tensors counted once, alignment padding excluded).</summary>");
        writer.Line("public const int ParameterCount = " + Literals.Int(_plan.ParameterCount) + ";");
        writer.Line();
        writer.Line("/// <summary>Floats in the parameter block, 16-float (64-byte) alignment padding included; gradients and optimizer state use the same layout.</summary>");
        writer.Line("public const int ParameterBlockLength = " + Literals.Int(_plan.ParameterBlockLength) + ";");
        writer.Line();
        writer.Line("/// <summary>Floats in the state block (non-trained buffers such as BatchNorm running statistics).</summary>");
        writer.Line("public const int StateBlockLength = " + Literals.Int(_plan.StateBlockLength) + ";");
        writer.Line();
        writer.Line("/// <summary>Floats in the activation arena at MaxBatch and the maximum sequence lengths.</summary>");
        writer.Line("public const int ActivationBlockLength = " + Literals.Int(_plan.ActivationBlockLength) + ";");
        writer.Line();
        writer.Line("/// <summary>The model's dimensions as constants, so loops over them have fixed bounds.</summary>");
        writer.Line(GeneratedCode);
        writer.Open("public static class Dims");
        bool first = true;
        foreach (DimConstant dim in _plan.Dims)
        {
            if (!first)
            {
                writer.Line();
            }

            first = false;
            writer.Line("/// <summary>" + Literals.Xml(dim.Comment) + ".</summary>");
            writer.Line("public const int " + dim.Name + " = " + Literals.Int(dim.Value) + ";");
        }

        writer.Close();
    }

    private void WriteConstructor(SourceWriter writer)
    {
        writer.Line("private readonly global::ModelDsl.Memory.AlignedBlock __parameters;");
        writer.Line("private readonly global::ModelDsl.Memory.AlignedBlock __state;");
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line("/// Creates the model: allocates the parameter block and initializes it from <paramref name=\"seed\"/> as PyTorch does");
        writer.Line("/// (Xavier-uniform weights, zero biases, unit norm weights, normal(0, 1) embeddings). The same seed gives the same bits.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"seed\">Seed of the counter-based generator; parameter <c>i</c> of the table draws from stream <c>i</c>.</param>");
        writer.Open("public " + Identifiers.Escape(_plan.ClassName) + "(ulong seed)");
        writer.Line("__parameters = new global::ModelDsl.Memory.AlignedBlock(ParameterBlockLength);");
        writer.Line("__state = new global::ModelDsl.Memory.AlignedBlock(StateBlockLength);");
        writer.Line("__Initialize(__parameters.Span, __state.Span, seed);");
        writer.Close();
        writer.Line();
        writer.Line("/// <summary>The parameter block: every tensor of <see cref=\"ParameterTable\"/> at its offset.</summary>");
        writer.Line("public global::ModelDsl.Memory.AlignedBlock Parameters => __parameters;");
        writer.Line();
        writer.Line("/// <summary>The state block: every buffer of <see cref=\"StateTable\"/> at its offset.</summary>");
        writer.Line("public global::ModelDsl.Memory.AlignedBlock State => __state;");
    }

    private void WriteTables(SourceWriter writer)
    {
        writer.Line("/// <summary>The parameter layout: one entry per tensor (PyTorch state_dict name, offset, length, shape).</summary>");
        writer.Line("public static global::System.Collections.Generic.IReadOnlyList<global::ModelDsl.ParameterEntry> ParameterTable => __parameterTable;");
        writer.Line();
        writer.Line("/// <summary>The state layout (non-trained buffers).</summary>");
        writer.Line("public static global::System.Collections.Generic.IReadOnlyList<global::ModelDsl.ParameterEntry> StateTable => __stateTable;");
        writer.Line();
        writer.Line("/// <summary>The activation arena: one entry per buffer, sized for MaxBatch.</summary>");
        writer.Line("public static global::System.Collections.Generic.IReadOnlyList<global::ModelDsl.ParameterEntry> ActivationTable => __activationTable;");
        writer.Line();
        writer.Line("/// <summary>Every declared layer with its shapes, parameters and cost.</summary>");
        writer.Line("public static global::System.Collections.Generic.IReadOnlyList<global::ModelDsl.LayerInfo> LayerTable => __layerTable;");
        writer.Line();

        writer.Open("private static readonly global::ModelDsl.ParameterEntry[] __parameterTable =");
        foreach (LayerPlan layer in _plan.Layers)
        {
            foreach (ParameterGroup group in layer.Groups)
            {
                writer.Line("// " + GroupComment(group));
                foreach (ParameterPlan parameter in group.Parameters)
                {
                    if (parameter.TiedTo is null)
                    {
                        writer.Line(Entry(parameter) + ",");
                    }
                }
            }
        }

        writer.Close(";");
        writer.Line();
        writer.Open("private static readonly global::ModelDsl.ParameterEntry[] __stateTable =");
        foreach (LayerPlan layer in _plan.Layers)
        {
            if (layer.State.Count > 0)
            {
                writer.Line("// " + layer.Name + ": running statistics");
                foreach (ParameterPlan state in layer.State)
                {
                    writer.Line(Entry(state) + ",");
                }
            }
        }

        writer.Close(";");
        writer.Line();
        writer.Open("private static readonly global::ModelDsl.ParameterEntry[] __activationTable =");
        foreach (LayerPlan layer in _plan.Layers)
        {
            if (layer.Activations.Count > 0)
            {
                writer.Line("// " + layer.Name + ": " + layer.Input.Compact + " -> " + layer.Output.Compact);
                foreach (ActivationPlan activation in layer.Activations)
                {
                    var sizes = new List<long>();
                    foreach (Dim dim in activation.Shape.Dims)
                    {
                        sizes.Add(dim.Size);
                    }

                    writer.Line("new(" + Literals.String(activation.Name) + ", " + Literals.Int(activation.Offset) + ", " + Literals.Int(activation.Length) + ", " + Literals.Ints(sizes) + "), // " + activation.Shape.Compact);
                }
            }
        }

        writer.Close(";");
        writer.Line();
        writer.Open("private static readonly global::ModelDsl.LayerInfo[] __layerTable =");
        foreach (LayerPlan layer in _plan.Layers)
        {
            writer.Line("new(");
            writer.Indent();
            writer.Line(Literals.String(layer.Name) + ",");
            writer.Line(Literals.String(layer.Path) + ",");
            writer.Line(Literals.String(Parsing.KnownNames.AttributeName(layer.Kind)) + ",");
            writer.Line(ShapeLiteral(layer.Input) + ",");
            writer.Line(ShapeLiteral(layer.Output) + ",");
            var parameters = new List<ParameterPlan>();
            foreach (ParameterGroup group in layer.Groups)
            {
                parameters.AddRange(group.Parameters);
            }

            if (parameters.Count == 0)
            {
                writer.Line("global::System.Array.Empty<global::ModelDsl.ParameterEntry>(),");
            }
            else
            {
                writer.Open("new global::ModelDsl.ParameterEntry[]");
                foreach (ParameterPlan parameter in parameters)
                {
                    writer.Line(Entry(parameter) + "," + (parameter.TiedTo is null ? string.Empty : " // tied to " + parameter.TiedTo));
                }

                writer.Close(",");
            }

            writer.Line(Literals.Int(layer.ParameterCount) + ",");
            writer.Line(Literals.Int(layer.Flops) + "),");
            writer.Unindent();
        }

        writer.Close(";");
    }

    private static string GroupComment(ParameterGroup group)
    {
        string text = group.Title + ": " + group.Input.Compact + " -> " + group.Output.Compact;
        if (group.Start >= 0)
        {
            text += ", params[" + Literals.Int(group.Start) + ".." + Literals.Int(group.End) + ")";
        }

        foreach (ParameterPlan parameter in group.Parameters)
        {
            if (parameter.TiedTo is not null)
            {
                text += ", " + parameter.Name + " tied to " + parameter.TiedTo;
            }
        }

        return text;
    }

    private static string Entry(ParameterPlan parameter) =>
        "new(" + Literals.String(parameter.Name) + ", " + Literals.Int(parameter.Offset) + ", " + Literals.Int(parameter.Length) + ", " + Literals.Ints(parameter.Shape) + ")";

    private static string ShapeLiteral(Shape shape)
    {
        var sizes = new List<long>();
        foreach (Dim dim in shape.Dims)
        {
            sizes.Add(dim.Size);
        }

        return "new global::ModelDsl.TensorShape(" + Literals.String(shape.Compact) + ", " + Literals.Ints(sizes) + ")";
    }

    private void WriteInitialization(SourceWriter writer)
    {
        writer.Line("// Initialization: stream = the tensor's index in ParameterTable, counter = the element index.");
        writer.Open("private static void __Initialize(global::System.Span<float> parameters, global::System.Span<float> state, ulong seed)");
        foreach (LayerPlan layer in _plan.Layers)
        {
            foreach (ParameterGroup group in layer.Groups)
            {
                foreach (ParameterPlan parameter in group.Parameters)
                {
                    if (parameter.TiedTo is null)
                    {
                        WriteInit(writer, "parameters", parameter);
                    }
                }
            }
        }

        foreach (LayerPlan layer in _plan.Layers)
        {
            foreach (ParameterPlan state in layer.State)
            {
                WriteInit(writer, "state", state);
            }
        }

        writer.Close();
        writer.Line();
        writer.Open("private static void __Uniform(global::System.Span<float> values, ulong seed, ulong stream, float bound)");
        writer.Open("for (int i = 0; i < values.Length; i++)");
        writer.Line("values[i] = ((2f * global::ModelDsl.Randomness.CounterRandom.Uniform(seed, stream, (ulong)i)) - 1f) * bound;");
        writer.Close();
        writer.Close();
        writer.Line();
        writer.Open("private static void __Normal(global::System.Span<float> values, ulong seed, ulong stream)");
        writer.Open("for (int i = 0; i < values.Length; i++)");
        writer.Line("values[i] = (float)global::ModelDsl.Randomness.CounterRandom.Normal(seed, stream, (ulong)i);");
        writer.Close();
        writer.Close();
    }

    private static void WriteInit(SourceWriter writer, string block, ParameterPlan parameter)
    {
        string slice = block + ".Slice(" + Literals.Int(parameter.Offset) + ", " + Literals.Int(parameter.Length) + ")";
        string shape = "[" + Literals.Ints(parameter.Shape) + "]";
        Init init = parameter.Init;
        switch (init.Kind)
        {
            case InitKind.Zeros:
                writer.Line("// " + parameter.Name + " " + shape + ": " + init.Description);
                break;
            case InitKind.Constant:
                writer.Line("// " + parameter.Name + " " + shape + ": " + init.Description);
                writer.Line(slice + ".Fill(" + Literals.Float(init.Value) + ");");
                break;
            case InitKind.Normal:
                writer.Line("// " + parameter.Name + " " + shape + ": " + init.Description);
                writer.Line("__Normal(" + slice + ", seed, " + Literals.Int(parameter.Stream) + ");");
                break;
            case InitKind.XavierUniform:
                float bound = (float)Math.Sqrt(6.0 / (parameter.FanIn + parameter.FanOut));
                writer.Line("// " + parameter.Name + " " + shape + ": " + init.Description + ", bound sqrt(6 / (" + Literals.Int(parameter.FanIn) + " + " + Literals.Int(parameter.FanOut) + "))");
                writer.Line("__Uniform(" + slice + ", seed, " + Literals.Int(parameter.Stream) + ", " + Literals.Float(bound) + ");");
                break;
            default:
                throw new InvalidOperationException("Unknown initialization " + init.Kind.ToString() + " for " + parameter.Name);
        }
    }
}
