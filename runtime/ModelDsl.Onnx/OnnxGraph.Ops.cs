using System;

namespace ModelDsl.Onnx;

/// <summary>
/// The building blocks of <see cref="OnnxGraph"/>: each writes the opset-17 nodes of one ModelDsl kernel's forward pass,
/// producing the value named by its first argument (intermediate values are named after it: <c>{output}/matmul</c>, ...).
/// </summary>
public sealed partial class OnnxGraph
{
    /// <summary>The masked-score fill before the softmax: the lowest float, finite so that a fully masked row stays finite.</summary>
    private const float MaskedScore = float.MinValue;

    /// <summary>PyTorch's LayerNorm epsilon, as ModelDsl's <c>LayerNorm</c> kernel.</summary>
    public const float LayerNormEpsilon = 1e-5f;

    /// <summary><c>table[ids]</c>: <c>[B, T]</c> ids -> <c>[B, T, D]</c> (nn.Embedding).</summary>
    public string Embedding(string output, string table, string ids) => Node("Gather", output, [table, ids], ("axis", 0L));

    /// <summary><c>x + table[0..T)</c> for <c>x [B, T, D]</c> and a position table <c>[MaxT, D]</c> (learned or sinusoidal).</summary>
    public string AddPositions(string output, string x, string table)
    {
        string length = Node("Shape", output + "/length", [x], ("start", 1L), ("end", 2L));
        string rows = Node("Slice", output + "/rows", [table, Ints(output, 0), length, Ints(output, 0)]);
        return Node("Add", output, [x, rows]);
    }

    /// <summary><c>x Wᵀ + b</c> over the last dimension, <c>W [out, in]</c> as nn.Linear stores it; <paramref name="bias"/> may be null.</summary>
    public string Linear(string output, string x, string weight, string? bias)
    {
        string transposed = weight + "/T";
        if (!_values.Contains(transposed))
        {
            Node("Transpose", transposed, [weight], ("perm", new long[] { 1, 0 }));
        }

        if (bias is null)
        {
            return Node("MatMul", output, [x, transposed]);
        }

        string product = Node("MatMul", output + "/matmul", [x, transposed]);
        return Node("Add", output, [product, bias]);
    }

    /// <summary>
    /// An activation by ModelDsl's <c>Activation</c> value: 1 ReLU, 2 GELU (erf), 3 GELU (tanh), 4 tanh, 5 sigmoid, 6 leaky ReLU
    /// (slope <paramref name="leakySlope"/>, 0.01 by default as a Dense's); 0 is the identity.
    /// </summary>
    public string Activation(string output, string x, int activation, float leakySlope = 0.01f)
    {
        switch (activation)
        {
            case 0:
                return Node("Identity", output, [x]);
            case 1:
                return Node("Relu", output, [x]);
            case 2:
            {
                // 0.5 x (1 + erf(x / sqrt 2)): GELU is an operator only from opset 20.
                string scaled = Node("Mul", output + "/scaled", [x, Scalar(output, (float)(1.0 / Math.Sqrt(2.0)))]);
                string erf = Node("Erf", output + "/erf", [scaled]);
                string onePlus = Node("Add", output + "/one_plus", [erf, Scalar(output, 1f)]);
                string half = Node("Mul", output + "/half_x", [x, Scalar(output, 0.5f)]);
                return Node("Mul", output, [half, onePlus]);
            }

            case 3:
            {
                // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
                string cube = Node("Mul", output + "/cube", [Node("Mul", output + "/square", [x, x]), x]);
                string inner = Node("Add", output + "/inner", [x, Node("Mul", output + "/cubic", [cube, Scalar(output, 0.044715f)])]);
                string tanh = Node("Tanh", output + "/tanh", [Node("Mul", output + "/scaled", [inner, Scalar(output, (float)Math.Sqrt(2.0 / Math.PI))])]);
                string onePlus = Node("Add", output + "/one_plus", [tanh, Scalar(output, 1f)]);
                string half = Node("Mul", output + "/half_x", [x, Scalar(output, 0.5f)]);
                return Node("Mul", output, [half, onePlus]);
            }

            case 4:
                return Node("Tanh", output, [x]);
            case 5:
                return Node("Sigmoid", output, [x]);
            case 6:
                return Node("LeakyRelu", output, [x], ("alpha", leakySlope));
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown ModelDsl activation");
        }
    }

