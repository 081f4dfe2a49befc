using System;
using System.Numerics;
using ModelDsl.Randomness;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook multi-head scaled dot-product attention, generic over the element type, beside the tuned
/// <see cref="Attention"/>. Same layouts, mask and dropout semantics; the mask is evaluated element by element with
/// <see cref="AttentionMask.IsAllowed"/>, and the dropout mask is drawn element by element with <see cref="CounterRandom"/>.
/// No scratch and no threads: clarity over speed.
/// </summary>
public static class AttentionReference
{
    /// <summary>Reference for <c>Attention.Forward</c>.</summary>
    /// <param name="output"><c>[B, Tq, H·dh]</c>, overwritten.</param>
    /// <param name="probabilities"><c>[B, H, Tq, Tk]</c>, overwritten.</param>
    /// <param name="q"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="k"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="v"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="queryLength">Tq.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">dh.</param>
    /// <param name="mask">Which keys each query may attend to.</param>
    /// <param name="scale">Score scale.</param>
    public static void Forward<T>(
        Span<T> output, Span<T> probabilities, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        int batch, int queryLength, int keyLength, int heads, int headDim, in AttentionMask mask, T scale)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(output, probabilities, q, k, v, batch, queryLength, keyLength, heads, headDim, mask, scale, [], 0f, 0, 0, 0, training: false);

