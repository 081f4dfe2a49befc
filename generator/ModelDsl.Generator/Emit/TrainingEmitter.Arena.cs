using System;
using System.Collections.Generic;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// The activation arena: laid out once, by the planner (<see cref="WithTrainingArena"/>: the descriptors' training code declares
/// every buffer it needs through <see cref="Alloc(string, Sequence?, long)"/>), and read back by the trainer, whose every
/// buffer must be the plan's next one (same name, same length). The emitted code names each buffer by an offset constant
/// (<c>Arena.encoder_layers_0_self_attn_q</c>) and writes shapes in the dimension names of the code.
/// </summary>
internal sealed partial class TrainingEmitter
{
    /// <summary>
    /// <paramref name="plan"/> with the activation arena the trainer uses: every buffer the layers' training code (and the
    /// loss) allocates, in the order it allocates them, each 16-float aligned, listed under the layer that allocates it
    /// (inputs under their input layer, the loss under the head). <see cref="ModelPlan.ActivationBlockLength"/> becomes its length.
    /// </summary>
    internal static ModelPlan WithTrainingArena(ModelPlan plan)
    {
        var emitter = new TrainingEmitter(plan, layout: true);
        emitter.Walk();
        var byLayer = new Dictionary<string, List<ActivationPlan>>(StringComparer.Ordinal);
        foreach ((string layer, ActivationPlan activation) in emitter._laidOut)
        {
            if (!byLayer.TryGetValue(layer, out List<ActivationPlan>? list))
            {
                byLayer[layer] = list = [];
            }

            list.Add(activation);
        }

        var layers = new List<LayerPlan>();
        foreach (LayerPlan layer in plan.Layers)
        {
            layers.Add(layer with { Activations = byLayer.TryGetValue(layer.Name, out List<ActivationPlan>? list) ? list.ToEquatableArray() : EquatableArray<ActivationPlan>.Empty });
        }

        return plan with { Layers = layers.ToEquatableArray(), ActivationBlockLength = emitter._arenaLength };
    }

    internal Buffer Alloc(string name, Sequence? sequence, long width)
    {
        long max = MaxRows(sequence) * width;
        string length = Rows(sequence) + (width == 1 ? string.Empty : " * " + Literals.Int(width));
        return Alloc(name, max, length, BatchShape(sequence?.Input, width));
    }

    /// <summary>
    /// The arena's next buffer: <paramref name="maxLength"/> floats at MaxBatch and the maximum lengths, sliced to the
    /// run-time <paramref name="length"/>. Laying out, it takes the next aligned offset; emitting, it is the plan's next buffer.
    /// </summary>
    internal Buffer Alloc(string name, long maxLength, string length, Shape? shape = null)
    {
        int offset;
        if (_layout)
        {
            offset = _arenaLength;
            long end = (offset + maxLength + 15) / 16 * 16;
            if (end > int.MaxValue)
            {
                throw new InvalidOperationException("the training arena exceeds 2^31 floats at MaxBatch; lower MaxBatch or the maximum length");
            }

            _arenaLength = (int)end;
            shape ??= Shape.Create(false, null, new Dim(null, maxLength, DimKind.Static));
            _laidOut.Add((_layer ?? InputLayer(name), new ActivationPlan(name, shape, offset, (int)maxLength)));
        }
        else
        {
            ActivationPlan? planned = _allocated < _planned.Count ? _planned[_allocated] : null;
            if (planned is null || planned.Name != name || planned.Length != maxLength)
            {
                throw new InvalidOperationException("activation '" + name + "' (" + maxLength + " floats) is not the plan's next buffer ('" + planned?.Name + "')");
            }

            offset = planned.Offset;
            _arenaLength = _plan.ActivationBlockLength;
        }

        _allocated++;
        string field = Identifiers.Escape(Identifier(name));
        for (int i = 2; !_fields.Add(field); i++)
        {
            field = Identifier(name) + "_" + Literals.Int(i);
        }

        var buffer = new Buffer(name, field, offset, maxLength, length);
        _buffers.Add(buffer);
        return buffer;
    }

    /// <summary>The input layer whose copied input the buffer <paramref name="name"/> (<c>{input}.input</c>) holds.</summary>
    private string InputLayer(string name)
    {
        foreach (InputPlan input in _plan.Inputs)
        {
            if (name == Naming.SnakeCase(input.Name) + ".input")
            {
                return input.Name;
            }
        }

        throw new InvalidOperationException("buffer '" + name + "' is allocated outside a layer");
    }

    /// <summary>The planner's shape <c>[B,T,width]</c> (<c>[B,width]</c> without <paramref name="input"/>), its dimensions named as the layers' shapes name them.</summary>
    private Shape BatchShape(InputPlan? input, long width)
    {
        var batch = new Dim("B", _plan.MaxBatch, DimKind.Batch);
        var last = new Dim(null, width, DimKind.Static);
        if (input is null)
        {
            return Shape.Create(false, null, batch, last);
        }

        return Shape.Create(false, input.Name, batch, SequenceDim(input), last);
    }

    /// <summary>The sequence dimension of <paramref name="input"/> as the planner names it (<c>SourceLength</c>).</summary>
    private Dim SequenceDim(InputPlan input)
    {
        foreach (LayerPlan layer in _plan.Layers)
        {
            if (layer.Output.HasSequence && layer.Output.Source == input.Name)
            {
                return layer.Output.Dims[1];
            }
        }

        return new Dim("T", input.MaxLength, DimKind.Sequence);
    }