    /// <summary>LayerNorm over the last dimension (eps 1e-5).</summary>
    public string LayerNorm(string output, string x, string weight, string bias) =>
        Node("LayerNormalization", output, [x, weight, bias], ("axis", -1L), ("epsilon", LayerNormEpsilon));

    /// <summary>
    /// Evaluation-mode BatchNorm over the last dimension: <c>(x - mean) / sqrt(var + eps) · weight + bias</c>. On a sequence
    /// (<paramref name="lengths"/> given) padded positions are not normalized and give 0, as in ModelDsl.
    /// </summary>
    public string BatchNorm(string output, string x, string weight, string bias, string mean, string variance, float epsilon, string? lengths = null)
    {
        if (lengths is not null)
        {
            string normalized = BatchNorm(output + "/all", x, weight, bias, mean, variance, epsilon);
            return ZeroPadding(output, normalized, lengths);
        }

        string centered = Node("Sub", output + "/centered", [x, mean]);
        string std = Node("Sqrt", output + "/std", [Node("Add", output + "/var_eps", [variance, Scalar(output, epsilon)])]);
        string normed = Node("Div", output + "/normed", [centered, std]);
        return Node("Add", output, [Node("Mul", output + "/scaled", [normed, weight]), bias]);
    }

    /// <summary><c>x</c> with the positions <c>t &gt;= lengths[b]</c> of <c>[B, T, D]</c> set to 0.</summary>
    public string ZeroPadding(string output, string x, string lengths)
    {
        string valid = Node("Cast", output + "/valid_f", [ValidPositions(output, x, lengths)], ("to", 1L));
        return Node("Mul", output, [x, Node("Unsqueeze", output + "/keep", [valid, Ints(output, -1)])]);
    }

    /// <summary><c>a + b</c>.</summary>
    public string Add(string output, string a, string b) => Node("Add", output, [a, b]);

    /// <summary>The value under another name (dropout at inference).</summary>
    public string Identity(string output, string x) => Node("Identity", output, [x]);

    /// <summary>PReLU with slopes <c>[1]</c> or <c>[channels]</c> over the last dimension.</summary>
    public string PRelu(string output, string x, string slope) => Node("PRelu", output, [x, slope]);

    // ---------------------------------------------------------------- masks (bool, true = may attend)

    /// <summary><c>0..n-1</c> (int64) where n is dimension <paramref name="axis"/> of <paramref name="x"/>.</summary>
    public string Range(string output, string x, long axis)
    {
        string size = Node("Shape", output + "/size", [x], ("start", axis), ("end", axis + 1));
        string scalar = Node("Squeeze", output + "/n", [size, Ints(output, 0)]);
        return Node("Range", output, [IntScalar(output, 0), scalar, IntScalar(output, 1)]);
    }

    /// <summary>Key padding <c>[B, 1, 1, Tk]</c>: key <c>j</c> of row <c>b</c> is allowed when <c>j &lt; lengths[b]</c>.</summary>
    public string KeyPaddingMask(string output, string keys, string lengths)
    {
        string valid = ValidPositions(output, keys, lengths);
        return Node("Unsqueeze", output, [valid, Ints(output, 1, 2)]);
    }

    /// <summary>Causal <c>[1, 1, Tq, Tk]</c>: key <c>j</c> is allowed for query <c>i</c> when <c>j &lt;= i</c>.</summary>
    public string CausalMask(string output, string queries, string keys)
    {
        (string q, string k) = QueryKeyPositions(output, queries, keys);
        string allowed = Node("LessOrEqual", output + "/le", [k, q]);
        return Node("Unsqueeze", output, [allowed, Ints(output, 0, 1)]);
    }

    /// <summary>Local window <c>[1, 1, Tq, Tk]</c>: key <c>j</c> is allowed for query <c>i</c> when <c>|i - j| &lt;= radius</c>.</summary>
    public string WindowMask(string output, string queries, string keys, long radius)
    {
        (string q, string k) = QueryKeyPositions(output, queries, keys);
        string distance = Node("Abs", output + "/distance", [Node("Sub", output + "/diff", [q, k])]);
        string allowed = Node("LessOrEqual", output + "/le", [distance, IntScalar(output, radius)]);
        return Node("Unsqueeze", output, [allowed, Ints(output, 0, 1)]);
    }