    /// <summary>Reference for <c>Attention.Forward</c> with dropout on the probabilities.</summary>
    /// <param name="output"><c>[B, Tq, H·dh]</c>, overwritten.</param>
    /// <param name="probabilities"><c>[B, H, Tq, Tk]</c>, overwritten with the softmax before dropout.</param>
    /// <param name="q"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="k"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="v"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="queryLength">Tq.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">dh.</param>
    /// <param name="mask">Which keys each query may attend to.</param>
    /// <param name="scale">Score scale.</param>
    /// <param name="dropoutMask"><c>[B, H, Tq, Tk]</c>, overwritten: 1 = kept, 0 = dropped or masked key (all 1 when not dropping);
    /// may be empty when not training or <paramref name="dropout"/> is 0.</param>
    /// <param name="dropout">Probability of dropping a probability.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="stream">Random stream.</param>
    /// <param name="offset">Counter of element 0 of the probabilities.</param>
    /// <param name="training"><see langword="false"/> turns dropout off.</param>
    public static void Forward<T>(
        Span<T> output, Span<T> probabilities, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        int batch, int queryLength, int keyLength, int heads, int headDim, in AttentionMask mask, T scale,
        Span<byte> dropoutMask, float dropout, ulong seed, ulong stream, ulong offset, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths<T>(output, nameof(output), q, k, v, probabilities, batch, queryLength, keyLength, heads, headDim);
        mask.Validate(batch, queryLength, keyLength);
        bool drop = training && dropout > 0f;
        if (drop || dropoutMask.Length > 0)
        {
            Guard.Length(dropoutMask, probabilities.Length);
            dropoutMask.Fill(1);
        }

        T keepScale = drop ? T.CreateChecked(Dropout.KeepScale(dropout)) : T.One;
        int width = heads * headDim;
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < queryLength; i++)
                {
                    int pRow = ((b * heads + h) * queryLength + i) * keyLength;
                    int qRow = (b * queryLength + i) * width + h * headDim;

                    // Scores of allowed keys and their maximum.
                    T max = T.NegativeInfinity;
                    bool any = false;
                    for (int j = 0; j < keyLength; j++)
                    {
                        if (!mask.IsAllowed(b, i, j, queryLength, keyLength))
                        {
                            probabilities[pRow + j] = T.Zero;
                            continue;
                        }

                        int kRow = (b * keyLength + j) * width + h * headDim;
                        T score = T.Zero;
                        for (int d = 0; d < headDim; d++)
                        {
                            score += q[qRow + d] * k[kRow + d];
                        }

                        score *= scale;
                        probabilities[pRow + j] = score;
                        max = any ? T.Max(max, score) : score;
                        any = true;
                    }

                    // Softmax over allowed keys, max subtracted; a row without allowed keys stays zero.
                    T sum = T.Zero;
                    for (int j = 0; j < keyLength; j++)
                    {
                        if (any && mask.IsAllowed(b, i, j, queryLength, keyLength))
                        {
                            T e = T.Exp(probabilities[pRow + j] - max);
                            probabilities[pRow + j] = e;
                            sum += e;
                        }
                    }

                    for (int j = 0; j < keyLength && any; j++)
                    {
                        probabilities[pRow + j] /= sum;
                    }

                    // Dropout: allowed key j is kept when its uniform draw (counter offset + element index) is at least p.
                    for (int j = 0; j < keyLength && drop; j++)
                    {
                        bool kept = mask.IsAllowed(b, i, j, queryLength, keyLength)
                            && CounterRandom.Uniform(seed, stream, offset + (ulong)(pRow + j)) >= dropout;
                        dropoutMask[pRow + j] = kept ? (byte)1 : (byte)0;
                    }

                    for (int d = 0; d < headDim; d++)
                    {
                        T value = T.Zero;
                        for (int j = 0; j < keyLength; j++)
                        {
                            T weight = drop ? probabilities[pRow + j] * T.CreateChecked(dropoutMask[pRow + j]) * keepScale : probabilities[pRow + j];
                            value += weight * v[(b * keyLength + j) * width + h * headDim + d];
                        }

                        output[qRow + d] = value;
                    }
                }
            }
        }
    }

    /// <summary>Reference for <c>Attention.Backward</c>: accumulates into <paramref name="dQ"/>, <paramref name="dK"/>, <paramref name="dV"/>.</summary>
    /// <param name="dQ"><c>[B, Tq, H·dh]</c>, accumulated.</param>
    /// <param name="dK"><c>[B, Tk, H·dh]</c>, accumulated.</param>
    /// <param name="dV"><c>[B, Tk, H·dh]</c>, accumulated.</param>
    /// <param name="dOutput"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="q"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="k"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="v"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="probabilities"><c>[B, H, Tq, Tk]</c> from <c>Forward</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="queryLength">Tq.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">dh.</param>
    /// <param name="mask">The mask given to <c>Forward</c>.</param>
    /// <param name="scale">The scale given to <c>Forward</c>.</param>
    public static void Backward<T>(
        Span<T> dQ, Span<T> dK, Span<T> dV, ReadOnlySpan<T> dOutput,
        ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> probabilities,
        int batch, int queryLength, int keyLength, int heads, int headDim, in AttentionMask mask, T scale)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(dQ, dK, dV, dOutput, q, k, v, probabilities, batch, queryLength, keyLength, heads, headDim, mask, scale, [], 0f, training: false);

    /// <summary>Reference for <c>Attention.Backward</c> with dropout on the probabilities: accumulates into <paramref name="dQ"/>, <paramref name="dK"/>, <paramref name="dV"/>.</summary>
    /// <param name="dQ"><c>[B, Tq, H·dh]</c>, accumulated.</param>
    /// <param name="dK"><c>[B, Tk, H·dh]</c>, accumulated.</param>
    /// <param name="dV"><c>[B, Tk, H·dh]</c>, accumulated.</param>
    /// <param name="dOutput"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="q"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="k"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="v"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="probabilities"><c>[B, H, Tq, Tk]</c>, the softmax before dropout, from the forward.</param>
    /// <param name="batch">B.</param>
    /// <param name="queryLength">Tq.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">dh.</param>
    /// <param name="mask">The mask given to the forward.</param>
    /// <param name="scale">The scale given to the forward.</param>
    /// <param name="dropoutMask"><c>[B, H, Tq, Tk]</c> from the forward; may be empty when not training or <paramref name="dropout"/> is 0.</param>
    /// <param name="dropout">The drop probability the forward used.</param>
    /// <param name="training">The mode the forward ran in.</param>
    public static void Backward<T>(
        Span<T> dQ, Span<T> dK, Span<T> dV, ReadOnlySpan<T> dOutput,
        ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> probabilities,
        int batch, int queryLength, int keyLength, int heads, int headDim, in AttentionMask mask, T scale,
        ReadOnlySpan<byte> dropoutMask, float dropout, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths<T>(dQ, nameof(dQ), q, k, v, probabilities, batch, queryLength, keyLength, heads, headDim);
        Guard.Length(dK, k.Length);
        Guard.Length(dV, v.Length);
        Guard.Length(dOutput, q.Length);
        mask.Validate(batch, queryLength, keyLength);
        bool drop = training && dropout > 0f;
        if (drop)
        {
            Guard.Length(dropoutMask, probabilities.Length);
        }

        T keepScale = drop ? T.CreateChecked(Dropout.KeepScale(dropout)) : T.One;
        int width = heads * headDim;
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < queryLength; i++)
                {
                    int pRow = ((b * heads + h) * queryLength + i) * keyLength;
                    int qRow = (b * queryLength + i) * width + h * headDim;

                    // With dropout the output weights are P_d = P ∘ M · s (s = 1 / (1 − p)): dP_d[j] = dO_i · v_j and
                    // dV_j += P_d[i,j] dO_i; dP[j] = dP_d[j] M[i,j] s (without dropout M s = 1).
                    // dS[j] = P[i,j] (dP[j] − Σ_l P[i,l] dP[l]); masked keys have P = 0, hence dS = 0.
                    T rowDot = T.Zero;
                    for (int j = 0; j < keyLength; j++)
                    {
                        int vRow = (b * keyLength + j) * width + h * headDim;
                        T keep = drop ? T.CreateChecked(dropoutMask[pRow + j]) * keepScale : T.One;
                        T dP = T.Zero;
                        for (int d = 0; d < headDim; d++)
                        {
                            dP += dOutput[qRow + d] * v[vRow + d];
                            dV[vRow + d] += probabilities[pRow + j] * keep * dOutput[qRow + d];
                        }

                        rowDot += probabilities[pRow + j] * dP * keep;
                    }

                    for (int j = 0; j < keyLength; j++)
                    {
                        if (!mask.IsAllowed(b, i, j, queryLength, keyLength))
                        {
                            continue;
                        }

                        int kRow = (b * keyLength + j) * width + h * headDim;
                        T keep = drop ? T.CreateChecked(dropoutMask[pRow + j]) * keepScale : T.One;
                        T dP = T.Zero;
                        for (int d = 0; d < headDim; d++)
                        {
                            dP += dOutput[qRow + d] * v[kRow + d];
                        }

                        T dScore = probabilities[pRow + j] * (dP * keep - rowDot) * scale;
                        for (int d = 0; d < headDim; d++)
                        {
                            dQ[qRow + d] += dScore * k[kRow + d];
                            dK[kRow + d] += dScore * q[qRow + d];
                        }
                    }
                }
            }
        }
    }

    private static void CheckLengths<T>(ReadOnlySpan<T> output, string outputName, ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<T> probabilities,
        int batch, int queryLength, int keyLength, int heads, int headDim)
    {
        Guard.Positive(batch);
        Guard.Positive(queryLength);
        Guard.Positive(keyLength);
        Guard.Positive(heads);
        Guard.Positive(headDim);
        long width = (long)heads * headDim;
        Guard.Length(output, batch * queryLength * width, outputName);
        Guard.Length(q, batch * queryLength * width);
        Guard.Length(k, batch * keyLength * width);
        Guard.Length(v, batch * keyLength * width);
        Guard.Length(probabilities, (long)batch * heads * queryLength * keyLength);
    }
}
