using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [RecurrentDecoder(Hidden, Memory = nameof(encoder))]: a teacher-forced recurrent decoder started from a [RecurrentEncoder]'s
/// final state (through a tanh bridge when the widths differ), with Bahdanau (default), Luong dot or Luong general attention
/// over the encoder states, or none. Autoregressive: it feeds its predictions back as its input.
/// </summary>
internal sealed class RecurrentDecoderLayer : LayerDescriptor
{
    /// <summary>RecurrentAttention values.</summary>
    public const int NoAttention = 0, Bahdanau = 1, LuongDot = 2, LuongGeneral = 3;

    public static readonly RecurrentDecoderLayer Instance = new();

    private RecurrentDecoderLayer()
    {
    }

    public override LayerKind Kind => LayerKind.RecurrentDecoder;

    public override string HandleType => "RecurrentDecoderLayer";

    public override bool IsAutoregressive(LayerSpec layer) => true;

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        if (!input.IsFloatSequence)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, "RecurrentDecoder", "a float sequence [B, T, E] (the embedded decoder input)", c.From, input.Named);
            return;
        }

        long hidden = c.Int("Hidden", 0);
        long cell = c.Int("Cell", RecurrentCells.Gru);
        long attention = c.Int("Attention", Bahdanau);
        bool ok = c.CheckRange("Hidden", hidden, 1, "at least 1");
        if (cell is < 0 or > 2)
        {
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Cell"), layer.Name, "Cell", cell, "a RecurrentCell value");
            ok = false;
        }

        if (attention is < 0 or > 3)
        {
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Attention"), layer.Name, "Attention", attention, "a RecurrentAttention value");
            ok = false;
        }

        if (!ok)
        {
            return;
        }

        if (layer.Text("Memory") is not { } memoryName)
        {
            c.Report(DiagnosticDescriptors.MemoryMismatch, layer.AttributeLocation, layer.Name, "(none)", "nothing", "a [RecurrentDecoder] needs Memory = nameof(a [RecurrentEncoder]) for its initial state and attention");
            return;
        }

        int memoryIndex = c.Resolve("Memory", memoryName);
        if (memoryIndex < 0 || c.OutputOf(memoryIndex) is not { } memory)
        {
            return;
        }

        LayerSpec encoder = c.LayerAt(memoryIndex);
        if (encoder.Kind != LayerKind.RecurrentEncoder)
        {
            c.Report(DiagnosticDescriptors.MemoryMismatch, c.At("Memory"), layer.Name, memoryName, memory.Named, "a [RecurrentDecoder] reads a [RecurrentEncoder] (its final state starts the decoder), not [" + KnownNames.AttributeName(encoder.Kind) + "]");
            return;
        }

        long m = memory.Last.Size;
        if (attention == LuongDot && m != hidden)
        {
            c.Report(DiagnosticDescriptors.MemoryMismatch, c.At("Memory"), layer.Name, memoryName, memory.Named, "Luong dot attention needs encoder states as wide as the decoder state (Hidden " + hidden.ToString(CultureInfo.InvariantCulture) + ")");
            return;
        }

        c.SetMemory(encoder.Name);
        long e = input.Last.Size;
        long a = attention == Bahdanau ? c.Int("AttentionSize", 0) : 0;
        if (attention == Bahdanau)
        {
            if (layer.Argument("AttentionSize") is not null && !c.CheckRange("AttentionSize", a, 0, "at least 1 (or 0 for Hidden)"))
            {
                return;
            }

            a = a == 0 ? hidden : a;
        }

        long gates = RecurrentCells.Gates(cell);
        string path = c.Path;
        long cellInput = attention == Bahdanau ? e + m : e;
        var parameters = new List<PendingParameter>
        {
            LayerContext.Param(path + ".weight_ih", InitKind.XavierUniform, gates * hidden, cellInput),
            LayerContext.Param(path + ".weight_hh", InitKind.XavierUniform, gates * hidden, hidden),
            LayerContext.Param(path + ".bias_ih", InitKind.Zeros, gates * hidden),
            LayerContext.Param(path + ".bias_hh", InitKind.Zeros, gates * hidden),
        };
        switch (attention)
        {
            case Bahdanau:
                parameters.Add(LayerContext.Param(path + ".attention.state_weight", InitKind.XavierUniform, a, hidden));
                parameters.Add(LayerContext.Param(path + ".attention.memory_weight", InitKind.XavierUniform, a, m));
                parameters.Add(LayerContext.Param(path + ".attention.score", InitKind.XavierUniform, 1, a));
                break;
            case LuongDot:
                parameters.Add(LayerContext.Param(path + ".attention.combine_weight", InitKind.XavierUniform, hidden, m + hidden));
                break;
            case LuongGeneral:
                parameters.Add(LayerContext.Param(path + ".attention.memory_weight", InitKind.XavierUniform, hidden, m));
                parameters.Add(LayerContext.Param(path + ".attention.combine_weight", InitKind.XavierUniform, hidden, m + hidden));
                break;
        }

        // The encoder's final state [B, F] starts the decoder: directly when F = Hidden, else through tanh(W_b f + b_b).
        long final = RecurrentEncoderLayer.FinalWidth(encoder);
        if (final != hidden)
        {
            parameters.Add(LayerContext.Param(path + ".bridge.weight", InitKind.XavierUniform, hidden, final));
            parameters.Add(LayerContext.Param(path + ".bridge.bias", InitKind.Zeros, hidden));
        }

        long outputWidth = attention == Bahdanau ? hidden + m : hidden;
        Shape output = input.WithLast(new Dim(null, outputWidth, DimKind.Static));
        if (!c.CheckTensor("the output " + output.Named, output.MaxElements))
        {
            return;
        }

        long t = input.Dims[1].Size;
        long s = memory.Dims[1].Size;
        long flops = Sizes.Multiply(2, t, gates * hidden, cellInput + hidden);
        flops = Sizes.Add(flops, Sizes.Multiply(4, t, s, System.Math.Max(m, a)));
        string[] names = ["none", "Bahdanau", "Luong dot", "Luong general"];
        string details = RecurrentCells.Name(cell) + ", attention " + names[attention] + ", memory " + memoryName + (final != hidden ? ", bridge " + final.ToString(CultureInfo.InvariantCulture) + " -> " + hidden.ToString(CultureInfo.InvariantCulture) : string.Empty);
        c.Complete(output, [LayerContext.Group(layer.Name, input, output, [.. parameters])], [("output", output)], flops, details);
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions neutral)
    {
        long hidden = layer.Int("Hidden", 0);
        long attention = layer.Int("Attention", Bahdanau);
        return neutral with
        {
            Cell = (int)layer.Int("Cell", RecurrentCells.Gru),
            Hidden = hidden,
            RecurrentAttention = (int)attention,
            AttentionSize = attention == Bahdanau ? (layer.Int("AttentionSize", 0) is > 0 and var size ? size : hidden) : 0,
        };
    }
}
