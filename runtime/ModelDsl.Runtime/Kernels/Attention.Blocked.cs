using System;
using System.Numerics.Tensors;

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
    /// <summary>Queries (or keys) per block: a multiple of the GEMM's 6-row tile, and few enough that a causal block's
    /// union range wastes little.</summary>
    private const int QueryBlock = 48;

    /// <summary>
    /// False sends every job down the per-query row path: for benchmarks that compare the two paths back to back in one
    /// process (<c>AttentionBenchmarks</c>). Not for tests, which run in parallel.
    /// </summary>
    internal static bool BlockedPathEnabled { get; set; } = true;

    /// <summary>Whether a job takes the blocked path: no adjacency matrix and no dropout.</summary>
    private static bool UsesBlocked(in Job job) => BlockedPathEnabled && job.Allowed is null && job.Dropout.Mask is null;

    private static void ForwardPairBlocked(void* context, int pair)
    {
        ref readonly Job job = ref *(Job*)context;
        int b = pair / job.Heads, h = pair % job.Heads;
        int tq = job.QueryLength, tk = job.KeyLength, dh = job.HeadDim;
        int width = job.Heads * dh;
        float* q = job.Q + (long)b * tq * width + h * dh;
        float* k = job.K + (long)b * tk * width + h * dh;
        float* v = job.V + (long)b * tk * width + h * dh;
        float* o = job.Output + (long)b * tq * width + h * dh;
        float* p = job.Probabilities + (long)pair * tq * tk;

        for (int i0 = 0; i0 < tq; i0 += QueryBlock)
        {
            int i1 = Math.Min(tq, i0 + QueryBlock), rows = i1 - i0;
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
            Gemm.MultiplyInline(pBlock + ks, tk, q + (long)i0 * width, width, false, k + (long)ks * width, width, true, rows, ke - ks, dh, job.Scale, 0f);
            using (KernelProfile.Time(KernelFamily.Softmax))
            {
                for (int i = i0; i < i1; i++)
                {
                    job.KeyRange(b, i, out int start, out int end);
                    SoftmaxRange(p + (long)i * tk, tk, start, end);
                }
            }

            // (rows, dh) O = P[i0:i1, ks:ke] · V[ks:ke]; rows with no key are all-zero probabilities, so zero outputs.
            Gemm.MultiplyInline(o + (long)i0 * width, width, pBlock + ks, tk, false, v + (long)ks * width, width, false, rows, dh, ke - ks, 1f, 0f);
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
        var scores = new Span<float>(row + start, end - start);
        float max = TensorPrimitives.Max<float>(scores);
        TensorPrimitives.Subtract(scores, max, scores);
        TensorPrimitives.Exp(scores, scores);
        float sum = TensorPrimitives.Sum<float>(scores);
        TensorPrimitives.Divide(scores, sum, scores);
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
        int width = job.Heads * dh;
        long queryBase = (long)b * tq * width + h * dh, keyBase = (long)b * tk * width + h * dh;
        float* q = job.Q + queryBase, dq = job.DQ + queryBase, dO = job.DOutput + queryBase;
        float* k = job.K + keyBase, v = job.V + keyBase, dk = job.DK + keyBase, dv = job.DV + keyBase;
        float* p = job.Probabilities + (long)pair * tq * tk;

        // Query blocks: dP = dO Vᵀ into dS, then dS = scale · P ∘ (dP − rowsum(P ∘ dP)), then dQ += dS K.
        for (int i0 = 0; i0 < tq; i0 += QueryBlock)
        {
            int i1 = Math.Min(tq, i0 + QueryBlock), rows = i1 - i0;
            KeyUnion(job, b, i0, i1, out int ks, out int ke);
            float* dsBlock = dS + (long)i0 * tk;
            if (ke <= ks)
            {
                new Span<float>(dsBlock, rows * tk).Clear();
                continue;
            }

            Gemm.MultiplyInline(dsBlock + ks, tk, dO + (long)i0 * width, width, false, v + (long)ks * width, width, true, rows, ke - ks, dh, 1f, 0f);
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
                    var row = new Span<float>(ds + start, end - start);
                    var probabilities = new ReadOnlySpan<float>(p + (long)i * tk + start, end - start);
                    float dot = TensorPrimitives.Dot(probabilities, row);
                    TensorPrimitives.Subtract(row, dot, row);
                    TensorPrimitives.Multiply(row, probabilities, row);
                    TensorPrimitives.Multiply(row, job.Scale, row);
                }
            }

            Gemm.MultiplyInline(dq + (long)i0 * width, width, dsBlock + ks, tk, false, k + (long)ks * width, width, false, rows, dh, ke - ks, 1f, 1f);
        }

        // Key blocks over the queries that may see them: dK += dSᵀ Q and dV += Pᵀ dO.
        for (int j0 = 0; j0 < tk; j0 += QueryBlock)
        {
            int j1 = Math.Min(tk, j0 + QueryBlock), keys = j1 - j0;
            QueryUnion(job, b, j0, j1, out int qs, out int qe);
            if (qe <= qs)
            {
                continue;
            }

            long offset = (long)qs * tk + j0;
            Gemm.MultiplyInline(dk + (long)j0 * width, width, dS + offset, tk, true, q + (long)qs * width, width, false, keys, dh, qe - qs, 1f, 1f);
            Gemm.MultiplyInline(dv + (long)j0 * width, width, p + offset, tk, true, dO + (long)qs * width, width, false, keys, dh, qe - qs, 1f, 1f);
        }
    }
}
