using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook additive (Bahdanau) attention and single-query softmax-context attention, generic over the element
/// type, beside the tuned <see cref="AdditiveAttention"/> and <see cref="SingleQueryAttention"/>. Same layouts and
/// key-padding semantics; no scratch, no threads.
/// </summary>
public static class AdditiveAttentionReference
{
    /// <summary>Reference for <see cref="AdditiveAttention.Forward"/>.</summary>
    /// <param name="context"><c>[B, Dv]</c>, overwritten.</param>
    /// <param name="tanhActivations"><c>[B, Tk, A]</c>, overwritten (0 for padded keys).</param>
    /// <param name="weights"><c>[B, Tk]</c>, overwritten.</param>
    /// <param name="ws"><c>[B, A]</c>.</param>
    /// <param name="uh"><c>[B, Tk, A]</c>.</param>
    /// <param name="v"><c>[A]</c>.</param>
    /// <param name="h"><c>[B, Tk, Dv]</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="attentionDim">A.</param>
    /// <param name="valueDim">Dv.</param>
    /// <param name="keyLengths">Valid keys per batch element, or empty for none.</param>
    public static void Forward<T>(
        Span<T> context, Span<T> tanhActivations, Span<T> weights,
        ReadOnlySpan<T> ws, ReadOnlySpan<T> uh, ReadOnlySpan<T> v, ReadOnlySpan<T> h,
        int batch, int keyLength, int attentionDim, int valueDim, ReadOnlySpan<int> keyLengths = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(tanhActivations, (long)batch * keyLength * attentionDim);
        Guard.Length(ws, (long)batch * attentionDim);
        Guard.Length(uh, (long)batch * keyLength * attentionDim);
        Guard.Length(v, attentionDim);
        Guard.Length(weights, (long)batch * keyLength);
        var scores = new T[batch * keyLength];
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < keyLength; j++)
            {
                bool valid = keyLengths.IsEmpty || j < keyLengths[b];
                T score = T.Zero;
                for (int d = 0; d < attentionDim; d++)
                {
                    int index = (b * keyLength + j) * attentionDim + d;
                    T a = valid ? T.Tanh(ws[b * attentionDim + d] + uh[index]) : T.Zero;
                    tanhActivations[index] = a;
                    score += v[d] * a;
                }

                scores[b * keyLength + j] = score;
            }
        }

        SingleQueryForward(context, weights, scores, h, batch, keyLength, valueDim, keyLengths);
    }

    /// <summary>Reference for <see cref="AdditiveAttention.Backward"/>: accumulates into every gradient.</summary>
    /// <param name="dWs"><c>[B, A]</c>, accumulated.</param>
    /// <param name="dUh"><c>[B, Tk, A]</c>, accumulated.</param>
    /// <param name="dv"><c>[A]</c>, accumulated.</param>
    /// <param name="dH"><c>[B, Tk, Dv]</c>, accumulated.</param>
    /// <param name="dContext"><c>[B, Dv]</c>.</param>
    /// <param name="v"><c>[A]</c>.</param>
    /// <param name="h"><c>[B, Tk, Dv]</c>.</param>
    /// <param name="tanhActivations"><c>[B, Tk, A]</c> from <see cref="Forward"/>.</param>
    /// <param name="weights"><c>[B, Tk]</c> from <see cref="Forward"/>.</param>
    /// <param name="batch">B.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="attentionDim">A.</param>
    /// <param name="valueDim">Dv.</param>
    /// <param name="keyLengths">The lengths given to <see cref="Forward"/>.</param>
    public static void Backward<T>(
        Span<T> dWs, Span<T> dUh, Span<T> dv, Span<T> dH,
        ReadOnlySpan<T> dContext, ReadOnlySpan<T> v, ReadOnlySpan<T> h,
        ReadOnlySpan<T> tanhActivations, ReadOnlySpan<T> weights,
        int batch, int keyLength, int attentionDim, int valueDim, ReadOnlySpan<int> keyLengths = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dWs, (long)batch * attentionDim);
        Guard.Length(dUh, (long)batch * keyLength * attentionDim);
        Guard.Length(dv, attentionDim);
        var dScores = new T[batch * keyLength];
        SingleQueryBackward<T>(dScores, dH, dContext, h, weights, batch, keyLength, valueDim, keyLengths);
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < keyLength; j++)
            {
                T de = dScores[b * keyLength + j];
                for (int d = 0; d < attentionDim; d++)
                {
                    int index = (b * keyLength + j) * attentionDim + d;
                    T a = tanhActivations[index];
                    dv[d] += de * a;
                    T dz = de * v[d] * (T.One - a * a);
                    dUh[index] += dz;
                    dWs[b * attentionDim + d] += dz;
                }
            }
        }
    }

    /// <summary>Reference for <see cref="SingleQueryAttention.Forward"/>.</summary>
    /// <param name="context"><c>[B, Dv]</c>, overwritten.</param>
    /// <param name="weights"><c>[B, Tk]</c>, overwritten.</param>
    /// <param name="scores"><c>[B, Tk]</c>.</param>
    /// <param name="values"><c>[B, Tk, Dv]</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="valueDim">Dv.</param>
    /// <param name="keyLengths">Valid keys per batch element, or empty for none.</param>
    public static void SingleQueryForward<T>(
        Span<T> context, Span<T> weights, ReadOnlySpan<T> scores, ReadOnlySpan<T> values,
        int batch, int keyLength, int valueDim, ReadOnlySpan<int> keyLengths = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(context, (long)batch * valueDim);
        Guard.Length(weights, (long)batch * keyLength);
        Guard.Length(scores, (long)batch * keyLength);
        Guard.Length(values, (long)batch * keyLength * valueDim);
        for (int b = 0; b < batch; b++)
        {
            int valid = keyLengths.IsEmpty ? keyLength : keyLengths[b];
            T max = T.NegativeInfinity;
            for (int j = 0; j < valid; j++)
            {
                max = T.Max(max, scores[b * keyLength + j]);
            }

            T sum = T.Zero;
            for (int j = 0; j < keyLength; j++)
            {
                T e = j < valid ? T.Exp(scores[b * keyLength + j] - max) : T.Zero;
                weights[b * keyLength + j] = e;
                sum += e;
            }

            for (int j = 0; j < valid; j++)
            {
                weights[b * keyLength + j] /= sum;
            }

            for (int d = 0; d < valueDim; d++)
            {
                T value = T.Zero;
                for (int j = 0; j < keyLength; j++)
                {
                    value += weights[b * keyLength + j] * values[(b * keyLength + j) * valueDim + d];
                }

                context[b * valueDim + d] = value;
            }
        }
    }

    /// <summary>Reference for <see cref="SingleQueryAttention.Backward"/>: accumulates into <paramref name="dScores"/> and <paramref name="dValues"/>.</summary>
    /// <param name="dScores"><c>[B, Tk]</c>, accumulated.</param>
    /// <param name="dValues"><c>[B, Tk, Dv]</c>, accumulated.</param>
    /// <param name="dContext"><c>[B, Dv]</c>.</param>
    /// <param name="values"><c>[B, Tk, Dv]</c>.</param>
    /// <param name="weights"><c>[B, Tk]</c> from <see cref="SingleQueryForward"/>.</param>
    /// <param name="batch">B.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="valueDim">Dv.</param>
    /// <param name="keyLengths">The lengths given to <see cref="SingleQueryForward"/>.</param>
    public static void SingleQueryBackward<T>(
        Span<T> dScores, Span<T> dValues, ReadOnlySpan<T> dContext, ReadOnlySpan<T> values, ReadOnlySpan<T> weights,
        int batch, int keyLength, int valueDim, ReadOnlySpan<int> keyLengths = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dScores, (long)batch * keyLength);
        Guard.Length(dValues, (long)batch * keyLength * valueDim);
        Guard.Length(dContext, (long)batch * valueDim);
        Guard.Length(values, (long)batch * keyLength * valueDim);
        Guard.Length(weights, (long)batch * keyLength);
        for (int b = 0; b < batch; b++)
        {
            // dw_j = dC · h_j; de_j = w_j (dw_j − Σ_l w_l dw_l); dH_j += w_j dC. Padded keys have w = 0.
            var dw = new T[keyLength];
            T rowDot = T.Zero;
            for (int j = 0; j < keyLength; j++)
            {
                for (int d = 0; d < valueDim; d++)
                {
                    dw[j] += dContext[b * valueDim + d] * values[(b * keyLength + j) * valueDim + d];
                    dValues[(b * keyLength + j) * valueDim + d] += weights[b * keyLength + j] * dContext[b * valueDim + d];
                }

                rowDot += weights[b * keyLength + j] * dw[j];
            }

            for (int j = 0; j < keyLength; j++)
            {
                dScores[b * keyLength + j] += weights[b * keyLength + j] * (dw[j] - rowDot);
            }
        }
    }
}
