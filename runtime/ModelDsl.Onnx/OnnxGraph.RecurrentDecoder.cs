using System;

namespace ModelDsl.Onnx;

/// <summary>
/// The initializers of one ModelDsl <c>[RecurrentDecoder]</c> (PyTorch <c>nn.GRUCell</c>/<c>nn.LSTMCell</c>/<c>nn.RNNCell</c> names under
/// the layer's path, the attention's under <c>{path}.attention</c>), its cell and its attention.
/// </summary>
/// <param name="Cell">ModelDsl's <c>RecurrentCell</c>: 0 RNN (tanh), 1 GRU, 2 LSTM.</param>
/// <param name="Attention">ModelDsl's <c>RecurrentAttention</c>: 0 none, 1 Bahdanau, 2 Luong dot, 3 Luong general.</param>
/// <param name="Hidden">H, the state width.</param>
/// <param name="WeightIh"><c>weight_ih [G·H, I]</c> (I = E, or E + M with Bahdanau attention: the cell reads <c>[x_t; c_t]</c>).</param>
/// <param name="WeightHh"><c>weight_hh [G·H, H]</c>.</param>
/// <param name="BiasIh"><c>bias_ih [G·H]</c>.</param>
/// <param name="BiasHh"><c>bias_hh [G·H]</c>.</param>
public sealed record RecurrentDecoderWeights(int Cell, int Attention, long Hidden, string WeightIh, string WeightHh, string BiasIh, string BiasHh)
{
    /// <summary>Bahdanau's <c>W [A, H]</c> applied to the previous state.</summary>
    public string? StateWeight { get; init; }

    /// <summary>Bahdanau's <c>U [A, M]</c> or Luong general's <c>W_a [H, M]</c>, applied once to the memory.</summary>
    public string? MemoryWeight { get; init; }

    /// <summary>Bahdanau's score vector <c>v [1, A]</c>.</summary>
    public string? Score { get; init; }

    /// <summary>Luong's <c>W_c [H, M + H]</c>: <c>o_t = tanh(W_c [c_t; s_t])</c>.</summary>
    public string? CombineWeight { get; init; }

    /// <summary>Whether the attention reads a projection of the memory (Bahdanau's <c>U h</c>, Luong general's <c>W_a h</c>).</summary>
    public bool ProjectsMemory => Attention is 1 or 3;
}

/// <summary>
/// Recurrent decoders as ModelDsl's <c>RecurrentDecoder</c> kernel computes them: the cell (PyTorch's GRU/LSTM/RNN cell equations) started
/// from the encoder's final state, with Bahdanau attention from the previous state before the cell or Luong attention from the new state
/// after it, over the valid encoder positions.
/// </summary>
public sealed partial class OnnxGraph
{
    /// <summary>The decoder's initial state <c>[B, H]</c>: the encoder's final state, through <c>tanh(W_b f + b_b)</c> when a bridge is given.</summary>
    public string RecurrentDecoderInitialState(string output, string final, string? bridgeWeight, string? bridgeBias) =>
        bridgeWeight is null ? Node("Identity", output, [final]) : Node("Tanh", output, [Linear(output + "/bridge", final, bridgeWeight, bridgeBias)]);

    /// <summary>Zeros shaped like <paramref name="x"/> (an LSTM decoder's initial cell).</summary>
    public string ZerosLike(string output, string x) => Node("Mul", output, [x, Scalar(output, 0f)]);

    /// <summary>The memory's projection <c>[B, S, P]</c> the attention reads (<c>U h</c> or <c>W_a h</c>, no bias), computed once per source.</summary>
    public string RecurrentDecoderProjection(string output, string memory, RecurrentDecoderWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Linear(output, memory, weights.MemoryWeight ?? throw new ArgumentException("this attention reads no memory projection", nameof(weights)), null);
    }

    /// <summary><c>[B, S]</c> bool: encoder position <c>j &lt; lengths[b]</c> of a memory <c>[B, S, M]</c>.</summary>
    public string SourceMask(string output, string memory, string lengths) => Node("Identity", output, [ValidPositions(output, memory, lengths)]);