    /// <summary>The shape <c>[B,H,Tq,Tk]</c> of attention probabilities.</summary>
    internal Shape ProbabilitiesShape(Sequence query, Sequence key, long heads) => Shape.Create(
        false,
        query.Input.Name,
        new Dim("B", _plan.MaxBatch, DimKind.Batch),
        new Dim(null, heads, DimKind.Static),
        SequenceDim(query.Input),
        SequenceDim(key.Input));
    /// <summary>The trainer's nested class holding one offset constant per activation buffer.</summary>
    internal const string ArenaClass = "Arena";

    /// <summary>
    /// Writes the trainer's <c>Arena</c> class: the offset of every activation buffer in the arena <c>a</c> (the same in its
    /// gradient <c>d</c>), named after what it holds, with the slice length the code takes and its maximum.
    /// </summary>
    internal void WriteArena(SourceWriter writer)
    {
        writer.Line("/// <summary>");
        writer.Line("/// Float offsets of the activations in the arena <c>a</c> and its gradient <c>d</c> (same layout), planned for MaxBatch and the");
        writer.Line("/// inputs' maximum lengths; the forward and backward take slices as long as the actual batch needs (the comment).");
        writer.Line("/// </summary>");
        writer.Open("private static class " + ArenaClass);
        foreach (Buffer buffer in _buffers)
        {
            writer.Line("public const int " + buffer.Field + " = " + Literals.Int(buffer.Offset) + "; // " + buffer.Length + " floats, at most " + Literals.Count(buffer.MaxLength));
        }

        writer.Close();
    }

    /// <summary>
    /// Writes the trainer's public <c>Activation(name)</c>: a saved buffer of the last forward pass by its <c>Arena</c> name,
    /// sliced as the forward wrote it (the batch's rows and each sequence at its longest row), so a user can read what the
    /// code keeps anyway (attention probabilities, pooled features) without a second forward.
    /// </summary>
    internal void WriteActivationAccessor(SourceWriter writer, string model)
    {
        writer.Line("/// <summary>");
        writer.Line("/// A saved activation of the last forward pass (<c>Step</c>, <c>ComputeGradients</c> or <c>Evaluate</c>) by its name in the trainer's");
        writer.Line("/// arena, e.g. <c>encoder_layers_0_self_attn_probs</c> (<c>[B, heads, T, T]</c>): row-major, packed for the pass's");
        writer.Line("/// <see cref=\"BatchCount\"/> rows and each sequence at its longest row; empty before the first pass; overwritten by the next.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"name\">The buffer's name, as in <see cref=\"ActivationNames\"/>.</param>");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">No buffer has that name.</exception>");
        writer.Open("public global::System.ReadOnlySpan<float> Activation(string name)");
        writer.Line("int B = __b;");
        foreach (Sequence sequence in _sequences)
        {
            writer.Line("int " + sequence.T + " = " + sequence.Field + ";");
            writer.Line("int " + sequence.BT + " = B * " + sequence.T + ";");
        }

        writer.Line("global::System.ReadOnlySpan<float> a = __activations.Span;");
        writer.Line("return name switch");
        writer.Line("{");
        writer.Indent();
        foreach (Buffer buffer in _buffers)
        {
            writer.Line("\"" + buffer.Field + "\" => " + buffer.A + ",");
        }

        writer.Line("_ => throw new global::System.ArgumentException(\"" + model + ".Trainer has no activation named '\" + name + \"'; see ActivationNames.\", nameof(name)),");
        writer.Unindent();
        writer.Line("};");
        writer.Close();
        writer.Line();
        writer.Line("/// <summary>The names <see cref=\"Activation\"/> takes, in arena order.</summary>");
        writer.Line("public static global::System.Collections.Generic.IReadOnlyList<string> ActivationNames => __activationNames;");
        writer.Line();
        writer.Open("private static readonly string[] __activationNames =");
        foreach (Buffer buffer in _buffers)
        {
            writer.Line("\"" + buffer.Field + "\",");
        }

        writer.Close(";");
    }

    /// <summary><paramref name="shape"/> in the emitted code's dimension names: <c>B</c>, each sequence's <c>T</c> (<c>[B,TSource,64]</c>), sizes.</summary>
    internal string Dims(Shape shape)
    {
        var parts = new List<string>();
        foreach (Dim dim in shape.Dims)
        {
            parts.Add(dim.Kind switch
            {
                DimKind.Batch => "B",
                DimKind.Sequence when shape.Source is { } source && FindSequence(source) is { } sequence => sequence.T,
                _ => dim.Compact,
            });
        }

        return "[" + string.Join(",", parts) + "]";
    }

    /// <summary>The shape <c>[B,T,width]</c> (or <c>[B,width]</c> without a sequence) of a buffer of <paramref name="width"/> floats per row.</summary>
    internal static string Dims(Sequence? sequence, long width) =>
        "[B," + (sequence is null ? string.Empty : sequence.T + ",") + Literals.Int(width) + "]";

    /// <summary>A buffer name as a C# identifier: <c>encoder.layers.0.self_attn.q</c> -> <c>encoder_layers_0_self_attn_q</c>.</summary>
    private static string Identifier(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 1);
        foreach (char c in name)
        {
            builder.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' ? c : '_');
        }

        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }
}
