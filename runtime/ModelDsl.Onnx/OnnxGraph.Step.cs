namespace ModelDsl.Onnx;

/// <summary>
/// The blocks of a decoding-step graph: one new position per row, positional tables read at <c>position</c>, self-attention
/// over a key/value cache that the step extends (past in, present out) and cross-attention over memory keys/values that the
/// encoder graph computed once.
/// </summary>
public sealed partial class OnnxGraph
{
    /// <summary><c>x + table[position]</c> for <c>x [B, 1, D]</c>, a position table <c>[MaxT, D]</c> and <c>position</c> int64 <c>[1]</c>.</summary>
    public string AddPositionAt(string output, string x, string table, string position)
    {
        string end = Node("Add", output + "/end", [position, Ints(output, 1)]);
        string row = Node("Slice", output + "/row", [table, position, end, Ints(output, 0)]);
        return Node("Add", output, [x, row]);
    }

    /// <summary>
    /// Self-attention of one new position <c>x [B, 1, D]</c> over the cached keys and values <c>[B, P, D]</c> of the earlier
    /// positions and its own: <paramref name="presentKeys"/> / <paramref name="presentValues"/> are the caches extended by this
    /// position (<c>[B, P + 1, D]</c>), the next step's past. Every cached position is earlier, so no mask is needed (causal).
    /// </summary>
    public string CachedSelfAttention(string output, string x, string inWeight, string inBias, string outWeight, string outBias, long heads, long width, float scale,
        string pastKeys, string pastValues, string presentKeys, string presentValues)
    {
        string qkv = Linear(output + "/qkv", x, inWeight, inBias);
        string[] parts = [output + "/q", output + "/k", output + "/v"];
        Nodes("Split", parts, [qkv, Ints(output, width, width, width)], ("axis", -1L));
        Node("Concat", presentKeys, [pastKeys, parts[1]], ("axis", 1L));
        Node("Concat", presentValues, [pastValues, parts[2]], ("axis", 1L));
        string context = Attention(output + "/attention", parts[0], presentKeys, presentValues, heads, width, scale, null);
        return Linear(output, context, outWeight, outBias);
    }

    /// <summary>Cross-attention of <c>x [B, 1, D]</c> to memory keys and values <c>[B, S, D]</c> computed by <see cref="CrossKeysValues"/>.</summary>
    public string CachedCrossAttention(string output, string x, string inWeight, string inBias, string outWeight, string outBias, long heads, long width, float scale,
        string keys, string values, string? mask)
    {
        (string qWeight, _, string qBias, _) = SplitQueryProjection(output, inWeight, inBias, width);
        string q = Linear(output + "/q", x, qWeight, qBias);
        string context = Attention(output + "/attention", q, keys, values, heads, width, scale, mask);
        return Linear(output, context, outWeight, outBias);
    }

    /// <summary>The memory keys and values <c>[B, S, D]</c> of a cross-attention (rows D..3D of its packed in_proj), named <c>{output}/k</c>, <c>{output}/v</c>.</summary>
    public (string Keys, string Values) CrossKeysValues(string output, string memory, string inWeight, string inBias, long width)
    {
        (_, string kvWeight, _, string kvBias) = SplitQueryProjection(output, inWeight, inBias, width);
        return MemoryKeysValues(output, memory, kvWeight, kvBias, width);
    }
}