    /// <summary>
    /// One decoder position for every row: <c>x [B, E]</c>, the previous state <c>[B, H]</c> (and cell, LSTM); with attention, the memory
    /// <c>[B, S, M]</c>, its projection (<see cref="RecurrentDecoderProjection"/>) and <see cref="SourceMask"/>. Returns the position's output
    /// (<c>s_t</c>; <c>[s_t; c_t]</c> with Bahdanau; <c>tanh(W_c [c_t; s_t])</c> with Luong), the new state and the new cell (null unless LSTM).
    /// </summary>
    public (string Output, string State, string? Cell) RecurrentDecoderStep(string output, string x, string state, string? cell,
        string? memory, string? projected, string? mask, RecurrentDecoderWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        string input = x;
        string? context = null;
        if (weights.Attention == 1)
        {
            // e_j = vᵀ tanh(W s_{t−1} + U h_j); the cell reads [x_t; c_t].
            string ws = Node("Unsqueeze", output + "/ws", [Linear(output + "/ws2", state, Required(weights.StateWeight), null), Ints(output, 1)]);
            string tanh = Node("Tanh", output + "/tanh", [Node("Add", output + "/ws_uh", [ws, Required(projected)])]);
            string scores = Node("Squeeze", output + "/scores", [Linear(output + "/e", tanh, Required(weights.Score), null), Ints(output, 2)]);
            context = AttentionContext(output + "/context", scores, Required(memory), Required(mask));
            input = Node("Concat", output + "/u", [x, context], ("axis", -1L));
        }

        (string next, string? nextCell) = DecoderCell(output + "/cell", input, state, cell, weights);
        switch (weights.Attention)
        {
            case 0:
                return (Node("Identity", output, [next]), next, nextCell);
            case 1:
                return (Node("Concat", output, [next, context!], ("axis", -1L)), next, nextCell);
            default:
            {
                // score_j = s_t · k_j (k = h_j for dot, W_a h_j for general); o_t = tanh(W_c [c_t; s_t]).
                string keys = weights.Attention == 3 ? Required(projected) : Required(memory);
                string query = Node("Unsqueeze", output + "/query", [next, Ints(output, 2)]);
                string scores = Node("Squeeze", output + "/scores", [Node("MatMul", output + "/sk", [keys, query]), Ints(output, 2)]);
                string luong = AttentionContext(output + "/context", scores, Required(memory), Required(mask));
                string combined = Node("Concat", output + "/combined", [luong, next], ("axis", -1L));
                return (Node("Tanh", output, [Linear(output + "/pre", combined, Required(weights.CombineWeight), null)]), next, nextCell);
            }
        }
    }

    /// <summary>
    /// The decoding step's position: <see cref="RecurrentDecoderStep"/> on <c>x [B, 1, E]</c>, the new state (and cell) declared graph outputs
    /// <paramref name="presentState"/> (<paramref name="presentCell"/>), the next step's past; returns the output <c>[B, 1, O]</c>.
    /// </summary>
    public string RecurrentDecoderPosition(string output, string x, string pastState, string? pastCell, string? memory, string? projected, string? mask,
        RecurrentDecoderWeights weights, string presentState, string? presentCell)
    {
        string xt = Node("Squeeze", output + "/x", [x, Ints(output, 1)]);
        (string o, string state, string? cell) = RecurrentDecoderStep(output + "/step", xt, pastState, pastCell, memory, projected, mask, weights);
        Output(state, presentState);
        if (presentCell is not null)
        {
            Output(Required(cell), presentCell);
        }

        return Node("Unsqueeze", output, [o, Ints(output, 1)]);
    }

    /// <summary>
    /// The teacher-forced decoder over <c>x [B, T, E]</c>, unrolled over <paramref name="maxSteps"/> positions (the declared target length;
    /// shorter inputs are padded inside the graph and the output cut back to <c>T</c>): output <c>[B, T, O]</c>, 0 at <c>t &gt;= lengths[b]</c>.
    /// </summary>
    public string RecurrentDecoder(string output, string x, string lengths, long maxSteps, string initialState, string? memory, string? sourceLengths,
        RecurrentDecoderWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        string length = Node("Shape", output + "/length", [x], ("start", 1L), ("end", 2L));
        string missing = Node("Sub", output + "/missing", [Ints(output, maxSteps), length]);
        string pads = Node("Concat", output + "/pads", [Ints(output, 0, 0, 0, 0), missing, Ints(output, 0)], ("axis", 0L));
        string padded = Node("Pad", output + "/padded", [x, pads]);
        string? projected = null, mask = null;
        if (weights.Attention != 0)
        {
            mask = SourceMask(output + "/source_mask", Required(memory), Required(sourceLengths));
            projected = weights.ProjectsMemory ? RecurrentDecoderProjection(output + "/projected", memory!, weights) : null;
        }

        string state = initialState;
        string? cell = weights.Cell == 2 ? ZerosLike(output + "/c0", initialState) : null;
        var steps = new string[maxSteps];
        for (long t = 0; t < maxSteps; t++)
        {
            string at = output + "/t" + t.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string xt = Node("Gather", at + "/x", [padded, IntScalar(at, t)], ("axis", 1L));
            (string o, state, cell) = RecurrentDecoderStep(at + "/o", xt, state, cell, memory, projected, mask, weights);
            steps[t] = Node("Unsqueeze", at + "/out", [o, Ints(at, 1)]);
        }

        string all = Node("Concat", output + "/all", steps, ("axis", 1L));
        string cut = Node("Slice", output + "/cut", [all, Ints(output, 0), length, Ints(output, 1)]);
        return ZeroPadding(output, cut, lengths);
    }

