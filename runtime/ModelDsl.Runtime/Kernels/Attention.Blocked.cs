using System;
using System.Runtime.Intrinsics;

namespace ModelDsl.Kernels;

/// <summary>
/// The blocked attention path: for masks made of contiguous key ranges only (causal, window, key padding; no adjacency
/// matrix) and no dropout, each (batch, head) pair's four products run as register-tiled <see cref="Gemm"/> products
/// over blocks of <see cref="QueryBlock"/> queries (or keys), each block over the union of its rows' key (or query)
/// ranges, instead of one dot product or weighted row sum per query.
/// </summary>
/// <remarks>
/// Per block of queries <c>[i0, i1)</c> with keys <c>[ks, ke)</c>: <c>S = scale · Q Kᵀ</c> into the saved probabilities,
/// a softmax over each row's own key range (zeros elsewhere), then <c>O = P V</c>. Backward: <c>dP = dO Vᵀ</c>,
/// <c>dS = scale · P ∘ (dP − rowsum(P ∘ dP))</c>, <c>dQ += dS K</c> per query block, then <c>dK += dSᵀ Q</c> and
/// <c>dV += Pᵀ dO</c> per key block over the queries that may see it. Masked entries of P and dS are exact zeros, so a
/// block's union range adds nothing to a row outside its own range. The arithmetic of a pair depends only on its
/// shape and mask, never on the thread that runs it.
/// </remarks>
public static unsafe partial class Attention
{
    /// <summary>Queries (or keys) per block without a causal or window part: a multiple of the GEMM's 6-row tile.</summary>
    private const int QueryBlock = 48;

    /// <summary>Queries (or keys) per block with a causal or window part, whose ranges differ from row to row: smaller, so
    /// that a block's union range scores few masked entries.</summary>
    private const int BandedQueryBlock = 24;

    /// <summary>The block size for the job's mask.</summary>
    private static int BlockFor(in Job job) => job.Causal || job.WindowRadius >= 0 ? BandedQueryBlock : QueryBlock;

    /// <summary>
    /// False sends every job down the per-query row path: for benchmarks that compare the two paths back to back in one
    /// process (<c>AttentionBenchmarks</c>). Not for tests, which run in parallel.
    /// </summary>
    internal static bool BlockedPathEnabled { get; set; } = true;

    /// <summary>
    /// Fewest keys for the blocked path: below, a pair's products are too small for the GEMM's tiles, and the row path measured
    /// faster (the DateTranslator model's 11 and 29 keys, benchmarks/README.md).
    /// </summary>
    private const int MinimumBlockedKeys = 32;

    /// <summary>
    /// Fewest keys for the blocked path with a causal or window part: at 64 causal keys the two paths measured level
    /// (0.84-1.08x in five back-to-back runs), at 128 the blocked one 1.2-1.4x faster.
    /// </summary>
    private const int MinimumBandedBlockedKeys = 96;

    /// <summary>Whether a job takes the blocked path: no adjacency matrix, no dropout, and enough keys.</summary>
    private static bool UsesBlocked(in Job job) =>
        BlockedPathEnabled && job.Allowed is null && job.Dropout.Mask is null &&
        job.KeyLength >= (job.Causal || job.WindowRadius >= 0 ? MinimumBandedBlockedKeys : MinimumBlockedKeys);

    private static void ForwardPairBlocked(void* context, int pair)
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

