using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>Shape rules of the recurrent encoder and decoder (RNN seq2seq).</summary>
internal sealed partial class ModelPlanner
{
    /// <summary>RecurrentCell values: Rnn 0, Gru 1, Lstm 2.</summary>
    private static long Gates(long cell) => cell switch
    {
        0 => 1,
        2 => 4,
        _ => 3,
    };

    private static string CellName(long cell) => cell switch
    {
        0 => "RNN",
        2 => "LSTM",
        _ => "GRU",
    };

    private void PlanRecurrentEncoder(int index, LayerSpec layer, Shape input, string from)
    {
        if (!input.IsFloatSequence)
        {
            Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, "RecurrentEncoder", "a float sequence [B, T, E]", from, input.Named);
            return;
        }

        long hidden = Int(layer, "Hidden", 0);
        long layers = Int(layer, "Layers", 1);
        long cell = Int(layer, "Cell", 1);
        bool ok = CheckRange(layer, "Hidden", hidden, 1, "at least 1");
        ok &= CheckRange(layer, "Layers", layers, 1, "at least 1");
        if (cell is < 0 or > 2)
        {
            Report(DiagnosticDescriptors.ArgumentOutOfRange, At(layer, "Cell"), layer.Name, "Cell", cell, "a RecurrentCell value");
            ok = false;
        }

        if (!ok)
        {
            return;
        }

        bool bidirectional = Bool(layer, "Bidirectional", false);
        long directions = bidirectional ? 2 : 1;
        long gates = Gates(cell);
        string path = Naming.SnakeCase(layer.Name);
        var parameters = new List<PendingParameter>();
        long inputWidth = input.Last.Size;
        long flops = 0;
        for (long k = 0; k < layers; k++)
        {
            long width = k == 0 ? inputWidth : hidden * directions;
            for (long direction = 0; direction < directions; direction++)
            {
                string suffix = "_l" + k.ToString(CultureInfo.InvariantCulture) + (direction == 1 ? "_reverse" : string.Empty);
                parameters.Add(Param(path + ".weight_ih" + suffix, InitKind.XavierUniform, gates * hidden, width));
                parameters.Add(Param(path + ".weight_hh" + suffix, InitKind.XavierUniform, gates * hidden, hidden));
                parameters.Add(Param(path + ".bias_ih" + suffix, InitKind.Zeros, gates * hidden));
                parameters.Add(Param(path + ".bias_hh" + suffix, InitKind.Zeros, gates * hidden));
                flops = Sizes.Add(flops, Sizes.Multiply(2, input.Dims[1].Size, gates * hidden, width + hidden));
            }
        }

        Shape output = input.WithLast(new Dim(layer.Argument("Hidden")?.Symbol is { } symbol && directions == 1 ? symbol : null, hidden * directions, DimKind.Static));
        if (!CheckTensor(layer, "the output " + output.Named, output.MaxElements))
        {
            return;
        }