    /// <summary>A graph adjacency <c>bool [B, T, T]</c> as a mask <c>[B, 1, T, T]</c>.</summary>
    public string AdjacencyMask(string output, string adjacency) => Node("Unsqueeze", output, [adjacency, Ints(output, 1)]);

    /// <summary>Both masks (broadcast).</summary>
    public string And(string output, string a, string b) => Node("And", output, [a, b]);

    private (string Queries, string Keys) QueryKeyPositions(string output, string queries, string keys)
    {
        string q = Node("Unsqueeze", output + "/q", [Range(output + "/q_range", queries, 1), Ints(output, 1)]);
        string k = Node("Unsqueeze", output + "/k", [Range(output + "/k_range", keys, 1), Ints(output, 0)]);
        return (q, k);
    }

    /// <summary><c>[B, T]</c> bool: position <c>t &lt; lengths[b]</c> of a <c>[B, T, ...]</c> value.</summary>
    private string ValidPositions(string output, string x, string lengths)
    {
        string positions = Node("Unsqueeze", output + "/positions", [Range(output + "/range", x, 1), Ints(output, 0)]);
        string bound = Node("Unsqueeze", output + "/bound", [lengths, Ints(output, 1)]);
        return Node("Less", output + "/valid", [positions, bound]);
    }

    // ---------------------------------------------------------------- attention

    /// <summary>
    /// Multi-head scaled dot-product attention: <c>softmax(q kᵀ · scale, masked) v</c> for <c>q [B, Tq, D]</c>, <c>k, v [B, Tk, D]</c>
    /// and <paramref name="heads"/> heads, context <c>[B, Tq, D]</c>. Masked keys get probability 0; a query whose every key is
    /// masked gets a zero context (as ModelDsl's kernel). <paramref name="mask"/> (bool, broadcast to <c>[B, H, Tq, Tk]</c>) may be null.
    /// </summary>
    public string Attention(string output, string q, string k, string v, long heads, long width, float scale, string? mask)
    {
        long headDim = width / heads;
        string split = Ints(output, 0, 0, heads, headDim);
        string qh = Node("Transpose", output + "/qh", [Node("Reshape", output + "/q4", [q, split])], ("perm", new long[] { 0, 2, 1, 3 }));
        string kh = Node("Transpose", output + "/kh", [Node("Reshape", output + "/k4", [k, split])], ("perm", new long[] { 0, 2, 3, 1 }));
        string vh = Node("Transpose", output + "/vh", [Node("Reshape", output + "/v4", [v, split])], ("perm", new long[] { 0, 2, 1, 3 }));
        string scores = Node("Mul", output + "/scores", [Node("MatMul", output + "/qk", [qh, kh]), Scalar(output, scale)]);
        if (mask is not null)
        {
            scores = Node("Where", output + "/masked", [mask, scores, Scalar(output, MaskedScore)]);
        }

        string probabilities = Node("Softmax", output + "/probs", [scores], ("axis", -1L));
        if (mask is not null)
        {
            probabilities = Node("Where", output + "/probs_masked", [mask, probabilities, Scalar(output, 0f)]);
        }

        string context = Node("MatMul", output + "/context4", [probabilities, vh]);
        string merged = Node("Transpose", output + "/context_t", [context], ("perm", new long[] { 0, 2, 1, 3 }));
        return Node("Reshape", output, [merged, Ints(output, 0, 0, width)]);
    }

    /// <summary>
    /// nn.MultiheadAttention over one sequence: q, k, v = split(x in_projᵀ + in_bias), <see cref="Attention"/>, then out_proj.
    /// </summary>
    public string SelfAttention(string output, string x, string inWeight, string inBias, string outWeight, string outBias, long heads, long width, float scale, string? mask)
    {
        string qkv = Linear(output + "/qkv", x, inWeight, inBias);
        string[] parts = [output + "/q", output + "/k", output + "/v"];
        Nodes("Split", parts, [qkv, Ints(output, width, width, width)], ("axis", -1L));
        string context = Attention(output + "/attention", parts[0], parts[1], parts[2], heads, width, scale, mask);
        return Linear(output, context, outWeight, outBias);
    }

