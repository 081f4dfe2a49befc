using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;
using ModelDsl.Randomness;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Multi-head scaled dot-product attention over already projected queries, keys and values:
/// <c>P = softmax(scale · Q Kᵀ + mask)</c>, <c>O = P V</c>, per batch element and head.
/// </summary>
/// <remarks>
/// <para>Layouts (PyTorch): <c>q</c> is <c>[B, Tq, H·dh]</c>, <c>k</c> and <c>v</c> are <c>[B, Tk, H·dh]</c>, heads interleaved
/// in the last dimension as <c>[B, T, H, dh]</c>; the output is <c>[B, Tq, H·dh]</c>; the probabilities saved for
/// backward are <c>[B, H, Tq, Tk]</c>. The Q/K/V/output projections are <see cref="Gemm"/> calls made by the caller.</para>
/// <para>Masks (<see cref="AttentionMask"/>): each query's contiguous range of possibly allowed keys is computed from the
/// causal, window and padding parts, and only that range is scored; an adjacency matrix is applied inside the range.
/// A query whose keys are all masked gets a zero output row, zero probabilities and zero gradients.</para>
/// <para>Dropout (PyTorch's <c>nn.MultiheadAttention(dropout = p)</c>): the overloads with a dropout mask apply inverted
/// dropout to the probabilities before they weight the values, <c>O = (P ∘ M / (1 − p)) V</c>. The saved probabilities stay
/// the undropped softmax <c>P</c>; the mask <c>M</c> (one byte per probability, 1 = kept) is saved beside them. Probability
/// <c>[b,h,i,j]</c>, element <c>e = ((b·H + h)·Tq + i)·Tk + j</c>, is kept exactly when key <c>j</c> is allowed and
/// <c>CounterRandom.Uniform(seed, stream, offset + e) &gt;= p</c> (as in <see cref="Dropout"/>), so the mask depends only on
/// those integers, never on the thread count; masked keys keep probability 0 and mask byte 0.</para>
/// <para>Work is split over (batch, head) pairs; each pair writes only its own slices, and the arithmetic of a pair
/// does not depend on the thread that runs it, so results are bit-identical for any thread count.</para>
/// </remarks>
public static unsafe partial class Attention
{
    /// <summary>Keys whose dropped probabilities the forward stages on the stack at a time (1 KiB).</summary>
    private const int DropoutChunk = 256;

    /// <summary>The usual scale <c>1/√dh</c>; pass 1 for plain (unscaled) dot-product attention.</summary>
    public static float DefaultScale(int headDim)
    {
        Guard.Positive(headDim);
        return 1f / MathF.Sqrt(headDim);
    }

    /// <summary>Scratch floats <c>Backward</c> needs: one <c>[Tq, Tk]</c> plane per thread of the pool.</summary>
    /// <param name="queryLength">Tq.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="threadCount">The pool's <see cref="WorkerPool.ThreadCount"/> (1 without a pool).</param>
    public static int ScratchLength(int queryLength, int keyLength, int threadCount)
    {
        Guard.Positive(queryLength);
        Guard.Positive(keyLength);
        Guard.Positive(threadCount);
        return checked(queryLength * keyLength * threadCount);
    }

