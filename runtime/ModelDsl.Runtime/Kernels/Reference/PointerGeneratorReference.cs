using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// The pointer-generator head of See et al. (2017, "Get To The Point"), generic over the element type, in plain loops:
/// <see cref="PointerGenerator"/> runs it in float, and the gradient checks run it in double. Per query row <c>i</c> of
/// item <c>b = i / QueriesPerItem</c>, over the item's <c>L_b</c> valid source positions:
/// <list type="bullet">
/// <item><c>α = softmax_j(q_i · m_bj / √D)</c> (the copy attention), <c>c_i = Σ_j α_j m_bj</c> (its context);</item>
/// <item><c>z_i = w_h · c_i + w_s · h_i + w_x · x_i + b</c>, <c>p_gen = σ(z_i)</c>;</item>
/// <item><c>log P_i(v) = log(p_gen · softmax(logits_i)_v + (1 − p_gen) · Σ_{j: src_bj = v} α_j)</c>, computed in log space as
/// <c>logaddexp(log σ(z) + log_softmax(logits)_v, log σ(−z) + log copy_v)</c>, so it is finite for every finite input
/// (a token absent from the source has <c>log copy_v = −∞</c> and takes the first term alone).</item>
/// </list>
/// A row whose item has no valid source position (<c>L_b = 0</c>) has nothing to copy: its output is <c>log_softmax(logits)</c>
/// and its gate gets no gradient.
/// </summary>
public static class PointerGeneratorReference
{
    /// <summary>Forward: writes <c>log P</c>, the copy attention weights, its context and the gate's pre-activation <c>z</c>.</summary>
    /// <param name="output">log P <c>[Rows, Vocabulary]</c>.</param>
    /// <param name="weights">Copy attention <c>[Rows, SourceLength]</c> (zero past the item's length).</param>
    /// <param name="context">Copy context <c>[Rows, Width]</c>.</param>
    /// <param name="gate">The gate's pre-activation <c>z</c> <c>[Rows]</c> (p_gen = σ(z)).</param>
    /// <param name="logits">Vocabulary logits <c>[Rows, Vocabulary]</c>.</param>
    /// <param name="query">Copy queries <c>[Rows, Width]</c>.</param>
    /// <param name="state">Decoder states <c>[Rows, Width]</c>.</param>
    /// <param name="input">Decoder inputs <c>[Rows, InputWidth]</c>.</param>
    /// <param name="memory">Encoder outputs <c>[Items, SourceLength, Width]</c>.</param>
    /// <param name="sourceIds">Source token ids <c>[Items, SourceLength]</c>, each below Vocabulary.</param>
    /// <param name="sourceLengths">Valid source positions per item <c>[Items]</c>.</param>
    /// <param name="gateWeight"><c>[w_h | w_s | w_x]</c>, <c>2·Width + InputWidth</c>.</param>
    /// <param name="gateBias"><c>b</c> <c>[1]</c>.</param>
    /// <param name="shape">Sizes.</param>
    /// <param name="scratch">At least <see cref="PointerGenerator.ScratchLength"/> elements.</param>
    public static void Forward<T>(
        Span<T> output, Span<T> weights, Span<T> context, Span<T> gate,
        ReadOnlySpan<T> logits, ReadOnlySpan<T> query, ReadOnlySpan<T> state, ReadOnlySpan<T> input, ReadOnlySpan<T> memory,
        ReadOnlySpan<int> sourceIds, ReadOnlySpan<int> sourceLengths, ReadOnlySpan<T> gateWeight, ReadOnlySpan<T> gateBias,
        PointerGeneratorShape shape, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Check(sourceIds, sourceLengths);
        int rows = shape.Rows, s = shape.SourceLength, d = shape.Width, e = shape.InputWidth, v = shape.Vocabulary;
        Guard.AtLeast(output, (long)rows * v);
        Guard.AtLeast(weights, (long)rows * s);
        Guard.AtLeast(context, (long)rows * d);
        Guard.AtLeast(gate, rows);
        Guard.AtLeast(logits, (long)rows * v);
        Guard.AtLeast(query, (long)rows * d);
        Guard.AtLeast(state, (long)rows * d);
        Guard.AtLeast(input, (long)rows * e);
        Guard.AtLeast(memory, (long)shape.Items * s * d);
        Guard.AtLeast(gateWeight, (2L * d) + e);
        Guard.AtLeast(gateBias, 1);
        Guard.AtLeast(scratch, PointerGenerator.ScratchLength(v, s));
        T scale = T.One / T.Sqrt(T.CreateChecked(d));
        Span<T> copy = scratch[..v];
        for (int i = 0; i < rows; i++)
        {
            int b = i / shape.QueriesPerItem, length = sourceLengths[b];
            ReadOnlySpan<T> q = query.Slice(i * d, d), h = state.Slice(i * d, d), x = input.Slice(i * e, e);
            ReadOnlySpan<T> m = memory.Slice(b * s * d, s * d);
            Span<T> alpha = weights.Slice(i * s, s), ctx = context.Slice(i * d, d), o = output.Slice(i * v, v);
            alpha.Clear();
            ctx.Clear();

            // Copy attention over the valid positions: a stable softmax of the scaled scores.
            T max = T.NegativeInfinity;
            for (int j = 0; j < length; j++)
            {
                alpha[j] = Dot(q, m.Slice(j * d, d)) * scale;
                max = T.Max(max, alpha[j]);
            }

            T sum = T.Zero;
            for (int j = 0; j < length; j++)
            {
                alpha[j] = T.Exp(alpha[j] - max);
                sum += alpha[j];
            }

            for (int j = 0; j < length; j++)
            {
                alpha[j] /= sum;
                for (int k = 0; k < d; k++)
                {
                    ctx[k] += alpha[j] * m[(j * d) + k];
                }
            }

            T z = Dot(gateWeight[..d], ctx) + Dot(gateWeight.Slice(d, d), h) + Dot(gateWeight.Slice(2 * d, e), x) + gateBias[0];
            gate[i] = z;
            LogSoftmax(o, logits.Slice(i * v, v));
            if (length == 0)
            {
                continue;
            }

            copy.Clear();
            for (int j = 0; j < length; j++)
            {
                copy[sourceIds[(b * s) + j]] += alpha[j];
            }

            T logGenerate = LogSigmoid(z), logCopy = LogSigmoid(-z);
            for (int u = 0; u < v; u++)
            {
                T generate = logGenerate + o[u];
                o[u] = copy[u] > T.Zero ? LogAddExp(generate, logCopy + T.Log(copy[u])) : generate;
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: accumulates (<c>+=</c>) into the gradients of the logits, queries, states, inputs, memory
    /// and the gate's parameters, from <paramref name="dOutput"/> (the gradient of log P) and the forward's saved outputs.
    /// The gradient of a copied probability is <c>dlogP_v · (1 − p_gen) / P_v = dlogP_v · exp(log σ(−z) − log P_v)</c>, at most
    /// <c>dlogP_v / copy_v</c>; the generator's share of <c>P_v</c> is <c>exp(log σ(z) + log_softmax_v − log P_v)</c>.
    /// </summary>
    /// <param name="dLogits">Gradient of the logits, accumulated.</param>
    /// <param name="dQuery">Gradient of the queries, accumulated.</param>
    /// <param name="dState">Gradient of the states, accumulated.</param>
    /// <param name="dInput">Gradient of the inputs, accumulated.</param>
    /// <param name="dMemory">Gradient of the memory, accumulated.</param>
    /// <param name="dGateWeight">Gradient of <c>[w_h | w_s | w_x]</c>, accumulated.</param>
    /// <param name="dGateBias">Gradient of <c>b</c>, accumulated.</param>
    /// <param name="dOutput">Gradient of log P.</param>
    /// <param name="output">The forward's log P.</param>
    /// <param name="weights">The forward's copy attention.</param>
    /// <param name="context">The forward's copy context.</param>
    /// <param name="gate">The forward's <c>z</c>.</param>
    /// <param name="logits">The forward's logits.</param>
    /// <param name="query">The forward's queries.</param>
    /// <param name="state">The forward's states.</param>
    /// <param name="input">The forward's inputs.</param>
    /// <param name="memory">The forward's memory.</param>
    /// <param name="sourceIds">The forward's source ids.</param>
    /// <param name="sourceLengths">The forward's source lengths.</param>
    /// <param name="gateWeight">The forward's gate weights.</param>
    /// <param name="shape">Sizes.</param>
    /// <param name="scratch">At least <see cref="PointerGenerator.ScratchLength"/> elements.</param>
    public static void Backward<T>(
        Span<T> dLogits, Span<T> dQuery, Span<T> dState, Span<T> dInput, Span<T> dMemory, Span<T> dGateWeight, Span<T> dGateBias,
        ReadOnlySpan<T> dOutput, ReadOnlySpan<T> output, ReadOnlySpan<T> weights, ReadOnlySpan<T> context, ReadOnlySpan<T> gate,
        ReadOnlySpan<T> logits, ReadOnlySpan<T> query, ReadOnlySpan<T> state, ReadOnlySpan<T> input, ReadOnlySpan<T> memory,
        ReadOnlySpan<int> sourceIds, ReadOnlySpan<int> sourceLengths, ReadOnlySpan<T> gateWeight, PointerGeneratorShape shape, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Check(sourceIds, sourceLengths);
        int rows = shape.Rows, s = shape.SourceLength, d = shape.Width, e = shape.InputWidth, v = shape.Vocabulary;
        Guard.AtLeast(dLogits, (long)rows * v);
        Guard.AtLeast(dQuery, (long)rows * d);
        Guard.AtLeast(dState, (long)rows * d);
        Guard.AtLeast(dInput, (long)rows * e);
        Guard.AtLeast(dMemory, (long)shape.Items * s * d);
        Guard.AtLeast(dGateWeight, (2L * d) + e);
        Guard.AtLeast(dGateBias, 1);
        Guard.AtLeast(dOutput, (long)rows * v);
        Guard.AtLeast(output, (long)rows * v);
        Guard.AtLeast(weights, (long)rows * s);
        Guard.AtLeast(context, (long)rows * d);
        Guard.AtLeast(gate, rows);
        Guard.AtLeast(logits, (long)rows * v);
        Guard.AtLeast(query, (long)rows * d);
        Guard.AtLeast(state, (long)rows * d);
        Guard.AtLeast(input, (long)rows * e);
        Guard.AtLeast(memory, (long)shape.Items * s * d);
        Guard.AtLeast(gateWeight, (2L * d) + e);
        Guard.AtLeast(scratch, PointerGenerator.ScratchLength(v, s));
        T scale = T.One / T.Sqrt(T.CreateChecked(d));
        Span<T> dAlpha = scratch[..s];
        for (int i = 0; i < rows; i++)
        {
            int b = i / shape.QueriesPerItem, length = sourceLengths[b];
            ReadOnlySpan<T> g = dOutput.Slice(i * v, v), o = output.Slice(i * v, v), z = logits.Slice(i * v, v);
            Span<T> dz = dLogits.Slice(i * v, v);

            // log_softmax(logits) again (its max and log-sum-exp), then each token's generator share w_u of P_u.
            T max = T.NegativeInfinity;
            for (int u = 0; u < v; u++)
            {
                max = T.Max(max, z[u]);
            }

            T sum = T.Zero;
            for (int u = 0; u < v; u++)
            {
                sum += T.Exp(z[u] - max);
            }

            T logSum = max + T.Log(sum);
            if (length == 0)
            {
                // Nothing to copy: log P = log_softmax(logits).
                T total = T.Zero;
                for (int u = 0; u < v; u++)
                {
                    total += g[u];
                }

                for (int u = 0; u < v; u++)
                {
                    dz[u] += g[u] - (T.Exp(z[u] - logSum) * total);
                }

                continue;
            }

            T gz = gate[i], p = Sigmoid(gz), logGenerate = LogSigmoid(gz), logCopy = LogSigmoid(-gz);
            T dGenerated = T.Zero, dGate = T.Zero;
            for (int u = 0; u < v; u++)
            {
                T share = T.Exp(logGenerate + (z[u] - logSum) - o[u]);
                T dShare = g[u] * share;
                dGenerated += dShare;
                dGate += g[u] * ((share * (T.One - p)) - ((T.One - share) * p));
            }

            for (int u = 0; u < v; u++)
            {
                dz[u] += (g[u] * T.Exp(logGenerate + (z[u] - logSum) - o[u])) - (T.Exp(z[u] - logSum) * dGenerated);
            }

            // The gate: z = w_h·c + w_s·h + w_x·x + b.
            ReadOnlySpan<T> ctx = context.Slice(i * d, d), h = state.Slice(i * d, d), x = input.Slice(i * e, e);
            for (int k = 0; k < d; k++)
            {
                dGateWeight[k] += dGate * ctx[k];
                dGateWeight[d + k] += dGate * h[k];
                dState[(i * d) + k] += dGate * gateWeight[d + k];
            }

            for (int k = 0; k < e; k++)
            {
                dGateWeight[(2 * d) + k] += dGate * x[k];
                dInput[(i * e) + k] += dGate * gateWeight[(2 * d) + k];
            }

            dGateBias[0] += dGate;

            // The copy weights: through the scattered distribution (each position's token) and through the context.
            ReadOnlySpan<T> alpha = weights.Slice(i * s, s), m = memory.Slice(b * s * d, s * d), q = query.Slice(i * d, d);
            Span<T> dm = dMemory.Slice(b * s * d, s * d);
            T weighted = T.Zero;
            for (int j = 0; j < length; j++)
            {
                int token = sourceIds[(b * s) + j];
                T da = g[token] * T.Exp(logCopy - o[token]);
                for (int k = 0; k < d; k++)
                {
                    T dc = dGate * gateWeight[k];
                    da += dc * m[(j * d) + k];
                    dm[(j * d) + k] += alpha[j] * dc;
                }

                dAlpha[j] = da;
                weighted += alpha[j] * da;
            }

            // Softmax backward, then the scaled dot products.
            for (int j = 0; j < length; j++)
            {
                T dScore = alpha[j] * (dAlpha[j] - weighted) * scale;
                for (int k = 0; k < d; k++)
                {
                    dQuery[(i * d) + k] += dScore * m[(j * d) + k];
                    dm[(j * d) + k] += dScore * q[k];
                }
            }
        }
    }

    private static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int k = 0; k < a.Length; k++)
        {
            sum += a[k] * b[k];
        }

        return sum;
    }

    private static void LogSoftmax<T>(Span<T> output, ReadOnlySpan<T> logits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = T.NegativeInfinity;
        foreach (T z in logits)
        {
            max = T.Max(max, z);
        }

        T sum = T.Zero;
        foreach (T z in logits)
        {
            sum += T.Exp(z - max);
        }

        T logSum = max + T.Log(sum);
        for (int u = 0; u < logits.Length; u++)
        {
            output[u] = logits[u] - logSum;
        }
    }

    private static T Sigmoid<T>(T z)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        z >= T.Zero ? T.One / (T.One + T.Exp(-z)) : T.Exp(z) / (T.One + T.Exp(z));

    /// <summary><c>log σ(z) = −log(1 + e^{−z})</c>, stable for either sign.</summary>
    private static T LogSigmoid<T>(T z)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        z >= T.Zero ? -T.Log(T.One + T.Exp(-z)) : z - T.Log(T.One + T.Exp(z));

    private static T LogAddExp<T>(T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = T.Max(a, b);
        return max + T.Log(T.Exp(a - max) + T.Exp(b - max));
    }
}
