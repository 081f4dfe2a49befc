using System.Collections.Generic;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>How the emitted code names the arena: one offset constant per buffer (<c>Arena.encoder_layers_0_self_attn_q</c>) and shapes in the dimension names of the code.</summary>
internal sealed partial class TrainingEmitter
{
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