    /// <summary>
    /// nn.MultiheadAttention from a query sequence to a memory: q from <paramref name="x"/> with rows 0..D of in_proj, k and v from
    /// <paramref name="memory"/> with rows D..3D, <see cref="Attention"/>, then out_proj.
    /// </summary>
    public string CrossAttention(string output, string x, string memory, string inWeight, string inBias, string outWeight, string outBias, long heads, long width, float scale, string? mask)
    {
        (string qWeight, string kvWeight, string qBias, string kvBias) = SplitQueryProjection(output, inWeight, inBias, width);
        string q = Linear(output + "/q", x, qWeight, qBias);
        (string k, string v) = MemoryKeysValues(output, memory, kvWeight, kvBias, width);
        string context = Attention(output + "/attention", q, k, v, heads, width, scale, mask);
        return Linear(output, context, outWeight, outBias);
    }

    /// <summary>The keys and values <c>[B, S, D]</c> a cross-attention computes once from its memory (rows D..3D of in_proj).</summary>
    public (string Keys, string Values) MemoryKeysValues(string output, string memory, string kvWeight, string kvBias, long width)
    {
        string kv = Linear(output + "/kv", memory, kvWeight, kvBias);
        string[] parts = [output + "/k", output + "/v"];
        Nodes("Split", parts, [kv, Ints(output, width, width)], ("axis", -1L));
        return (parts[0], parts[1]);
    }

    /// <summary>Splits a packed in_proj weight <c>[3D, D]</c> and bias <c>[3D]</c> into the query rows and the key/value rows.</summary>
    public (string QWeight, string KvWeight, string QBias, string KvBias) SplitQueryProjection(string output, string inWeight, string inBias, long width)
    {
        string[] weights = [output + "/w_q", output + "/w_kv"];
        Nodes("Split", weights, [inWeight, Ints(output, width, 2 * width)], ("axis", 0L));
        string[] biases = [output + "/b_q", output + "/b_kv"];
        Nodes("Split", biases, [inBias, Ints(output, width, 2 * width)], ("axis", 0L));
        return (weights[0], weights[1], biases[0], biases[1]);
    }

    // ---------------------------------------------------------------- pooling

    /// <summary>Mean over the valid positions <c>t &lt; lengths[b]</c> of <c>x [B, T, D]</c>; a row of length 0 pools to zeros.</summary>
    public string MeanPool(string output, string x, string lengths)
    {
        string valid = Node("Cast", output + "/valid_f", [ValidPositions(output, x, lengths)], ("to", 1L));
        string weights = Node("Unsqueeze", output + "/weights", [valid, Ints(output, -1)]);
        string sum = Node("ReduceSum", output + "/sum", [Node("Mul", output + "/kept", [x, weights]), Ints(output, 1)], ("keepdims", 0L));
        string count = Node("Max", output + "/count", [Node("Cast", output + "/lengths_f", [lengths], ("to", 1L)), Scalar(output, 1f)]);
        return Node("Div", output, [sum, Node("Unsqueeze", output + "/divisor", [count, Ints(output, 1)])]);
    }

    /// <summary>Position 0 of <c>x [B, T, D]</c>.</summary>
    public string FirstTokenPool(string output, string x) => Node("Gather", output, [x, IntScalar(output, 0)], ("axis", 1L));

    /// <summary>The last valid position <c>lengths[b] - 1</c> of <c>x [B, T, D]</c>; a row of length 0 pools to zeros.</summary>
    public string LastTokenPool(string output, string x, string lengths)
    {
        string last = Node("Max", output + "/last", [Node("Sub", output + "/minus_one", [lengths, IntScalar(output, 1)]), IntScalar(output, 0)]);
        string index = Node("Reshape", output + "/index3", [last, Ints(output, -1, 1, 1)]);
        string width = Node("Shape", output + "/width", [x], ("start", 2L), ("end", 3L));
        string shape = Node("Concat", output + "/index_shape", [Node("Shape", output + "/rows", [x], ("start", 0L), ("end", 1L)), Ints(output, 1), width], ("axis", 0L));
        string expanded = Node("Expand", output + "/index", [index, shape]);
        string picked = Node("Squeeze", output + "/picked", [Node("GatherElements", output + "/gathered", [x, expanded], ("axis", 1L)), Ints(output, 1)]);
        string nonEmpty = Node("Cast", output + "/non_empty", [Node("Greater", output + "/has_rows", [lengths, IntScalar(output, 0)])], ("to", 1L));
        return Node("Mul", output, [picked, Node("Unsqueeze", output + "/keep", [nonEmpty, Ints(output, 1)])]);
    }
}
