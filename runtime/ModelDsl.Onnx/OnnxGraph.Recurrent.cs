using System;

namespace ModelDsl.Onnx;

/// <summary>Recurrent encoders: ONNX's RNN, GRU and LSTM operators over PyTorch's <c>nn.RNN</c>/<c>nn.GRU</c>/<c>nn.LSTM</c> parameters.</summary>
public sealed partial class OnnxGraph
{
    /// <summary>
    /// A stacked, optionally bidirectional recurrent encoder over <c>x [B, T, E]</c> with valid <paramref name="lengths"/>: returns the
    /// output <c>[B, T, directions × H]</c> (named <paramref name="output"/>; padded positions 0) and the last layer's final state in
    /// PyTorch's <c>h_n</c> layout flattened to <c>[B, directions × H]</c> (forward at the last valid position, reverse at position 0).
    /// </summary>
    /// <param name="output">The output's name (intermediate values are named after it).</param>
    /// <param name="x">The input sequence <c>[B, T, E]</c>.</param>
    /// <param name="lengths">Valid lengths, int64 <c>[B]</c>.</param>
    /// <param name="cell">ModelDsl's <c>RecurrentCell</c>: 0 RNN (tanh), 1 GRU, 2 LSTM.</param>
    /// <param name="hidden">H, the state width per direction.</param>
    /// <param name="bidirectional">Whether each layer also runs in reverse.</param>
    /// <param name="parameters">Per layer and direction (<c>[layer * directions + direction]</c>): weight_ih, weight_hh, bias_ih, bias_hh (PyTorch gate order).</param>
    public (string Output, string Final) Recurrent(string output, string x, string lengths, int cell, long hidden, bool bidirectional,
        (string WeightIh, string WeightHh, string BiasIh, string BiasHh)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int directions = bidirectional ? 2 : 1;
        if (parameters.Length == 0 || parameters.Length % directions != 0)
        {
            throw new ArgumentException("expected layers × " + directions + " parameter sets", nameof(parameters));
        }

        (string op, long[] order) = cell switch
        {
            0 => ("RNN", new long[] { 0 }),
            1 => ("GRU", new long[] { 1, 0, 2 }),    // PyTorch r, z, n -> ONNX z, r, h
            2 => ("LSTM", new long[] { 0, 3, 1, 2 }), // PyTorch i, f, g, o -> ONNX i, o, f, c
            _ => throw new ArgumentOutOfRangeException(nameof(cell), cell, "unknown RecurrentCell"),
        };

        string sequenceLengths = Node("Cast", output + "/sequence_lens", [lengths], ("to", 6L)); // int32
        string sequence = Node("Transpose", output + "/time_major", [x], ("perm", new long[] { 1, 0, 2 }));
        int layers = parameters.Length / directions;
        string final = string.Empty;
        for (int k = 0; k < layers; k++)
        {
            string at = output + "/l" + k;
            var w = new string[directions];
            var r = new string[directions];
            var b = new string[directions];
            for (int d = 0; d < directions; d++)
            {
                (string wih, string whh, string bih, string bhh) = parameters[(k * directions) + d];
                string dir = at + "/d" + d;
                w[d] = Node("Unsqueeze", dir + "/W", [Reorder(dir + "/w", wih, order, hidden), Ints(dir, 0)]);
                r[d] = Node("Unsqueeze", dir + "/R", [Reorder(dir + "/r", whh, order, hidden), Ints(dir, 0)]);
                string biases = Node("Concat", dir + "/b", [Reorder(dir + "/bi", bih, order, hidden), Reorder(dir + "/bh", bhh, order, hidden)], ("axis", 0L));
                b[d] = Node("Unsqueeze", dir + "/B", [biases, Ints(dir, 0)]);
            }

            string weights = directions == 1 ? w[0] : Node("Concat", at + "/W", w, ("axis", 0L));
            string recurrence = directions == 1 ? r[0] : Node("Concat", at + "/R", r, ("axis", 0L));
            string bias = directions == 1 ? b[0] : Node("Concat", at + "/B", b, ("axis", 0L));
            string[] outputs = cell == 2 ? [at + "/Y", at + "/Y_h", at + "/Y_c"] : [at + "/Y", at + "/Y_h"];
            var attributes = new System.Collections.Generic.List<(string, object)>
            {
                ("hidden_size", hidden),
                ("direction", bidirectional ? "bidirectional" : "forward"),
            };
            if (cell == 1)
            {
                attributes.Add(("linear_before_reset", 1L)); // PyTorch's GRU: r * (W_hn h + b_hn)
            }

            Nodes(op, outputs, [sequence, weights, recurrence, bias, sequenceLengths], [.. attributes]);

            // Y [T, directions, B, H] -> [T, B, directions × H]: the next layer's input (PyTorch concatenates the directions).
            string merged = Node("Transpose", at + "/Y_t", [outputs[0]], ("perm", new long[] { 0, 2, 1, 3 }));
            sequence = Node("Reshape", at + "/out", [merged, Ints(at, 0, 0, -1)]);
            final = outputs[1];
        }

        Node("Transpose", output, [sequence], ("perm", new long[] { 1, 0, 2 }));
        string batchMajor = Node("Transpose", output + "/final_t", [final], ("perm", new long[] { 1, 0, 2 }));
        string finalState = Node("Reshape", output + "/final", [batchMajor, Ints(output, 0, -1)]);
        return (output, finalState);
    }

    /// <summary>The gate blocks (each <paramref name="hidden"/> rows) of a PyTorch weight or bias, in ONNX's gate order.</summary>
    private string Reorder(string output, string tensor, long[] order, long hidden)
    {
        if (order.Length == 1)
        {
            return tensor;
        }

        var chunks = new string[order.Length];
        var sizes = new long[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            chunks[i] = output + "/gate" + i;
            sizes[i] = hidden;
        }

        Nodes("Split", chunks, [tensor, Ints(output, sizes)], ("axis", 0L));
        var reordered = new string[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            reordered[i] = chunks[order[i]];
        }

        return Node("Concat", output, reordered, ("axis", 0L));
    }
}