        int block = BlockFor(job);
        for (int i0 = 0; i0 < tq; i0 += block)
        {
            int i1 = Math.Min(tq, i0 + block), rows = i1 - i0;
            KeyUnion(job, b, i0, i1, out int ks, out int ke);
            float* pBlock = p + (long)i0 * tk;
            if (ke <= ks)
            {
                new Span<float>(pBlock, rows * tk).Clear();
                for (int i = i0; i < i1; i++)
                {
                    new Span<float>(o + (long)i * width, dh).Clear();
                }

                continue;
            }

            // (rows, ke-ks) S = scale · Q[i0:i1] · K[ks:ke]ᵀ, in place in the probability rows.
            Gemm.MultiplyInline(pBlock + ks, tk, q + (long)i0 * qs, qs, false, k + (long)ks * kvs, kvs, true, rows, ke - ks, dh, job.Scale, 0f);
            using (KernelProfile.Time(KernelFamily.Softmax))
            {
                for (int i = i0; i < i1; i++)
                {
                    job.KeyRange(b, i, out int start, out int end);
                    SoftmaxRange(p + (long)i * tk, tk, start, end);
                }
            }

            // (rows, dh) O = P[i0:i1, ks:ke] · V[ks:ke]; rows with no key are all-zero probabilities, so zero outputs.
            Gemm.MultiplyInline(o + (long)i0 * width, width, pBlock + ks, tk, false, v + (long)ks * kvs, kvs, false, rows, dh, ke - ks, 1f, 0f);
        }
    }

    /// <summary>
    /// Turns the scores of <c>[start, end)</c> in row <paramref name="row"/> into probabilities and zeroes the rest of the
    /// row's <paramref name="tk"/> entries (all of them when the range is empty).
    /// </summary>
    private static void SoftmaxRange(float* row, int tk, int start, int end)
    {
        if (end <= start)
        {
            new Span<float>(row, tk).Clear();
            return;
        }

        new Span<float>(row, start).Clear();
        new Span<float>(row + end, tk - end).Clear();
        SoftmaxInPlace(row + start, end - start);
    }

    /// <summary>
    /// <c>x = exp(x − max) / Σ exp(x − max)</c> over <paramref name="n"/> floats, in three vector passes (max; exponentials and
    /// their sum; scaling). A tail of fewer than 8 is the last 8 floats read as one overlapping vector whose first lanes
    /// (already counted) are masked out; it is computed before the main loop overwrites those lanes and blended in after, so
    /// every element goes through the same vector formulas. Rows under 8 floats take a scalar loop.
    /// </summary>
    internal static void SoftmaxInPlace(float* x, int n)
    {
        if (n < 8)
        {
            SoftmaxScalar(x, n);
            return;
        }

        int full = n & ~7, tail = n - full;
        float* last = x + n - 8;
        var inTail = Vector256.GreaterThanOrEqual(Vector256.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f), Vector256.Create((float)(8 - tail)));
        var maxima = Vector256.Load(last); // max is idempotent: the overlap does not matter
        for (int j = 0; j < full; j += 8)
        {
            maxima = Vector256.Max(maxima, Vector256.Load(x + j));
        }

        var shift = Vector256.Create(HorizontalMax(maxima));
        var tailValues = Vector256<float>.Zero;
        var sums = Vector256<float>.Zero;
        if (tail > 0)
        {
            tailValues = Vector256.Exp(Vector256.Load(last) - shift);
            sums = Vector256.ConditionalSelect(inTail, tailValues, Vector256<float>.Zero);
        }

        for (int j = 0; j < full; j += 8)
        {
            var e = Vector256.Exp(Vector256.Load(x + j) - shift);
            e.Store(x + j);
            sums += e;
        }

        var sum = Vector256.Create(Vector256.Sum(sums));
        if (tail > 0)
        {
            tailValues /= sum;
        }

        for (int j = 0; j < full; j += 8)
        {
            (Vector256.Load(x + j) / sum).Store(x + j);
        }

        if (tail > 0)
        {
            Vector256.ConditionalSelect(inTail, tailValues, Vector256.Load(last)).Store(last);
        }
    }

    /// <summary>The softmax of a row shorter than one vector, in scalar code.</summary>
    private static void SoftmaxScalar(float* x, int n)
    {
        float max = float.NegativeInfinity;
        for (int j = 0; j < n; j++)
        {
            max = MathF.Max(max, x[j]);
        }

        float sum = 0f;
        for (int j = 0; j < n; j++)
        {
            x[j] = MathF.Exp(x[j] - max);
            sum += x[j];
        }

        for (int j = 0; j < n; j++)
        {
            x[j] /= sum;
        }
    }

    /// <summary>
    /// The softmax backward of one row, in place: <c>dS = scale · P ∘ (dP − Σ P ∘ dP)</c> over <paramref name="n"/> floats,
    /// <paramref name="ds"/> holding <c>dP</c> on entry; two vector passes, a tail handled as in <see cref="SoftmaxInPlace"/>.
    /// </summary>
    internal static void SoftmaxBackwardInPlace(float* ds, float* p, int n, float scale)
    {
        if (n < 8)
        {
            float dotScalar = 0f;
            for (int j = 0; j < n; j++)
            {
                dotScalar += p[j] * ds[j];
            }

            for (int j = 0; j < n; j++)
            {
                ds[j] = scale * p[j] * (ds[j] - dotScalar);
            }

            return;
        }

        int full = n & ~7, tail = n - full;
        float* lastD = ds + n - 8, lastP = p + n - 8;
        var inTail = Vector256.GreaterThanOrEqual(Vector256.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f), Vector256.Create((float)(8 - tail)));
        var tailP = Vector256.Load(lastP);
        var tailD = Vector256.Load(lastD);
        var dots = tail > 0 ? Vector256.ConditionalSelect(inTail, tailP * tailD, Vector256<float>.Zero) : Vector256<float>.Zero;
        for (int j = 0; j < full; j += 8)
        {
            dots += Vector256.Load(p + j) * Vector256.Load(ds + j);
        }

        var dot = Vector256.Create(Vector256.Sum(dots));
        var scales = Vector256.Create(scale);
        var tailResult = scales * tailP * (tailD - dot);
        for (int j = 0; j < full; j += 8)
        {
            (scales * Vector256.Load(p + j) * (Vector256.Load(ds + j) - dot)).Store(ds + j);
        }

        if (tail > 0)
        {
            Vector256.ConditionalSelect(inTail, tailResult, Vector256.Load(lastD)).Store(lastD);
        }
    }

    private static float HorizontalMax(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return m.ToScalar();
    }

    /// <summary>The union <c>[start, end)</c> of the key ranges of queries <c>[i0, i1)</c>; empty (end ≤ start) when none has a key.</summary>
    private static void KeyUnion(in Job job, int b, int i0, int i1, out int start, out int end)
    {
        start = int.MaxValue;
        end = 0;
        for (int i = i0; i < i1; i++)
        {
            job.KeyRange(b, i, out int s, out int e);
            if (e > s)
            {
                start = Math.Min(start, s);
                end = Math.Max(end, e);
            }
        }
    }

    /// <summary>The union <c>[start, end)</c> of the query ranges of keys <c>[j0, j1)</c>; empty when no query sees them.</summary>
    private static void QueryUnion(in Job job, int b, int j0, int j1, out int start, out int end)
    {
        start = int.MaxValue;
        end = 0;
        for (int j = j0; j < j1; j++)
        {
            job.QueryRange(b, j, out int s, out int e);
            if (e > s)
            {
                start = Math.Min(start, s);
                end = Math.Max(end, e);
            }
        }
    }

    private static void BackwardPairBlocked(in Job job, int pair, float* dS)
    {
        int b = pair / job.Heads, h = pair % job.Heads;
        int tq = job.QueryLength, tk = job.KeyLength, dh = job.HeadDim;
        int width = job.Heads * dh, qst = job.QStride, kvs = job.KVStride;
        long queryBase = (long)b * tq * qst + h * dh, keyBase = (long)b * tk * kvs + h * dh, outputBase = (long)b * tq * width + h * dh;
        float* q = job.Q + queryBase, dq = job.DQ + queryBase, dO = job.DOutput + outputBase;
        float* k = job.K + keyBase, v = job.V + keyBase, dk = job.DK + keyBase, dv = job.DV + keyBase;
        float* p = job.Probabilities + (long)pair * tq * tk;

        // Query blocks: dP = dO Vᵀ into dS, then dS = scale · P ∘ (dP − rowsum(P ∘ dP)), then dQ += dS K.
        int block = BlockFor(job);
        for (int i0 = 0; i0 < tq; i0 += block)
        {
            int i1 = Math.Min(tq, i0 + block), rows = i1 - i0;
            KeyUnion(job, b, i0, i1, out int ks, out int ke);
            float* dsBlock = dS + (long)i0 * tk;
            if (ke <= ks)
            {
                new Span<float>(dsBlock, rows * tk).Clear();
                continue;
            }

            Gemm.MultiplyInline(dsBlock + ks, tk, dO + (long)i0 * width, width, false, v + (long)ks * kvs, kvs, true, rows, ke - ks, dh, 1f, 0f);
            using (KernelProfile.Time(KernelFamily.Softmax))
            {
                for (int i = i0; i < i1; i++)
                {
                    job.KeyRange(b, i, out int start, out int end);
                    float* ds = dS + (long)i * tk;
                    if (end <= start)
                    {
                        new Span<float>(ds, tk).Clear();
                        continue;
                    }

                    new Span<float>(ds, start).Clear();
                    new Span<float>(ds + end, tk - end).Clear();
                    SoftmaxBackwardInPlace(ds + start, p + (long)i * tk + start, end - start, job.Scale);
                }
            }

            Gemm.MultiplyInline(dq + (long)i0 * qst, qst, dsBlock + ks, tk, false, k + (long)ks * kvs, kvs, false, rows, dh, ke - ks, 1f, 1f);
        }

        // Key blocks over the queries that may see them: dK += dSᵀ Q and dV += Pᵀ dO.
        for (int j0 = 0; j0 < tk; j0 += block)
        {
            int j1 = Math.Min(tk, j0 + block), keys = j1 - j0;
            QueryUnion(job, b, j0, j1, out int qs, out int qe);
            if (qe <= qs)
            {
                continue;
            }

            long offset = (long)qs * tk + j0;
            Gemm.MultiplyInline(dk + (long)j0 * kvs, kvs, dS + offset, tk, true, q + (long)qs * qst, qst, false, keys, dh, qe - qs, 1f, 1f);
            Gemm.MultiplyInline(dv + (long)j0 * kvs, kvs, p + offset, tk, true, dO + (long)qs * width, width, false, keys, dh, qe - qs, 1f, 1f);
        }
    }
}
