using System;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Attention over row-strided queries, keys and values: the overloads for projections made by one GEMM of width 3·H·dh
/// (self-attention: q, k and v are the column blocks <c>[0, D)</c>, <c>[D, 2D)</c>, <c>[2D, 3D)</c> of one <c>[B·T, 3D]</c>
/// matrix, stride 3D) or 2·H·dh (cross-attention: k and v from one <c>[B·S, 2D]</c> matrix over the memory, stride 2D).
/// </summary>
/// <remarks>
/// Row <c>r</c> of q (and of dQ) starts at <c>r · queryStride</c>, row <c>r</c> of k, v, dK and dV at
/// <c>r · keyValueStride</c>; each row holds the <c>H·dh</c> floats the unstrided overloads read, so with both strides equal to
/// <c>H·dh</c> these are exactly those overloads, bit for bit. The output and dOutput stay <c>[B, Tq, H·dh]</c>, unstrided. dQ, dK
/// and dV may be column blocks of one buffer (each (batch, head) pair writes only its own columns of its own rows).
/// </remarks>
public static unsafe partial class Attention
{
    /// <summary>
    /// <see cref="Forward(Span{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, int, int, in AttentionMask, float, WorkerPool?)"/>
    /// over row-strided q, k and v.
    /// </summary>
    /// <param name="output"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="probabilities"><c>[B, H, Tq, Tk]</c>, saved for <c>Backward</c>.</param>
    /// <param name="q">B·Tq rows of H·dh floats, <paramref name="queryStride"/> apart.</param>
    /// <param name="k">B·Tk rows of H·dh floats, <paramref name="keyValueStride"/> apart.</param>
    /// <param name="v">B·Tk rows of H·dh floats, <paramref name="keyValueStride"/> apart.</param>
    /// <param name="queryStride">Floats between rows of q, at least H·dh.</param>
    /// <param name="keyValueStride">Floats between rows of k and of v, at least H·dh.</param>
    /// <param name="batch">B.</param>
    /// <param name="queryLength">Tq.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">dh.</param>
    /// <param name="mask">Which keys each query may attend to.</param>
    /// <param name="scale">Score scale, usually <see cref="DefaultScale"/>.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Forward(
        Span<float> output, Span<float> probabilities,
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int queryStride, int keyValueStride,
        int batch, int queryLength, int keyLength, int heads, int headDim,
        in AttentionMask mask, float scale, WorkerPool? pool = null) =>
        ForwardCore(output, probabilities, q, k, v, queryStride, keyValueStride, batch, queryLength, keyLength, heads, headDim, mask, scale, default, pool);

    /// <summary>The forward with dropout on the probabilities over row-strided q, k and v (strides as in the overload without dropout).</summary>
    /// <param name="output"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="probabilities"><c>[B, H, Tq, Tk]</c>, the softmax before dropout, saved for <c>Backward</c>.</param>
    /// <param name="q">B·Tq rows of H·dh floats, <paramref name="queryStride"/> apart.</param>
    /// <param name="k">B·Tk rows of H·dh floats, <paramref name="keyValueStride"/> apart.</param>
    /// <param name="v">B·Tk rows of H·dh floats, <paramref name="keyValueStride"/> apart.</param>
    /// <param name="queryStride">Floats between rows of q, at least H·dh.</param>
    /// <param name="keyValueStride">Floats between rows of k and of v, at least H·dh.</param>
    /// <param name="batch">B.</param>
    /// <param name="queryLength">Tq.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">dh.</param>
    /// <param name="mask">Which keys each query may attend to.</param>
    /// <param name="scale">Score scale, usually <see cref="DefaultScale"/>.</param>
    /// <param name="dropoutMask"><c>[B, H, Tq, Tk]</c> bytes, overwritten and saved for backward.</param>
    /// <param name="dropout">Probability of dropping a probability, in <c>[0, 1]</c>.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="stream">Random stream, one per dropout site.</param>
    /// <param name="offset">Counter of element 0 of the probabilities.</param>
    /// <param name="training"><see langword="false"/> turns dropout off.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Forward(
        Span<float> output, Span<float> probabilities,
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int queryStride, int keyValueStride,
        int batch, int queryLength, int keyLength, int heads, int headDim,
        in AttentionMask mask, float scale,
        Span<byte> dropoutMask, float dropout, ulong seed, ulong stream, ulong offset, bool training, WorkerPool? pool = null)
    {
        CheckDimensions(batch, queryLength, keyLength, heads, headDim);
        Guard.Length(dropoutMask, (long)batch * heads * queryLength * keyLength);
        CheckDropout(dropout);
        if (!training || dropout == 0f)
        {
            ForwardCore(output, probabilities, q, k, v, queryStride, keyValueStride, batch, queryLength, keyLength, heads, headDim, mask, scale, default, pool);
            dropoutMask.Fill(1);
            return;
        }

        fixed (byte* keep = dropoutMask)
        {
            var settings = new DropoutSettings
            {
                Mask = keep, P = dropout, Scale = Dropout.KeepScale(dropout), Seed = seed, Stream = stream, Offset = offset,
            };
            ForwardCore(output, probabilities, q, k, v, queryStride, keyValueStride, batch, queryLength, keyLength, heads, headDim, mask, scale, settings, pool);
        }
    }

    /// <summary>The backward over row-strided q, k, v and their gradients (accumulated, <c>+=</c>).</summary>
    /// <param name="dQ">B·Tq rows, <paramref name="queryStride"/> apart, accumulated.</param>
    /// <param name="dK">B·Tk rows, <paramref name="keyValueStride"/> apart, accumulated.</param>
    /// <param name="dV">B·Tk rows, <paramref name="keyValueStride"/> apart, accumulated.</param>
    /// <param name="dOutput"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="q">B·Tq rows, <paramref name="queryStride"/> apart.</param>
    /// <param name="k">B·Tk rows, <paramref name="keyValueStride"/> apart.</param>
    /// <param name="v">B·Tk rows, <paramref name="keyValueStride"/> apart.</param>
    /// <param name="queryStride">Floats between rows of q and dQ.</param>
    /// <param name="keyValueStride">Floats between rows of k, v, dK and dV.</param>
    /// <param name="probabilities"><c>[B, H, Tq, Tk]</c> from <c>Forward</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="queryLength">Tq.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">dh.</param>
    /// <param name="mask">The mask given to <c>Forward</c>.</param>
    /// <param name="scale">The scale given to <c>Forward</c>.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/><c>(Tq, Tk, threads)</c> floats; contents are overwritten.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Backward(
        Span<float> dQ, Span<float> dK, Span<float> dV,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int queryStride, int keyValueStride,
        ReadOnlySpan<float> probabilities,
        int batch, int queryLength, int keyLength, int heads, int headDim,
        in AttentionMask mask, float scale, Span<float> scratch, WorkerPool? pool = null) =>
        BackwardCore(dQ, dK, dV, dOutput, q, k, v, queryStride, keyValueStride, probabilities, batch, queryLength, keyLength, heads, headDim, mask, scale, default, scratch, pool);

    /// <summary>The backward of the forward with dropout, over row-strided q, k, v and their gradients (accumulated, <c>+=</c>).</summary>
    /// <param name="dQ">B·Tq rows, <paramref name="queryStride"/> apart, accumulated.</param>
    /// <param name="dK">B·Tk rows, <paramref name="keyValueStride"/> apart, accumulated.</param>
    /// <param name="dV">B·Tk rows, <paramref name="keyValueStride"/> apart, accumulated.</param>
    /// <param name="dOutput"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="q">B·Tq rows, <paramref name="queryStride"/> apart.</param>
    /// <param name="k">B·Tk rows, <paramref name="keyValueStride"/> apart.</param>
    /// <param name="v">B·Tk rows, <paramref name="keyValueStride"/> apart.</param>
    /// <param name="queryStride">Floats between rows of q and dQ.</param>
    /// <param name="keyValueStride">Floats between rows of k, v, dK and dV.</param>
    /// <param name="probabilities"><c>[B, H, Tq, Tk]</c>, the undropped softmax saved by the forward.</param>
    /// <param name="batch">B.</param>
    /// <param name="queryLength">Tq.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">dh.</param>
    /// <param name="mask">The mask given to the forward.</param>
    /// <param name="scale">The scale given to the forward.</param>
    /// <param name="dropoutMask"><c>[B, H, Tq, Tk]</c>, the dropout mask saved by the forward.</param>
    /// <param name="dropout">The drop probability the forward used.</param>
    /// <param name="training">The mode the forward ran in.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/><c>(Tq, Tk, threads)</c> floats; contents are overwritten.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Backward(
        Span<float> dQ, Span<float> dK, Span<float> dV,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int queryStride, int keyValueStride,
        ReadOnlySpan<float> probabilities,
        int batch, int queryLength, int keyLength, int heads, int headDim,
        in AttentionMask mask, float scale,
        ReadOnlySpan<byte> dropoutMask, float dropout, bool training, Span<float> scratch, WorkerPool? pool = null)
    {
        CheckDimensions(batch, queryLength, keyLength, heads, headDim);
        Guard.Length(dropoutMask, (long)batch * heads * queryLength * keyLength);
        CheckDropout(dropout);
        if (!training || dropout == 0f)
        {
            BackwardCore(dQ, dK, dV, dOutput, q, k, v, queryStride, keyValueStride, probabilities, batch, queryLength, keyLength, heads, headDim, mask, scale, default, scratch, pool);
            return;
        }

        fixed (byte* keep = dropoutMask)
        {
            var settings = new DropoutSettings { Mask = keep, P = dropout, Scale = Dropout.KeepScale(dropout) };
            BackwardCore(dQ, dK, dV, dOutput, q, k, v, queryStride, keyValueStride, probabilities, batch, queryLength, keyLength, heads, headDim, mask, scale, settings, scratch, pool);
        }
    }
}