        string details = CellName(cell) + ", " + layers.ToString(CultureInfo.InvariantCulture) + " layer(s)" + (bidirectional ? ", bidirectional" : string.Empty) + ", final state [B, " + (hidden * directions).ToString(CultureInfo.InvariantCulture) + "]";
        Complete(index, input, output, [Group(layer.Name, input, output, [.. parameters])], [("output", output)], flops, details);
    }

    private void PlanRecurrentDecoder(int index, LayerSpec layer, Shape input, string from)
    {
        if (!input.IsFloatSequence)
        {
            Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, "RecurrentDecoder", "a float sequence [B, T, E] (the embedded decoder input)", from, input.Named);
            return;
        }

        long hidden = Int(layer, "Hidden", 0);
        long cell = Int(layer, "Cell", 1);
        long attention = Int(layer, "Attention", 1);
        bool ok = CheckRange(layer, "Hidden", hidden, 1, "at least 1");
        if (cell is < 0 or > 2)
        {
            Report(DiagnosticDescriptors.ArgumentOutOfRange, At(layer, "Cell"), layer.Name, "Cell", cell, "a RecurrentCell value");
            ok = false;
        }

        if (attention is < 0 or > 3)
        {
            Report(DiagnosticDescriptors.ArgumentOutOfRange, At(layer, "Attention"), layer.Name, "Attention", attention, "a RecurrentAttention value");
            ok = false;
        }

        if (!ok)
        {
            return;
        }

        if (layer.Argument("Memory") is not { Kind: ArgumentKind.String, Text: { } memoryName })
        {
            Report(DiagnosticDescriptors.MemoryMismatch, layer.AttributeLocation, layer.Name, "(none)", "nothing", "a [RecurrentDecoder] needs Memory = nameof(a [RecurrentEncoder]) for its initial state and attention");
            return;
        }

        int memoryIndex = Resolve(index, "Memory", memoryName);
        if (memoryIndex < 0 || _outputs[memoryIndex] is not { } memory)
        {
            return;
        }

        LayerSpec encoder = _spec.Layers[memoryIndex];
        if (encoder.Kind != LayerKind.RecurrentEncoder)
        {
            Report(DiagnosticDescriptors.MemoryMismatch, At(layer, "Memory"), layer.Name, memoryName, memory.Named, "a [RecurrentDecoder] reads a [RecurrentEncoder] (its final state starts the decoder), not [" + KnownNames.AttributeName(encoder.Kind) + "]");
            return;
        }

        long m = memory.Last.Size;
        if (attention == 2 && m != hidden)
        {
            Report(DiagnosticDescriptors.MemoryMismatch, At(layer, "Memory"), layer.Name, memoryName, memory.Named, "Luong dot attention needs encoder states as wide as the decoder state (Hidden " + hidden.ToString(CultureInfo.InvariantCulture) + ")");
            return;
        }

        _memoryNames[index] = encoder.Name;
        long e = input.Last.Size;
        long a = attention == 1 ? Int(layer, "AttentionSize", 0) : 0;
        if (attention == 1)
        {
            if (layer.Argument("AttentionSize") is not null && !CheckRange(layer, "AttentionSize", a, 0, "at least 1 (or 0 for Hidden)"))
            {
                return;
            }

            a = a == 0 ? hidden : a;
        }

        long gates = Gates(cell);
        string path = Naming.SnakeCase(layer.Name);
        long cellInput = attention == 1 ? e + m : e;
        var parameters = new List<PendingParameter>
        {
            Param(path + ".weight_ih", InitKind.XavierUniform, gates * hidden, cellInput),
            Param(path + ".weight_hh", InitKind.XavierUniform, gates * hidden, hidden),
            Param(path + ".bias_ih", InitKind.Zeros, gates * hidden),
            Param(path + ".bias_hh", InitKind.Zeros, gates * hidden),
        };
        switch (attention)
        {
            case 1:
                parameters.Add(Param(path + ".attention.state_weight", InitKind.XavierUniform, a, hidden));
                parameters.Add(Param(path + ".attention.memory_weight", InitKind.XavierUniform, a, m));
                parameters.Add(Param(path + ".attention.score", InitKind.XavierUniform, 1, a));
                break;
            case 2:
                parameters.Add(Param(path + ".attention.combine_weight", InitKind.XavierUniform, hidden, m + hidden));
                break;
            case 3:
                parameters.Add(Param(path + ".attention.memory_weight", InitKind.XavierUniform, hidden, m));
                parameters.Add(Param(path + ".attention.combine_weight", InitKind.XavierUniform, hidden, m + hidden));
                break;
        }

        // The encoder's final state [B, F] starts the decoder: directly when F = Hidden, else through tanh(W_b f + b_b).
        long final = Int(encoder, "Hidden", 0) * (Bool(encoder, "Bidirectional", false) ? 2 : 1);
        if (final != hidden)
        {
            parameters.Add(Param(path + ".bridge.weight", InitKind.XavierUniform, hidden, final));
            parameters.Add(Param(path + ".bridge.bias", InitKind.Zeros, hidden));
        }

        long outputWidth = attention == 1 ? hidden + m : hidden;
        Shape output = input.WithLast(new Dim(null, outputWidth, DimKind.Static));
        if (!CheckTensor(layer, "the output " + output.Named, output.MaxElements))
        {
            return;
        }

        long t = input.Dims[1].Size;
        long s = memory.Dims[1].Size;
        long flops = Sizes.Multiply(2, t, gates * hidden, cellInput + hidden);
        flops = Sizes.Add(flops, Sizes.Multiply(4, t, s, System.Math.Max(m, a)));
        string[] names = ["none", "Bahdanau", "Luong dot", "Luong general"];
        string details = CellName(cell) + ", attention " + names[attention] + ", memory " + memoryName + (final != hidden ? ", bridge " + final.ToString(CultureInfo.InvariantCulture) + " -> " + hidden.ToString(CultureInfo.InvariantCulture) : string.Empty);
        Complete(index, input, output, [Group(layer.Name, input, output, [.. parameters])], [("output", output)], flops, details);
    }
}