    /// <summary>Softmax of <c>scores [B, S]</c> over the valid positions (others weigh 0; no valid position: zero context), times the memory.</summary>
    private string AttentionContext(string output, string scores, string memory, string mask)
    {
        string masked = Node("Where", output + "/masked", [mask, scores, Scalar(output, MaskedScore)]);
        string probabilities = Node("Where", output + "/probs", [mask, Node("Softmax", output + "/softmax", [masked], ("axis", -1L)), Scalar(output, 0f)]);
        string weighted = Node("MatMul", output + "/weighted", [Node("Unsqueeze", output + "/p", [probabilities, Ints(output, 1)]), memory]);
        return Node("Squeeze", output, [weighted, Ints(output, 1)]);
    }

    /// <summary>PyTorch's cell equations (gate order r, z, n / i, f, g, o) for <c>u [B, I]</c> and <c>s [B, H]</c>.</summary>
    private (string State, string? Cell) DecoderCell(string output, string u, string state, string? cell, RecurrentDecoderWeights w)
    {
        string gi = Linear(output + "/gi", u, w.WeightIh, w.BiasIh);
        string gh = Linear(output + "/gh", state, w.WeightHh, w.BiasHh);
        long h = w.Hidden;
        switch (w.Cell)
        {
            case 0:
                return (Node("Tanh", output, [Node("Add", output + "/pre", [gi, gh])]), null);
            case 1:
            {
                string[] i = [output + "/ir", output + "/iz", output + "/in"];
                string[] r = [output + "/hr", output + "/hz", output + "/hn"];
                Nodes("Split", i, [gi, Ints(output, h, h, h)], ("axis", -1L));
                Nodes("Split", r, [gh, Ints(output, h, h, h)], ("axis", -1L));
                string reset = Node("Sigmoid", output + "/r", [Node("Add", output + "/r_pre", [i[0], r[0]])]);
                string update = Node("Sigmoid", output + "/z", [Node("Add", output + "/z_pre", [i[1], r[1]])]);
                string n = Node("Tanh", output + "/n", [Node("Add", output + "/n_pre", [i[2], Node("Mul", output + "/r_hn", [reset, r[2]])])]);
                string keep = Node("Mul", output + "/z_h", [update, state]);
                string fresh = Node("Mul", output + "/new", [Node("Sub", output + "/one_minus_z", [Scalar(output, 1f), update]), n]);
                return (Node("Add", output, [fresh, keep]), null);
            }

            case 2:
            {
                string[] g = [output + "/i", output + "/f", output + "/g", output + "/o"];
                Nodes("Split", g, [Node("Add", output + "/pre", [gi, gh]), Ints(output, h, h, h, h)], ("axis", -1L));
                string input = Node("Mul", output + "/ig", [Node("Sigmoid", output + "/si", [g[0]]), Node("Tanh", output + "/tg", [g[2]])]);
                string forget = Node("Mul", output + "/fc", [Node("Sigmoid", output + "/sf", [g[1]]), Required(cell)]);
                string nextCell = Node("Add", output + "/c", [forget, input]);
                return (Node("Mul", output, [Node("Sigmoid", output + "/so", [g[3]]), Node("Tanh", output + "/tc", [nextCell])]), nextCell);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(w), w.Cell, "unknown RecurrentCell");
        }
    }

    private static string Required(string? value) =>
        value ?? throw new ArgumentException("the recurrent decoder's attention or cell needs a value that was not given");
}