    /// <summary>
    /// Forward: <c>probabilities[b,h,i,:] = softmax_j(scale · q[b,i,h,:]·k[b,j,h,:])</c> over allowed keys (0 elsewhere),
    /// <c>output[b,i,h,:] = Σ_j probabilities[b,h,i,j] · v[b,j,h,:]</c>. Both outputs are overwritten.
    /// </summary>
    /// <param name="output"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="probabilities"><c>[B, H, Tq, Tk]</c>, saved for <c>Backward</c>.</param>
    /// <param name="q"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="k"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="v"><c>[B, Tk, H·dh]</c>.</param>
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
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        int batch, int queryLength, int keyLength, int heads, int headDim,
        in AttentionMask mask, float scale, WorkerPool? pool = null) =>
        ForwardCore(output, probabilities, q, k, v, heads * headDim, heads * headDim, batch, queryLength, keyLength, heads, headDim, mask, scale, default, pool);

    /// <summary>
    /// Forward with dropout on the probabilities: as the overload without dropout, but in training the values are weighted by
    /// <c>probabilities ∘ dropoutMask / (1 − dropout)</c>. <paramref name="probabilities"/> still receives the undropped softmax.
    /// Not training, or <c>dropout = 0</c>, gives exactly the forward without dropout (and a mask of all 1).
    /// </summary>
    /// <param name="output"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="probabilities"><c>[B, H, Tq, Tk]</c>, the softmax before dropout, saved for <c>Backward</c>.</param>
    /// <param name="q"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="k"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="v"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="queryLength">Tq.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="heads">H.</param>
    /// <param name="headDim">dh.</param>
    /// <param name="mask">Which keys each query may attend to.</param>
    /// <param name="scale">Score scale, usually <see cref="DefaultScale"/>.</param>
    /// <param name="dropoutMask"><c>[B, H, Tq, Tk]</c> bytes, overwritten and saved for backward: 1 = kept, 0 = dropped or masked key
    /// (all 1 when not training or <c>dropout = 0</c>).</param>
    /// <param name="dropout">Probability of dropping a probability, in <c>[0, 1]</c>.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="stream">Random stream, one per dropout site.</param>
    /// <param name="offset">Counter of element 0 of the probabilities; element <c>e</c> uses counter <c>offset + e</c>.</param>
    /// <param name="training"><see langword="false"/> turns dropout off.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Forward(
        Span<float> output, Span<float> probabilities,
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        int batch, int queryLength, int keyLength, int heads, int headDim,
        in AttentionMask mask, float scale,
        Span<byte> dropoutMask, float dropout, ulong seed, ulong stream, ulong offset, bool training, WorkerPool? pool = null)
    {
        CheckDimensions(batch, queryLength, keyLength, heads, headDim);
        Guard.Length(dropoutMask, (long)batch * heads * queryLength * keyLength);
        CheckDropout(dropout);
        if (!training || dropout == 0f)
        {
            ForwardCore(output, probabilities, q, k, v, heads * headDim, heads * headDim, batch, queryLength, keyLength, heads, headDim, mask, scale, default, pool);
            dropoutMask.Fill(1);
            return;
        }

        fixed (byte* keep = dropoutMask)
        {
            var settings = new DropoutSettings
            {
                Mask = keep, P = dropout, Scale = Dropout.KeepScale(dropout), Seed = seed, Stream = stream, Offset = offset,
            };
            ForwardCore(output, probabilities, q, k, v, heads * headDim, heads * headDim, batch, queryLength, keyLength, heads, headDim, mask, scale, settings, pool);
        }
    }

    private static void ForwardCore(
        Span<float> output, Span<float> probabilities,
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int queryStride, int keyValueStride,
        int batch, int queryLength, int keyLength, int heads, int headDim,
        in AttentionMask mask, float scale, in DropoutSettings dropout, WorkerPool? pool)
    {
        using var profile = KernelProfile.Time(KernelFamily.Attention);
        CheckDimensions(batch, queryLength, keyLength, heads, headDim);
        long width = (long)heads * headDim;
        Guard.Length(output, batch * queryLength * width);
        Guard.Length(probabilities, (long)batch * heads * queryLength * keyLength);
        CheckStrided(q, queryStride, batch * queryLength, width);
        CheckStrided(k, keyValueStride, batch * keyLength, width);
        CheckStrided(v, keyValueStride, batch * keyLength, width);
        Guard.NoOverlap<float>(output, q);
        Guard.NoOverlap<float>(output, k);
        Guard.NoOverlap<float>(output, v);
        Guard.NoOverlap<float>(probabilities, output);
        mask.Validate(batch, queryLength, keyLength);

        fixed (float* o = output, p = probabilities, qp = q, kp = k, vp = v)
        fixed (int* lengths = mask.KeyLengths)
        fixed (bool* allowed = mask.Allowed)
        {
            var job = new Job
            {
                Output = o, Probabilities = p, Q = qp, K = kp, V = vp, QStride = queryStride, KVStride = keyValueStride,
                Batch = batch, QueryLength = queryLength, KeyLength = keyLength, Heads = heads, HeadDim = headDim,
                Scale = scale, Dropout = dropout,
            };
            job.SetMask(mask, lengths, allowed, queryLength, keyLength);
            int pairs = batch * heads;
            delegate*<void*, int, void> body = UsesBlocked(job) ? &ForwardPairBlocked : &ForwardPair;
            if (pool is null)
            {
                for (int pair = 0; pair < pairs; pair++)
                {
                    body(&job, pair);
                }
            }
            else
            {
                pool.Run(pairs, body, &job);
            }
        }
    }

    /// <summary>
    /// Backward: accumulates (<c>+=</c>) the gradients of the loss with respect to <paramref name="q"/>,
    /// <paramref name="k"/> and <paramref name="v"/> into <paramref name="dQ"/>, <paramref name="dK"/>, <paramref name="dV"/>,
    /// given <paramref name="dOutput"/> and the probabilities saved by <c>Forward</c> with the same mask and scale.
    /// </summary>
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
    /// <param name="scratch">At least <see cref="ScratchLength"/><c>(Tq, Tk, threads)</c> floats; contents are overwritten.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Backward(
        Span<float> dQ, Span<float> dK, Span<float> dV,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> probabilities,
        int batch, int queryLength, int keyLength, int heads, int headDim,
        in AttentionMask mask, float scale, Span<float> scratch, WorkerPool? pool = null) =>
        BackwardCore(dQ, dK, dV, dOutput, q, k, v, heads * headDim, heads * headDim, probabilities, batch, queryLength, keyLength, heads, headDim, mask, scale, default, scratch, pool);

    /// <summary>
    /// Backward of the forward with dropout on the probabilities: <c>dP = (dO Vᵀ) ∘ M / (1 − p)</c> goes through the softmax
    /// backward, and <c>dV</c> uses the dropped probabilities <c>P ∘ M / (1 − p)</c>. Accumulates (<c>+=</c>) like the overload
    /// without dropout, which it equals exactly when not training or <c>dropout = 0</c>.
    /// </summary>
    /// <param name="dQ"><c>[B, Tq, H·dh]</c>, accumulated.</param>
    /// <param name="dK"><c>[B, Tk, H·dh]</c>, accumulated.</param>
    /// <param name="dV"><c>[B, Tk, H·dh]</c>, accumulated.</param>
    /// <param name="dOutput"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="q"><c>[B, Tq, H·dh]</c>.</param>
    /// <param name="k"><c>[B, Tk, H·dh]</c>.</param>
    /// <param name="v"><c>[B, Tk, H·dh]</c>.</param>
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
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
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
            BackwardCore(dQ, dK, dV, dOutput, q, k, v, heads * headDim, heads * headDim, probabilities, batch, queryLength, keyLength, heads, headDim, mask, scale, default, scratch, pool);
            return;
        }

        fixed (byte* keep = dropoutMask)
        {
            var settings = new DropoutSettings { Mask = keep, P = dropout, Scale = Dropout.KeepScale(dropout) };
            BackwardCore(dQ, dK, dV, dOutput, q, k, v, heads * headDim, heads * headDim, probabilities, batch, queryLength, keyLength, heads, headDim, mask, scale, settings, scratch, pool);
        }
    }

    private static void BackwardCore(
        Span<float> dQ, Span<float> dK, Span<float> dV,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int queryStride, int keyValueStride,
        ReadOnlySpan<float> probabilities,
        int batch, int queryLength, int keyLength, int heads, int headDim,
        in AttentionMask mask, float scale, in DropoutSettings dropout, Span<float> scratch, WorkerPool? pool)
    {
        using var profile = KernelProfile.Time(KernelFamily.Attention);
        CheckDimensions(batch, queryLength, keyLength, heads, headDim);
        long width = (long)heads * headDim;
        CheckStrided(dQ, queryStride, batch * queryLength, width);
        CheckStrided(dK, keyValueStride, batch * keyLength, width);
        CheckStrided(dV, keyValueStride, batch * keyLength, width);
        Guard.Length(dOutput, batch * queryLength * width);
        CheckStrided(q, queryStride, batch * queryLength, width);
        CheckStrided(k, keyValueStride, batch * keyLength, width);
        CheckStrided(v, keyValueStride, batch * keyLength, width);
        Guard.Length(probabilities, (long)batch * heads * queryLength * keyLength);
        int threads = pool?.ThreadCount ?? 1;
        Guard.AtLeast<float>(scratch, ScratchLength(queryLength, keyLength, threads));
        mask.Validate(batch, queryLength, keyLength);

        fixed (float* dq = dQ, dk = dK, dv = dV, dO = dOutput, qp = q, kp = k, vp = v, p = probabilities, s = scratch)
        fixed (int* lengths = mask.KeyLengths)
        fixed (bool* allowed = mask.Allowed)
        {
            int pairs = batch * heads;
            var job = new Job
            {
                DQ = dq, DK = dk, DV = dv, DOutput = dO, Q = qp, K = kp, V = vp, Probabilities = p, Scratch = s,
                QStride = queryStride, KVStride = keyValueStride,
                Batch = batch, QueryLength = queryLength, KeyLength = keyLength, Heads = heads, HeadDim = headDim,
                Scale = scale, Dropout = dropout, Parts = Math.Min(threads, pairs),
            };
            job.SetMask(mask, lengths, allowed, queryLength, keyLength);
            if (pool is null || job.Parts == 1)
            {
                for (int part = 0; part < job.Parts; part++)
                {
                    BackwardPart(&job, part);
                }
            }
            else
            {
                pool.Run(job.Parts, &BackwardPart, &job);
            }
        }
    }

    /// <summary>
    /// Checks a row-strided operand of <paramref name="rows"/> rows of <paramref name="width"/> floats, row r at
    /// <c>r · stride</c>: the stride is at least the width, and the span reaches the last row's end. With
    /// <c>stride = width</c> the span must hold exactly the rows (as the unstrided overloads always required).
    /// </summary>
    private static void CheckStrided(ReadOnlySpan<float> span, int stride, long rows, long width, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (stride < width)
        {
            throw new ArgumentOutOfRangeException(name, stride, $"the row stride of {name} ({stride}) must be at least the width H·dh ({width}).");
        }

        if (stride == width)
        {
            Guard.Length(span, rows * width, name);
            return;
        }

        Guard.AtLeast(span, ((rows - 1) * stride) + width, name);
    }

    private static void CheckDimensions(int batch, int queryLength, int keyLength, int heads, int headDim)
    {
        Guard.Positive(batch);
        Guard.Positive(queryLength);
        Guard.Positive(keyLength);
        Guard.Positive(heads);
        Guard.Positive(headDim);
    }

    private static void CheckDropout(float dropout)
    {
        if (!(dropout >= 0f && dropout <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"dropout must be a probability in [0, 1]; got {dropout}.");
        }
    }

    /// <summary>Dropout on the probabilities; <see cref="Mask"/> null (the default) means none.</summary>
    private struct DropoutSettings
    {
        public byte* Mask;           // [B, H, Tq, Tk], 1 = kept.
        public float P, Scale;       // drop probability and 1 / (1 − p).
        public ulong Seed, Stream, Offset;
    }

    /// <summary>Everything a (batch, head) pair needs, as raw pointers to pinned memory on the caller's stack frame.</summary>
    private struct Job
    {
        public float* Output, Probabilities, Q, K, V, DOutput, DQ, DK, DV, Scratch;
        public int QStride, KVStride; // row strides of q/dQ and of k, v, dK, dV (the output's and dOutput's is H·dh).
        public int Batch, QueryLength, KeyLength, Heads, HeadDim, Parts;
        public int NextPair;         // backward: the next (batch, head) pair to hand out.
        public float Scale;
        public DropoutSettings Dropout;
        public bool Causal;
        public int QueryOffset, WindowRadius;
        public int* KeyLengths;      // null: no padding part.
        public bool* Allowed;        // null: no adjacency part.
        public long AllowedBatchStride; // 0 when one [Tq, Tk] matrix is shared by the batch.

        public void SetMask(in AttentionMask mask, int* lengths, bool* allowed, int queryLength, int keyLength)
        {
            Causal = mask.IsCausal;
            QueryOffset = mask.QueryOffset;
            WindowRadius = mask.WindowRadius;
            KeyLengths = mask.HasKeyPadding ? lengths : null;
            Allowed = mask.HasAdjacency ? allowed : null;
            long plane = (long)queryLength * keyLength;
            AllowedBatchStride = mask.Allowed.Length == plane ? 0 : plane;
        }

        /// <summary>Keys <c>[start, end)</c> that query <paramref name="i"/> of batch element <paramref name="b"/> may see, before adjacency.</summary>
        public readonly void KeyRange(int b, int i, out int start, out int end)
        {
            int limit = KeyLengths is null ? KeyLength : KeyLengths[b];
            AttentionMask.KeyRange(Causal, QueryOffset, WindowRadius, limit, i, out start, out end);
        }

        /// <summary>
        /// A range of queries <c>[start, end)</c> outside which key <paramref name="j"/> of batch element <paramref name="b"/> is
        /// masked (the inverse of <see cref="KeyRange"/>: every query whose key range holds <paramref name="j"/> is inside).
        /// </summary>
        public readonly void QueryRange(int b, int j, out int start, out int end)
        {
            start = 0;
            end = QueryLength;
            if (KeyLengths is not null && j >= KeyLengths[b])
            {
                end = 0;
                return;
            }

            long first = (long)j - QueryOffset; // query whose absolute position equals j.
            if (Causal)
            {
                start = (int)Math.Clamp(first, 0, QueryLength);
            }

            if (WindowRadius >= 0)
            {
                start = (int)Math.Clamp(Math.Max(start, first - WindowRadius), 0, QueryLength);
                end = (int)Math.Clamp(first + WindowRadius + 1, 0, QueryLength);
            }
        }
    }

    private static void ForwardPair(void* context, int pair)
    {
        ref readonly Job job = ref *(Job*)context;
        int b = pair / job.Heads, h = pair % job.Heads;
        int tq = job.QueryLength, tk = job.KeyLength, dh = job.HeadDim;
        int width = job.Heads * dh, qs = job.QStride, kvs = job.KVStride;
        float* q = job.Q + (long)b * tq * qs + h * dh;
        float* k = job.K + (long)b * tk * kvs + h * dh;
        float* v = job.V + (long)b * tk * kvs + h * dh;
        float* o = job.Output + (long)b * tq * width + h * dh;
        float* p = job.Probabilities + (long)pair * tq * tk;
        bool pairs = Avx.IsSupported && dh % Vector256<float>.Count == 0;

        int i = 0;
        while (i < tq)
        {
            long row = (long)i * qs, outRow = (long)i * width;
            float* p0 = p + (long)i * tk;
            job.KeyRange(b, i, out int start0, out int end0);
            if (pairs && i + 1 < tq)
            {
                // Two queries at once over the keys both may see: each key row loaded serves both queries.
                job.KeyRange(b, i + 1, out int start1, out int end1);
                int shared = Math.Max(start0, start1), sharedEnd = Math.Min(end0, end1);
                if (sharedEnd - shared >= 8)
                {
                    float* p1 = p0 + tk;
                    DotsTwoRows(p0 + shared, p1 + shared, q + row, q + row + qs, k + (long)shared * kvs, kvs, sharedEnd - shared, dh, job.Scale);
                    bool any0 = ScoreRemainder(job, b, i, p0, q + row, k, kvs, start0, end0, shared, sharedEnd);
                    bool any1 = ScoreRemainder(job, b, i + 1, p1, q + row + qs, k, kvs, start1, end1, shared, sharedEnd);
                    if (job.Dropout.Mask is not null)
                    {
                        DroppedRowOutput(job, b, pair, i, o + outRow, p0, v, kvs, start0, end0, any0);
                        DroppedRowOutput(job, b, pair, i + 1, o + outRow + width, p1, v, kvs, start1, end1, any1);
                    }
                    else if (any0 && any1)
                    {
                        float* o0 = o + outRow, o1 = o0 + width;
                        WeightedRowSumTwoRows(o0, o1, accumulate: false, p0 + shared, p1 + shared, 1, v + (long)shared * kvs, kvs, sharedEnd - shared, dh);
                        WeightedRowSum(o0, accumulate: true, p0 + start0, 1, v + (long)start0 * kvs, kvs, shared - start0, dh);
                        WeightedRowSum(o0, accumulate: true, p0 + sharedEnd, 1, v + (long)sharedEnd * kvs, kvs, end0 - sharedEnd, dh);
                        WeightedRowSum(o1, accumulate: true, p1 + start1, 1, v + (long)start1 * kvs, kvs, shared - start1, dh);
                        WeightedRowSum(o1, accumulate: true, p1 + sharedEnd, 1, v + (long)sharedEnd * kvs, kvs, end1 - sharedEnd, dh);
                    }
                    else
                    {
                        RowOutput(o + outRow, p0, v, kvs, start0, end0, any0, dh);
                        RowOutput(o + outRow + width, p1, v, kvs, start1, end1, any1, dh);
                    }

                    i += 2;
                    continue;
                }
            }

            bool any = false;
            if (end0 > start0)
            {
                Dots(p0 + start0, q + row, k + (long)start0 * kvs, kvs, end0 - start0, dh, job.Scale);
                any = ScoreRemainder(job, b, i, p0, q + row, k, kvs, start0, end0, start0, end0);
            }
            else
            {
                new Span<float>(p0, tk).Clear();
            }

            if (job.Dropout.Mask is not null)
            {
                DroppedRowOutput(job, b, pair, i, o + outRow, p0, v, kvs, start0, end0, any);
            }
            else
            {
                RowOutput(o + outRow, p0, v, kvs, start0, end0, any, dh);
            }

            i++;
        }
    }

    /// <summary>
    /// Finishes query <paramref name="i"/>'s probability row <paramref name="p"/>: scores the keys of <c>[start, end)</c> outside
    /// the already scored <c>[scored, scoredEnd)</c>, zeroes the keys outside <c>[start, end)</c>, applies the adjacency matrix
    /// and the softmax. Returns false when every key is masked (the row is then all zero).
    /// </summary>
    private static bool ScoreRemainder(in Job job, int b, int i, float* p, float* q, float* k, int keyStride, int start, int end, int scored, int scoredEnd)
    {
        int tk = job.KeyLength, dh = job.HeadDim;
        Dots(p + start, q, k + (long)start * keyStride, keyStride, scored - start, dh, job.Scale);
        Dots(p + scoredEnd, q, k + (long)scoredEnd * keyStride, keyStride, end - scoredEnd, dh, job.Scale);
        new Span<float>(p, start).Clear();
        new Span<float>(p + end, tk - end).Clear();
        int count = end - start;
        float* scores = p + start;
        if (job.Allowed is not null)
        {
            bool* allowed = job.Allowed + b * job.AllowedBatchStride + (long)i * tk + start;
            for (int j = 0; j < count; j++)
            {
                if (!allowed[j])
                {
                    scores[j] = float.NegativeInfinity;
                }
            }
        }

        var row = new Span<float>(scores, count);
        if (job.Allowed is not null && float.IsNegativeInfinity(TensorPrimitives.Max<float>(row)))
        {
            // Every key in range masked by the adjacency matrix.
            row.Clear();
            return false;
        }

        SoftmaxInPlace(scores, count);
        return true;
    }

    /// <summary>One query's output: <c>Σ_j p[j] v_j</c> over <c>[start, end)</c>, or zeros when no key is allowed.</summary>
    private static void RowOutput(float* o, float* p, float* v, int valueStride, int start, int end, bool any, int dh)
    {
        if (!any)
        {
            new Span<float>(o, dh).Clear();
            return;
        }

        WeightedRowSum(o, accumulate: false, p + start, 1, v + (long)start * valueStride, valueStride, end - start, dh);
    }

    /// <summary>
    /// With dropout, query <paramref name="i"/>'s output from its probability row <paramref name="p"/>: draws the row's mask
    /// (allowed keys of <c>[start, end)</c> only; every other byte 0), then <c>Σ_j p[j] · mask[j] / (1 − p) · v_j</c>, the
    /// dropped weights staged through a stack buffer of <see cref="DropoutChunk"/> keys at a time.
    /// </summary>
    private static void DroppedRowOutput(in Job job, int b, int pair, int i, float* o, float* p, float* v, int valueStride, int start, int end, bool any)
    {
        int tk = job.KeyLength, dh = job.HeadDim;
        long element = ((long)pair * job.QueryLength + i) * tk;
        byte* keep = job.Dropout.Mask + element;
        new Span<byte>(keep, tk).Clear();
        if (!any)
        {
            new Span<float>(o, dh).Clear();
            return;
        }

        ulong seed = job.Dropout.Seed, stream = job.Dropout.Stream, counter = job.Dropout.Offset + (ulong)element;
        float drop = job.Dropout.P;
        bool* allowed = job.Allowed is null ? null : job.Allowed + b * job.AllowedBatchStride + (long)i * tk;
        for (int j = start; j < end; j++)
        {
            bool kept = (allowed is null || allowed[j]) && CounterRandom.Uniform(seed, stream, counter + (ulong)j) >= drop;
            keep[j] = kept ? (byte)1 : (byte)0;
        }

        float* dropped = stackalloc float[DropoutChunk];
        for (int c = start; c < end; c += DropoutChunk)
        {
            int n = Math.Min(DropoutChunk, end - c);
            Masked(dropped, p + c, keep + c, n, job.Dropout.Scale);
            WeightedRowSum(o, accumulate: c != start, dropped, 1, v + (long)c * valueStride, valueStride, n, dh);
        }
    }

    /// <summary><c>destination[j] = source[j] · keep[j] · scale</c> (keep bytes 0 or 1); <paramref name="destination"/> may be <paramref name="source"/>.</summary>
    private static void Masked(float* destination, float* source, byte* keep, int count, float scale)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scaleVector = Vector256.Create(scale);
            for (; j + 8 <= count; j += 8)
            {
                // Widen 8 mask bytes to 8 floats (0 or 1).
                var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(keep + j)).AsByte();
                var (low, _) = Vector128.Widen(bytes);
                var (a, c) = Vector128.Widen(low);
                var kept = Vector256.ConvertToSingle(Vector256.Create(a, c).AsInt32());
                (Vector256.Load(source + j) * kept * scaleVector).Store(destination + j);
            }
        }

        for (; j < count; j++)
        {
            destination[j] = source[j] * keep[j] * scale;
        }
    }

    /// <summary>
    /// One worker's share of the backward: it owns scratch plane <paramref name="part"/> and takes (batch, head) pairs
    /// from a shared counter until none is left, so a slow thread does not hold up the others. Which worker runs a pair
    /// does not change the pair's arithmetic, so the results stay independent of the schedule.
    /// </summary>
    private static void BackwardPart(void* context, int part)
    {
        var job = (Job*)context;
        int pairs = job->Batch * job->Heads;
        float* dS = job->Scratch + (long)part * job->QueryLength * job->KeyLength;
        int pair;
        bool blocked = UsesBlocked(*job);
        while ((pair = Interlocked.Increment(ref job->NextPair) - 1) < pairs)
        {
            if (blocked)
            {
                BackwardPairBlocked(*job, pair, dS);
            }
            else
            {
                BackwardPair(*job, pair, dS);
            }
        }
    }

    private static void BackwardPair(in Job job, int pair, float* dS)
    {
        int b = pair / job.Heads, h = pair % job.Heads;
        int tq = job.QueryLength, tk = job.KeyLength, dh = job.HeadDim;
        int width = job.Heads * dh, qs = job.QStride, kvs = job.KVStride;
        long queryBase = (long)b * tq * qs + h * dh, keyBase = (long)b * tk * kvs + h * dh, outputBase = (long)b * tq * width + h * dh;
        float* q = job.Q + queryBase, dq = job.DQ + queryBase, dO = job.DOutput + outputBase;
        float* k = job.K + keyBase, v = job.V + keyBase, dk = job.DK + keyBase, dv = job.DV + keyBase;
        float* p = job.Probabilities + (long)pair * tq * tk;
        byte* keep = job.Dropout.Mask is null ? null : job.Dropout.Mask + (long)pair * tq * tk;

        if (keep is not null)
        {
            // Dropout: dV = P_dᵀ dO with the dropped probabilities P_d = P ∘ M / (1 − p), staged in the scratch plane
            // before the rows below overwrite it with dS.
            long plane = (long)tq * tk;
            Masked(dS, p, keep, (int)plane, job.Dropout.Scale);
            Columns(job, b, null, null, null, dv, dS, dO);
        }

        // Rows: dP = dO Vᵀ (times M / (1 − p) with dropout), dS = scale · P ∘ (dP − rowsum(P ∘ dP)), dQ += dS K. dS is kept
        // for the columns. Two queries per step over the keys both may see (as in the forward), then each query's other keys.
        bool pairs = Avx.IsSupported && dh % Vector256<float>.Count == 0;
        int i = 0;
        while (i < tq)
        {
            job.KeyRange(b, i, out int start0, out int end0);
            float* ds0 = dS + (long)i * tk, dO0 = dO + (long)i * width, dq0 = dq + (long)i * qs;
            byte* keep0 = keep is null ? null : keep + (long)i * tk;
            if (pairs && i + 1 < tq)
            {
                job.KeyRange(b, i + 1, out int start1, out int end1);
                int shared = Math.Max(start0, start1), sharedEnd = Math.Min(end0, end1);
                if (sharedEnd - shared >= 8)
                {
                    float* ds1 = ds0 + tk, dO1 = dO0 + width, dq1 = dq0 + qs;
                    byte* keep1 = keep is null ? null : keep0 + tk;
                    DotsTwoRows(ds0 + shared, ds1 + shared, dO0, dO1, v + (long)shared * kvs, kvs, sharedEnd - shared, dh, 1f);
                    ScoreGradientRow(job, ds0, p + (long)i * tk, keep0, dO0, v, kvs, start0, end0, shared, sharedEnd);
                    ScoreGradientRow(job, ds1, p + (long)(i + 1) * tk, keep1, dO1, v, kvs, start1, end1, shared, sharedEnd);
                    WeightedRowSumTwoRows(dq0, dq1, accumulate: true, ds0 + shared, ds1 + shared, 1, k + (long)shared * kvs, kvs, sharedEnd - shared, dh);
                    WeightedRowSum(dq0, accumulate: true, ds0 + start0, 1, k + (long)start0 * kvs, kvs, shared - start0, dh);
                    WeightedRowSum(dq0, accumulate: true, ds0 + sharedEnd, 1, k + (long)sharedEnd * kvs, kvs, end0 - sharedEnd, dh);
                    WeightedRowSum(dq1, accumulate: true, ds1 + start1, 1, k + (long)start1 * kvs, kvs, shared - start1, dh);
                    WeightedRowSum(dq1, accumulate: true, ds1 + sharedEnd, 1, k + (long)sharedEnd * kvs, kvs, end1 - sharedEnd, dh);
                    i += 2;
                    continue;
                }
            }

            if (end0 <= start0)
            {
                new Span<float>(ds0, tk).Clear();
            }
            else
            {
                Dots(ds0 + start0, dO0, v + (long)start0 * kvs, kvs, end0 - start0, dh, 1f);
                ScoreGradientRow(job, ds0, p + (long)i * tk, keep0, dO0, v, kvs, start0, end0, start0, end0);
                WeightedRowSum(dq0, accumulate: true, ds0 + start0, 1, k + (long)start0 * kvs, kvs, end0 - start0, dh);
            }

            i++;
        }

        // Columns: dK = dSᵀ Q, and without dropout dV = Pᵀ dO in the same sweep.
        Columns(job, b, dk, dS, q, keep is null ? dv : null, p, dO);
    }

    /// <summary>
    /// Column sums over the queries that may see each key: <c>dK += dSᵀ Q</c> when <paramref name="dk"/> is not null and
    /// <c>dV += Wᵀ dO</c> (weights <paramref name="weights"/>: the probabilities, or the dropped ones) when <paramref name="dv"/>
    /// is not null; two keys per step over their shared queries, then each key's other queries.
    /// </summary>
    private static void Columns(in Job job, int b, float* dk, float* dS, float* q, float* dv, float* weights, float* dO)
    {
        int tk = job.KeyLength, dh = job.HeadDim;
        int width = job.Heads * dh, qs = job.QStride, kvs = job.KVStride;
        bool pairs = Avx.IsSupported && dh % Vector256<float>.Count == 0;
        int j = 0;
        while (j < tk)
        {
            job.QueryRange(b, j, out int start0, out int end0);
            float* dk0 = dk is null ? null : dk + (long)j * kvs, dv0 = dv is null ? null : dv + (long)j * kvs;
            if (pairs && j + 1 < tk)
            {
                job.QueryRange(b, j + 1, out int start1, out int end1);
                int shared = Math.Max(start0, start1), sharedEnd = Math.Min(end0, end1);
                if (sharedEnd - shared >= 8)
                {
                    long offset = (long)shared * tk + j;
                    if (dk is not null)
                    {
                        WeightedRowSumTwoRows(dk0, dk0 + kvs, accumulate: true, dS + offset, dS + offset + 1, tk, q + (long)shared * qs, qs, sharedEnd - shared, dh);
                    }

                    if (dv is not null)
                    {
                        WeightedRowSumTwoRows(dv0, dv0 + kvs, accumulate: true, weights + offset, weights + offset + 1, tk, dO + (long)shared * width, width, sharedEnd - shared, dh);
                    }

                    ColumnRemainder(dk0, dv0, dS, weights, q, qs, dO, width, tk, dh, j, start0, end0, shared, sharedEnd);
                    ColumnRemainder(dk0 is null ? null : dk0 + kvs, dv0 is null ? null : dv0 + kvs, dS, weights, q, qs, dO, width, tk, dh, j + 1, start1, end1, shared, sharedEnd);
                    j += 2;
                    continue;
                }
            }

            ColumnRemainder(dk0, dv0, dS, weights, q, qs, dO, width, tk, dh, j, start0, end0, end0, end0);
            j++;
        }
    }

    /// <summary>
    /// Finishes one row of score gradients <paramref name="ds"/>: computes <c>dP</c> for the keys of <c>[start, end)</c>
    /// outside the already computed <c>[done, doneEnd)</c>, zeroes the keys outside <c>[start, end)</c>, applies the row's
    /// dropout mask <paramref name="keep"/> (null without dropout) and scale, then <c>dS = scale · P ∘ (dP − P·dP)</c> in place.
    /// </summary>
    private static void ScoreGradientRow(in Job job, float* ds, float* p, byte* keep, float* dO, float* v, int valueStride, int start, int end, int done, int doneEnd)
    {
        int tk = job.KeyLength, dh = job.HeadDim;
        Dots(ds + start, dO, v + (long)start * valueStride, valueStride, done - start, dh, 1f);
        Dots(ds + doneEnd, dO, v + (long)doneEnd * valueStride, valueStride, end - doneEnd, dh, 1f);
        new Span<float>(ds, start).Clear();
        new Span<float>(ds + end, tk - end).Clear();
        if (keep is not null)
        {
            Masked(ds + start, ds + start, keep + start, end - start, job.Dropout.Scale);
        }

        SoftmaxBackwardInPlace(ds + start, p + start, end - start, job.Scale);
    }

    /// <summary>
    /// Adds key <paramref name="j"/>'s <c>dK</c> and <c>dV</c> terms (each skipped when its destination is null) of the queries in
    /// <c>[start, end)</c> outside <c>[done, doneEnd)</c>; <paramref name="weights"/> weight <c>dV</c>.
    /// </summary>
    private static void ColumnRemainder(float* dk, float* dv, float* dS, float* weights, float* q, int queryStride, float* dO, int outputStride, int tk, int dh, int j, int start, int end, int done, int doneEnd)
    {
        if (end <= start)
        {
            return;
        }

        done = Math.Clamp(done, start, end);
        doneEnd = Math.Clamp(doneEnd, done, end);
        long offset = (long)start * tk + j;
        if (dk is not null)
        {
            WeightedRowSum(dk, accumulate: true, dS + offset, tk, q + (long)start * queryStride, queryStride, done - start, dh);
        }

        if (dv is not null)
        {
            WeightedRowSum(dv, accumulate: true, weights + offset, tk, dO + (long)start * outputStride, outputStride, done - start, dh);
        }

        offset = (long)doneEnd * tk + j;
        if (dk is not null)
        {
            WeightedRowSum(dk, accumulate: true, dS + offset, tk, q + (long)doneEnd * queryStride, queryStride, end - doneEnd, dh);
        }

        if (dv is not null)
        {
            WeightedRowSum(dv, accumulate: true, weights + offset, tk, dO + (long)doneEnd * outputStride, outputStride, end - doneEnd, dh);
        }
    }

    /// <summary><c>result[r] = scale · (x · rows[r])</c> for <paramref name="count"/> rows of length <paramref name="n"/>.</summary>
    internal static void Dots(float* result, float* x, float* rows, int rowStride, int count, int n, float scale)
    {
        int r = 0;
        if (Avx.IsSupported && n % Vector256<float>.Count == 0)
        {
            // Eight rows at a time (the common dh = 16, 32, 64): eight independent FMA chains share the loads of x,
            // and one transposing reduction turns the eight accumulators into eight adjacent results.
            var scaleVector = Vector256.Create(scale);
            for (; r + 8 <= count; r += 8)
            {
                float* r0 = rows + (long)r * rowStride;
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
                for (int d = 0; d < n; d += Vector256<float>.Count)
                {
                    var xv = Vector256.Load(x + d);
                    float* row = r0 + d;
                    a0 = MultiplyAdd(xv, Vector256.Load(row), a0);
                    a1 = MultiplyAdd(xv, Vector256.Load(row + rowStride), a1);
                    a2 = MultiplyAdd(xv, Vector256.Load(row + (2 * rowStride)), a2);
                    a3 = MultiplyAdd(xv, Vector256.Load(row + (3 * rowStride)), a3);
                    a4 = MultiplyAdd(xv, Vector256.Load(row + (4 * rowStride)), a4);
                    a5 = MultiplyAdd(xv, Vector256.Load(row + (5 * rowStride)), a5);
                    a6 = MultiplyAdd(xv, Vector256.Load(row + (6 * rowStride)), a6);
                    a7 = MultiplyAdd(xv, Vector256.Load(row + (7 * rowStride)), a7);
                }

                (scaleVector * Sum8(a0, a1, a2, a3, a4, a5, a6, a7)).Store(result + r);
            }
        }

        if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            // Four rows at a time: four independent accumulators hide the FMA latency and share the loads of x.
            for (; r + 4 <= count; r += 4)
            {
                float* r0 = rows + (long)r * rowStride, r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride;
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                int d = 0;
                for (; d + Vector256<float>.Count <= n; d += Vector256<float>.Count)
                {
                    var xv = Vector256.Load(x + d);
                    a0 = MultiplyAdd(xv, Vector256.Load(r0 + d), a0);
                    a1 = MultiplyAdd(xv, Vector256.Load(r1 + d), a1);
                    a2 = MultiplyAdd(xv, Vector256.Load(r2 + d), a2);
                    a3 = MultiplyAdd(xv, Vector256.Load(r3 + d), a3);
                }

                var sums = Sum4(a0, a1, a2, a3);
                float s0 = sums.GetElement(0), s1 = sums.GetElement(1), s2 = sums.GetElement(2), s3 = sums.GetElement(3);
                for (; d < n; d++)
                {
                    float xd = x[d];
                    s0 += xd * r0[d];
                    s1 += xd * r1[d];
                    s2 += xd * r2[d];
                    s3 += xd * r3[d];
                }

                result[r] = scale * s0;
                result[r + 1] = scale * s1;
                result[r + 2] = scale * s2;
                result[r + 3] = scale * s3;
            }
        }

        for (; r < count; r++)
        {
            result[r] = scale * Dot(x, rows + (long)r * rowStride, n);
        }
    }

    /// <summary>
    /// Scores of two queries against the same <paramref name="count"/> keys (<c>n</c> a multiple of 8, AVX):
    /// four keys × two queries per step, so every key load feeds two FMAs.
    /// </summary>
    private static void DotsTwoRows(float* result0, float* result1, float* x0, float* x1, float* rows, int rowStride, int count, int n, float scale)
    {
        var scaleVector = Vector128.Create(scale);
        int r = 0;
        for (; r + 4 <= count; r += 4)
        {
            float* r0 = rows + (long)r * rowStride;
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int d = 0; d < n; d += Vector256<float>.Count)
            {
                var x0v = Vector256.Load(x0 + d);
                var x1v = Vector256.Load(x1 + d);
                float* row = r0 + d;
                var k0 = Vector256.Load(row);
                var k1 = Vector256.Load(row + rowStride);
                var k2 = Vector256.Load(row + (2 * rowStride));
                var k3 = Vector256.Load(row + (3 * rowStride));
                a0 = MultiplyAdd(x0v, k0, a0);
                a1 = MultiplyAdd(x0v, k1, a1);
                a2 = MultiplyAdd(x0v, k2, a2);
                a3 = MultiplyAdd(x0v, k3, a3);
                b0 = MultiplyAdd(x1v, k0, b0);
                b1 = MultiplyAdd(x1v, k1, b1);
                b2 = MultiplyAdd(x1v, k2, b2);
                b3 = MultiplyAdd(x1v, k3, b3);
            }

            var sums = Sum8(a0, a1, a2, a3, b0, b1, b2, b3);
            (scaleVector * sums.GetLower()).Store(result0 + r);
            (scaleVector * sums.GetUpper()).Store(result1 + r);
        }

        for (; r < count; r++)
        {
            float* row = rows + (long)r * rowStride;
            result0[r] = scale * Dot(x0, row, n);
            result1[r] = scale * Dot(x1, row, n);
        }
    }

    /// <summary>
    /// <c>destination0 (+)= Σ_r weights0[r·weightStride] · rows[r]</c> and <c>destination1 (+)= Σ_r weights1[r·weightStride] · rows[r]</c>,
    /// <c>n</c> a multiple of 8: each row load feeds both sums.
    /// </summary>
    private static void WeightedRowSumTwoRows(float* destination0, float* destination1, bool accumulate, float* weights0, float* weights1, long weightStride, float* rows, long rowStride, int count, int n)
    {
        int c = 0;
        for (; c + 32 <= n; c += 32)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            float* row = rows + c;
            long w = 0;
            for (int r = 0; r < count; r++, row += rowStride, w += weightStride)
            {
                var w0 = Vector256.Create(weights0[w]);
                var w1 = Vector256.Create(weights1[w]);
                var v0 = Vector256.Load(row);
                var v1 = Vector256.Load(row + 8);
                var v2 = Vector256.Load(row + 16);
                var v3 = Vector256.Load(row + 24);
                a0 = MultiplyAdd(w0, v0, a0);
                a1 = MultiplyAdd(w0, v1, a1);
                a2 = MultiplyAdd(w0, v2, a2);
                a3 = MultiplyAdd(w0, v3, a3);
                b0 = MultiplyAdd(w1, v0, b0);
                b1 = MultiplyAdd(w1, v1, b1);
                b2 = MultiplyAdd(w1, v2, b2);
                b3 = MultiplyAdd(w1, v3, b3);
            }

            Store(destination0 + c, a0, accumulate);
            Store(destination0 + c + 8, a1, accumulate);
            Store(destination0 + c + 16, a2, accumulate);
            Store(destination0 + c + 24, a3, accumulate);
            Store(destination1 + c, b0, accumulate);
            Store(destination1 + c + 8, b1, accumulate);
            Store(destination1 + c + 16, b2, accumulate);
            Store(destination1 + c + 24, b3, accumulate);
        }

        for (; c < n; c += 8)
        {
            Vector256<float> a0 = Vector256<float>.Zero, b0 = a0;
            float* row = rows + c;
            long w = 0;
            for (int r = 0; r < count; r++, row += rowStride, w += weightStride)
            {
                var v0 = Vector256.Load(row);
                a0 = MultiplyAdd(Vector256.Create(weights0[w]), v0, a0);
                b0 = MultiplyAdd(Vector256.Create(weights1[w]), v0, b0);
            }

            Store(destination0 + c, a0, accumulate);
            Store(destination1 + c, b0, accumulate);
        }
    }

    internal static float Dot(float* x, float* y, int n)
    {
        int d = 0;
        float sum = 0f;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            var acc = Vector256<float>.Zero;
            for (; d + Vector256<float>.Count <= n; d += Vector256<float>.Count)
            {
                acc = MultiplyAdd(Vector256.Load(x + d), Vector256.Load(y + d), acc);
            }

            sum = Vector256.Sum(acc);
        }

        for (; d < n; d++)
        {
            sum += x[d] * y[d];
        }

        return sum;
    }

    /// <summary>
    /// <c>destination[0..n) (+)= Σ_r weights[r·weightStride] · rows[r·rowStride + 0..n)</c>, with the sum held in
    /// registers across rows (32, 16 or 8 columns at a time) and stored once.
    /// </summary>
    internal static void WeightedRowSum(float* destination, bool accumulate, float* weights, long weightStride, float* rows, long rowStride, int count, int n)
    {
        int c = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Even and odd rows go to separate accumulators (eight FMA chains for 32 columns), summed at the end.
            for (; c + 32 <= n; c += 32)
            {
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                float* row = rows + c;
                float* w = weights;
                int r = 0;
                for (; r + 2 <= count; r += 2, row += 2 * rowStride, w += 2 * weightStride)
                {
                    var wv = Vector256.Create(*w);
                    var wn = Vector256.Create(w[weightStride]);
                    float* next = row + rowStride;
                    a0 = MultiplyAdd(wv, Vector256.Load(row), a0);
                    a1 = MultiplyAdd(wv, Vector256.Load(row + 8), a1);
                    a2 = MultiplyAdd(wv, Vector256.Load(row + 16), a2);
                    a3 = MultiplyAdd(wv, Vector256.Load(row + 24), a3);
                    b0 = MultiplyAdd(wn, Vector256.Load(next), b0);
                    b1 = MultiplyAdd(wn, Vector256.Load(next + 8), b1);
                    b2 = MultiplyAdd(wn, Vector256.Load(next + 16), b2);
                    b3 = MultiplyAdd(wn, Vector256.Load(next + 24), b3);
                }

                if (r < count)
                {
                    var wv = Vector256.Create(*w);
                    a0 = MultiplyAdd(wv, Vector256.Load(row), a0);
                    a1 = MultiplyAdd(wv, Vector256.Load(row + 8), a1);
                    a2 = MultiplyAdd(wv, Vector256.Load(row + 16), a2);
                    a3 = MultiplyAdd(wv, Vector256.Load(row + 24), a3);
                }

                Store(destination + c, a0 + b0, accumulate);
                Store(destination + c + 8, a1 + b1, accumulate);
                Store(destination + c + 16, a2 + b2, accumulate);
                Store(destination + c + 24, a3 + b3, accumulate);
            }

            for (; c + 16 <= n; c += 16)
            {
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, b0 = a0, b1 = a0;
                float* row = rows + c;
                float* w = weights;
                int r = 0;
                for (; r + 2 <= count; r += 2, row += 2 * rowStride, w += 2 * weightStride)
                {
                    var wv = Vector256.Create(*w);
                    var wn = Vector256.Create(w[weightStride]);
                    a0 = MultiplyAdd(wv, Vector256.Load(row), a0);
                    a1 = MultiplyAdd(wv, Vector256.Load(row + 8), a1);
                    b0 = MultiplyAdd(wn, Vector256.Load(row + rowStride), b0);
                    b1 = MultiplyAdd(wn, Vector256.Load(row + rowStride + 8), b1);
                }

                if (r < count)
                {
                    var wv = Vector256.Create(*w);
                    a0 = MultiplyAdd(wv, Vector256.Load(row), a0);
                    a1 = MultiplyAdd(wv, Vector256.Load(row + 8), a1);
                }

                Store(destination + c, a0 + b0, accumulate);
                Store(destination + c + 8, a1 + b1, accumulate);
            }

            for (; c + 8 <= n; c += 8)
            {
                var a0 = Vector256<float>.Zero;
                float* row = rows + c;
                float* w = weights;
                for (int r = 0; r < count; r++, row += rowStride, w += weightStride)
                {
                    a0 = MultiplyAdd(Vector256.Create(*w), Vector256.Load(row), a0);
                }

                Store(destination + c, a0, accumulate);
            }
        }

        for (; c < n; c++)
        {
            float sum = 0f;
            float* row = rows + c;
            float* w = weights;
            for (int r = 0; r < count; r++, row += rowStride, w += weightStride)
            {
                sum += *w * *row;
            }

            destination[c] = accumulate ? destination[c] + sum : sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* destination, Vector256<float> value, bool accumulate)
    {
        if (accumulate)
        {
            value += Vector256.Load(destination);
        }

        value.Store(destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : (a * b) + c;

    /// <summary>The horizontal sums of eight vectors, as one 8-lane vector (AVX only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sum8(
        Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        // Per 128-bit half: hadd pairs twice, giving the low-half sums of a0..a3 (and a4..a7) in lane order;
        // then add the low-half and high-half partial sums across the two halves.
        var u0 = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3)); // s0..s3 (low) | s0..s3 (high)
        var u1 = Avx.HorizontalAdd(Avx.HorizontalAdd(a4, a5), Avx.HorizontalAdd(a6, a7)); // s4..s7 (low) | s4..s7 (high)
        return Avx.Permute2x128(u0, u1, 0x20) + Avx.Permute2x128(u0, u1, 0x31);
    }

    /// <summary>The horizontal sums of four vectors, as one 4-lane vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sum4(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3)
    {
        if (Avx.IsSupported)
        {
            var t0 = Avx.HorizontalAdd(a0, a1); // a01 a23 b01 b23 | a45 a67 b45 b67
            var t1 = Avx.HorizontalAdd(a2, a3);
            var t2 = Avx.HorizontalAdd(t0, t1); // a0123 b0123 c0123 d0123 | a4567 b4567 c4567 d4567
            return t2.GetLower() + t2.GetUpper();
        }

        return Vector128.Create(Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
    }
}
