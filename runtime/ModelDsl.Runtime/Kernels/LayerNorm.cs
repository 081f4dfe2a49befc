using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Layer normalization over the last axis of a row-major <c>[rows, width]</c> tensor, as PyTorch's
/// <c>nn.LayerNorm(width)</c>: <c>y = (x - mean) · rstd · weight + bias</c> with
/// <c>rstd = 1 / sqrt(var + eps)</c>, where <c>var</c> is the biased (divide by <c>width</c>) variance.
/// </summary>
/// <remarks>
/// <para>Statistics are computed in two passes (mean, then the mean squared deviation) in a fixed
/// order, so the same inputs always give the same bits. <c>mean</c> and <c>rstd</c> are saved for
/// the backward pass.</para>
/// <para>With a <see cref="WorkerPool"/>, rows are split between threads for the forward pass. The backward pass cuts the
/// rows into fixed chunks of <see cref="ParameterChunkRows"/>: each chunk computes its rows' <c>dInput</c> and its own partial
/// <c>dWeight</c>/<c>dBias</c> (rows in order), and the partials are then added in chunk order. The chunks do not depend on
/// the thread count, only on the rows, so every element is computed by the same operations in the same order with or without
/// a pool, and results are bit-identical for any thread count.</para>
/// <para>Vector code uses <see cref="Vector512"/> blocks of 16, then <see cref="Vector256"/> blocks of 8,
/// then a scalar tail, with fused multiply-add in every path.</para>
/// </remarks>
public static unsafe class LayerNorm
{
    /// <summary>PyTorch's default epsilon for <c>nn.LayerNorm</c>.</summary>
    public const float DefaultEpsilon = 1e-5f;

    /// <summary>Rows per chunk of <see cref="Backward"/>'s partial parameter gradients (a fixed number, whatever the threads).</summary>
    internal const int ParameterChunkRows = 64;

    /// <summary>The calling thread's buffer for <see cref="Backward"/>'s partial parameter gradients, grown on demand.</summary>
    [ThreadStatic]
    private static float[]? t_partials;

    /// <summary>Below this many elements a pool is not used: the loop is too short to pay for waking threads.</summary>
    private const int ParallelThreshold = 1 << 14;

    /// <summary>
    /// Normalizes each row of <paramref name="input"/> and applies the affine transform.
    /// </summary>
    /// <param name="output">Normalized values <c>[rows, width]</c>; must not overlap <paramref name="input"/>.</param>
    /// <param name="mean">Saved row means <c>[rows]</c>.</param>
    /// <param name="rstd">Saved reciprocal standard deviations <c>1 / sqrt(var + eps)</c> <c>[rows]</c>.</param>
    /// <param name="input">Input <c>[rows, width]</c>.</param>
    /// <param name="weight">Scale (gamma) <c>[width]</c>.</param>
    /// <param name="bias">Shift (beta) <c>[width]</c>.</param>
    /// <param name="rows">Number of rows (for a sequence batch, <c>B·T</c>).</param>
    /// <param name="width">Normalized width (the model dimension).</param>
    /// <param name="eps">Added to the variance inside the square root; PyTorch's default is 1e-5.</param>
    /// <param name="pool">Threads to split rows over; <see langword="null"/> runs on the calling thread.</param>
    public static void Forward(
        Span<float> output, Span<float> mean, Span<float> rstd,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int rows, int width, float eps = DefaultEpsilon, WorkerPool? pool = null) =>
        ForwardCore(output, mean, rstd, input, default, default, weight, bias, rows, width, eps, pool);

    /// <summary>
    /// The residual add fused with the LayerNorm after it (a post-norm Transformer sublayer, <c>norm(x + f(x))</c>): per row,
    /// <c>sum = input + branch</c> (saved: it is the norm's input for <see cref="BackwardResidual"/>) and
    /// <c>output = LayerNorm(sum)</c>, in one pass over the rows. Same bits as <see cref="Residual.Forward"/> then
    /// <see cref="Forward"/>.
    /// </summary>
    /// <param name="output"><c>[rows, width]</c>, overwritten.</param>
    /// <param name="sum"><c>[rows, width]</c>: <c>input + branch</c>, overwritten.</param>
    /// <param name="mean"><c>[rows]</c>, overwritten.</param>
    /// <param name="rstd"><c>[rows]</c>, overwritten.</param>
    /// <param name="input"><c>[rows, width]</c>, the residual stream.</param>
    /// <param name="branch"><c>[rows, width]</c>, the sublayer's output.</param>
    /// <param name="weight"><c>[width]</c>.</param>
    /// <param name="bias"><c>[width]</c>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="width">Normalized width.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void ForwardResidual(
        Span<float> output, Span<float> sum, Span<float> mean, Span<float> rstd,
        ReadOnlySpan<float> input, ReadOnlySpan<float> branch, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int rows, int width, float eps = DefaultEpsilon, WorkerPool? pool = null)
    {
        long size = (long)rows * width;
        Guard.Length(branch, size);
        Guard.Length(sum, size);
        Guard.NoOverlap(sum, input);
        Guard.NoOverlap(sum, branch);
        Guard.NoOverlap(output, branch);
        Guard.NoOverlap(output, sum);
        ForwardCore(output, mean, rstd, input, branch, sum, weight, bias, rows, width, eps, pool);
    }

    private static void ForwardCore(
        Span<float> output, Span<float> mean, Span<float> rstd,
        ReadOnlySpan<float> input, ReadOnlySpan<float> branch, Span<float> sum, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int rows, int width, float eps, WorkerPool? pool)
    {
        using var profile = KernelProfile.Time(KernelFamily.LayerNorm);
        Guard.NonNegative(rows);
        Guard.Positive(width);
        long size = (long)rows * width;
        Guard.Length(output, size);
        Guard.Length(mean, rows);
        Guard.Length(rstd, rows);
        Guard.Length(input, size);
        Guard.Length(weight, width);
        Guard.Length(bias, width);
        if (!(eps >= 0f && float.IsFinite(eps)))
        {
            ThrowEps(eps);
        }

        Guard.NoOverlap(output, input);

        fixed (float* y = output, m = mean, s = rstd, x = input, w = weight, b = bias, branchRows = branch, sumRows = sum)
        {
            var job = new ForwardJob
            {
                Y = y, Mean = m, Rstd = s, X = x, W = w, B = b, Rows = rows, Width = width, Eps = eps,
                Branch = branch.IsEmpty ? null : branchRows, Sum = sumRows,
            };
            if (!UsePool(pool, rows, size))
            {
                ForwardRows(&job, 0, rows);
                return;
            }

            job.Parts = Math.Min(rows, pool!.ThreadCount * 4);
            pool.Run(job.Parts, &ForwardPart, &job);
        }
    }

    /// <summary>
    /// Adds the gradients of the loss with respect to the input, weight and bias of
    /// <see cref="Forward"/> into <paramref name="dInput"/>, <paramref name="dWeight"/> and <paramref name="dBias"/>.
    /// </summary>
    /// <param name="dInput">Gradient of the input <c>[rows, width]</c>, accumulated (<c>+=</c>).</param>
    /// <param name="dWeight">Gradient of the weight <c>[width]</c>, accumulated.</param>
    /// <param name="dBias">Gradient of the bias <c>[width]</c>, accumulated.</param>
    /// <param name="dOutput">Gradient of the output <c>[rows, width]</c>; must not overlap <paramref name="dInput"/>.</param>
    /// <param name="input">The forward input <c>[rows, width]</c>.</param>
    /// <param name="weight">The forward weight <c>[width]</c>.</param>
    /// <param name="mean">Row means saved by <see cref="Forward"/> <c>[rows]</c>.</param>
    /// <param name="rstd">Reciprocal standard deviations saved by <see cref="Forward"/> <c>[rows]</c>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="width">Normalized width.</param>
    /// <param name="pool">Threads to split the work over; <see langword="null"/> runs on the calling thread.</param>
    public static void Backward(
        Span<float> dInput, Span<float> dWeight, Span<float> dBias,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        int rows, int width, WorkerPool? pool = null) =>
        BackwardCore(dInput, default, dWeight, dBias, dOutput, input, weight, mean, rstd, rows, width, pool);

    /// <summary>
    /// The backward of <see cref="ForwardResidual"/>: the gradient of the sum, <c>dSum</c>, is added (<c>+=</c>) to both
    /// <paramref name="dInput"/> and <paramref name="dBranch"/> without being stored, and <paramref name="dWeight"/>,
    /// <paramref name="dBias"/> accumulate as in <see cref="Backward"/>. Same bits as <see cref="Backward"/> into a zeroed
    /// <c>dSum</c> followed by <see cref="Residual.Backward"/>.
    /// </summary>
    /// <param name="dInput"><c>[rows, width]</c>, accumulated.</param>
    /// <param name="dBranch"><c>[rows, width]</c>, accumulated.</param>
    /// <param name="dWeight"><c>[width]</c>, accumulated.</param>
    /// <param name="dBias"><c>[width]</c>, accumulated.</param>
    /// <param name="dOutput"><c>[rows, width]</c>.</param>
    /// <param name="sum"><c>[rows, width]</c>, the sum saved by the forward.</param>
    /// <param name="weight"><c>[width]</c>.</param>
    /// <param name="mean"><c>[rows]</c> from the forward.</param>
    /// <param name="rstd"><c>[rows]</c> from the forward.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="width">Normalized width.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void BackwardResidual(
        Span<float> dInput, Span<float> dBranch, Span<float> dWeight, Span<float> dBias,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> sum, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        int rows, int width, WorkerPool? pool = null)
    {
        Guard.Length(dBranch, (long)rows * width);
        Guard.NoOverlap(dBranch, dInput);
        Guard.NoOverlap(dBranch, dOutput);
        Guard.NoOverlap(dBranch, sum);
        BackwardCore(dInput, dBranch, dWeight, dBias, dOutput, sum, weight, mean, rstd, rows, width, pool);
    }

    private static void BackwardCore(
        Span<float> dInput, Span<float> dBranch, Span<float> dWeight, Span<float> dBias,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        int rows, int width, WorkerPool? pool)
    {
        using var profile = KernelProfile.Time(KernelFamily.LayerNorm);
        Guard.NonNegative(rows);
        Guard.Positive(width);
        long size = (long)rows * width;
        Guard.Length(dInput, size);
        Guard.Length(dWeight, width);
        Guard.Length(dBias, width);
        Guard.Length(dOutput, size);
        Guard.Length(input, size);
        Guard.Length(weight, width);
        Guard.Length(mean, rows);
        Guard.Length(rstd, rows);
        Guard.NoOverlap(dInput, dOutput);
        Guard.NoOverlap(dInput, input);

        fixed (float* dx = dInput, dw = dWeight, db = dBias, dy = dOutput, x = input, w = weight, m = mean, s = rstd, dBranchRows = dBranch)
        {
            var job = new BackwardJob
            {
                DX = dx, DW = dw, DB = db, DY = dy, X = x, W = w, Mean = m, Rstd = s, Rows = rows, Width = width,
                DBranch = dBranch.IsEmpty ? null : dBranchRows,
            };
            int chunks = (rows + ParameterChunkRows - 1) / ParameterChunkRows;
            if (chunks <= 1)
            {
                // One pass per row, the parameter gradients accumulated row by row in order.
                for (int r = 0; r < rows; r++)
                {
                    BackwardRow(&job, r, parameters: true);
                }

                return;
            }

            // Chunks of rows, each with its own partial dWeight and dBias (zeroed, then its rows in order), spread over the
            // pool; then the partials are added into dWeight and dBias in chunk order.
            int partialLength = 2 * width;
            float[]? partials = t_partials;
            if (partials is null || partials.Length < (long)chunks * partialLength)
            {
                t_partials = partials = new float[checked(chunks * partialLength)];
            }

            fixed (float* partial = partials)
            {
                job.Partials = partial;
                job.Chunks = chunks;
                if (UsePool(pool, rows, size))
                {
                    pool!.Run(chunks, &BackwardChunk, &job);
                }
                else
                {
                    for (int c = 0; c < chunks; c++)
                    {
                        BackwardChunk(&job, c);
                    }
                }

                for (int c = 0; c < chunks; c++)
                {
                    float* chunk = partial + ((long)c * partialLength);
                    TensorPrimitives.Add(dWeight, new ReadOnlySpan<float>(chunk, width), dWeight);
                    TensorPrimitives.Add(dBias, new ReadOnlySpan<float>(chunk + width, width), dBias);
                }
            }
        }
    }

    [DoesNotReturn]
    internal static void ThrowEps(float eps) =>
        throw new ArgumentOutOfRangeException(nameof(eps), eps, $"eps must be finite and non-negative; got {eps}.");

    private static bool UsePool(WorkerPool? pool, int rows, long size) =>
        pool is not null && pool.ThreadCount > 1 && rows > 1 && size >= ParallelThreshold;

    private struct ForwardJob
    {
        public float* Y, Mean, Rstd, X, W, B;
        public float* Branch, Sum;   // fused residual: X + Branch is written to Sum and normalized; null otherwise.
        public int Rows, Width, Parts;
        public float Eps;
    }

    private struct BackwardJob
    {
        public float* DX, DW, DB, DY, X, W, Mean, Rstd;
        public float* DBranch;       // fused residual: the row's dx is added to DX and to DBranch; null otherwise.
        public float* Partials;      // [Chunks, 2, Width]: each chunk's partial dWeight, then dBias.
        public int Rows, Width, Chunks;
    }

    private static void ForwardPart(void* context, int part)
    {
        var job = (ForwardJob*)context;
        var (start, end) = ParallelRange.Chunk(job->Rows, job->Parts, part);
        ForwardRows(job, start, end);
    }

    private static void ForwardRows(ForwardJob* job, int start, int end)
    {
        int n = job->Width;
        for (int r = start; r < end; r++)
        {
            float* x = job->X + (long)r * n;
            float* y = job->Y + (long)r * n;
            if (job->Branch is not null)
            {
                // The residual sum of this row, normalized while it is in the L1 cache.
                float* sum = job->Sum + (long)r * n;
                TensorPrimitives.Add(new ReadOnlySpan<float>(x, n), new ReadOnlySpan<float>(job->Branch + (long)r * n, n), new Span<float>(sum, n));
                x = sum;
            }

            float m = Sum(x, n) / n;
            float variance = SumSquaredDeviation(x, n, m) / n;
            float s = 1f / MathF.Sqrt(variance + job->Eps);
            job->Mean[r] = m;
            job->Rstd[r] = s;
            NormalizeAffine(y, x, job->W, job->B, n, m, s);
        }
    }

    /// <summary>Chunk <paramref name="chunk"/> of the backward: its rows' dInput, and its partial dWeight and dBias.</summary>
    private static void BackwardChunk(void* context, int chunk)
    {
        var job = (BackwardJob*)context;
        BackwardJob local = *job;
        local.DW = job->Partials + ((long)chunk * 2 * job->Width);
        local.DB = local.DW + job->Width;
        new Span<float>(local.DW, 2 * job->Width).Clear();
        int end = Math.Min(job->Rows, (chunk + 1) * ParameterChunkRows);
        for (int r = chunk * ParameterChunkRows; r < end; r++)
        {
            BackwardRow(&local, r, parameters: true);
        }
    }

    /// <summary>
    /// dx += rstd · (g - mean(g) - xhat · mean(g · xhat)) with g = dy · w; optionally also
    /// dw += dy · xhat and db += dy for this row.
    /// </summary>
    private static void BackwardRow(BackwardJob* job, int r, bool parameters)
    {
        int n = job->Width;
        long offset = (long)r * n;
        float* x = job->X + offset, dy = job->DY + offset, dx = job->DX + offset, w = job->W;
        float m = job->Mean[r], s = job->Rstd[r];
        float* dw = job->DW, db = job->DB;

        // Pass 1: sums of g and g·xhat; with parameters, also dw += dy·xhat and db += dy
        // (element-wise, in row order).
        int j = 0;
        float sumG = 0f, sumGX = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vm = Vector512.Create(m);
            var vs = Vector512.Create(s);
            var accG = Vector512<float>.Zero;
            var accGX = Vector512<float>.Zero;
            for (; j <= n - 16; j += 16)
            {
                var xhat = (Vector512.Load(x + j) - vm) * vs;
                var d = Vector512.Load(dy + j);
                var g = d * Vector512.Load(w + j);
                accG += g;
                accGX = Vector512.FusedMultiplyAdd(g, xhat, accGX);
                if (parameters)
                {
                    Vector512.FusedMultiplyAdd(d, xhat, Vector512.Load(dw + j)).Store(dw + j);
                    (Vector512.Load(db + j) + d).Store(db + j);
                }
            }

            sumG = Vector512.Sum(accG);
            sumGX = Vector512.Sum(accGX);
        }

        if (Vector256.IsHardwareAccelerated && n - j >= 8)
        {
            var vm = Vector256.Create(m);
            var vs = Vector256.Create(s);
            var accG = Vector256<float>.Zero;
            var accGX = Vector256<float>.Zero;
            for (; j <= n - 8; j += 8)
            {
                var xhat = (Vector256.Load(x + j) - vm) * vs;
                var d = Vector256.Load(dy + j);
                var g = d * Vector256.Load(w + j);
                accG += g;
                accGX = Vector256.FusedMultiplyAdd(g, xhat, accGX);
                if (parameters)
                {
                    Vector256.FusedMultiplyAdd(d, xhat, Vector256.Load(dw + j)).Store(dw + j);
                    (Vector256.Load(db + j) + d).Store(db + j);
                }
            }

            sumG += Vector256.Sum(accG);
            sumGX += Vector256.Sum(accGX);
        }

        for (; j < n; j++)
        {
            float xhat = (x[j] - m) * s;
            float g = dy[j] * w[j];
            sumG += g;
            sumGX = MathF.FusedMultiplyAdd(g, xhat, sumGX);
            if (parameters)
            {
                dw[j] = MathF.FusedMultiplyAdd(dy[j], xhat, dw[j]);
                db[j] += dy[j];
            }
        }

        float meanG = sumG / n, negMeanGX = -(sumGX / n);

        // Pass 2: dx += s · ((g - meanG) - xhat · meanGX); with a fused residual, the product s · (...) rounded to a float is
        // added to both destinations (exactly what the unfused kernel's fma into a zeroed d(sum) and the residual's two adds do).
        if (job->DBranch is not null)
        {
            ResidualInputGradient(dx, job->DBranch + offset, x, dy, w, n, m, s, meanG, negMeanGX);
            return;
        }

        j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m);
            var vs = Vector512.Create(s);
            var vMeanG = Vector512.Create(meanG);
            var vNegMeanGX = Vector512.Create(negMeanGX);
            for (; j <= n - 16; j += 16)
            {
                var xhat = (Vector512.Load(x + j) - vm) * vs;
                var g = Vector512.Load(dy + j) * Vector512.Load(w + j);
                var t = Vector512.FusedMultiplyAdd(xhat, vNegMeanGX, g - vMeanG);
                Vector512.FusedMultiplyAdd(vs, t, Vector512.Load(dx + j)).Store(dx + j);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var vs = Vector256.Create(s);
            var vMeanG = Vector256.Create(meanG);
            var vNegMeanGX = Vector256.Create(negMeanGX);
            for (; j <= n - 8; j += 8)
            {
                var xhat = (Vector256.Load(x + j) - vm) * vs;
                var g = Vector256.Load(dy + j) * Vector256.Load(w + j);
                var t = Vector256.FusedMultiplyAdd(xhat, vNegMeanGX, g - vMeanG);
                Vector256.FusedMultiplyAdd(vs, t, Vector256.Load(dx + j)).Store(dx + j);
            }
        }

        for (; j < n; j++)
        {
            float xhat = (x[j] - m) * s;
            float g = dy[j] * w[j];
            float t = MathF.FusedMultiplyAdd(xhat, negMeanGX, g - meanG);
            dx[j] = MathF.FusedMultiplyAdd(s, t, dx[j]);
        }
    }

    /// <summary>y = (x - m) · s · w + b.</summary>
    /// <summary>Pass 2 of a fused residual row: <c>v = s · ((g − meanG) − xhat · meanGX)</c>, then <c>dx += v</c> and <c>dBranch += v</c>.</summary>
    private static void ResidualInputGradient(float* dx, float* dBranch, float* x, float* dy, float* w, int n, float m, float s, float meanG, float negMeanGX)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m);
            var vs = Vector512.Create(s);
            var vMeanG = Vector512.Create(meanG);
            var vNegMeanGX = Vector512.Create(negMeanGX);
            for (; j <= n - 16; j += 16)
            {
                var xhat = (Vector512.Load(x + j) - vm) * vs;
                var g = Vector512.Load(dy + j) * Vector512.Load(w + j);
                var v = vs * Vector512.FusedMultiplyAdd(xhat, vNegMeanGX, g - vMeanG);
                (Vector512.Load(dx + j) + v).Store(dx + j);
                (Vector512.Load(dBranch + j) + v).Store(dBranch + j);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var vs = Vector256.Create(s);
            var vMeanG = Vector256.Create(meanG);
            var vNegMeanGX = Vector256.Create(negMeanGX);
            for (; j <= n - 8; j += 8)
            {
                var xhat = (Vector256.Load(x + j) - vm) * vs;
                var g = Vector256.Load(dy + j) * Vector256.Load(w + j);
                var v = vs * Vector256.FusedMultiplyAdd(xhat, vNegMeanGX, g - vMeanG);
                (Vector256.Load(dx + j) + v).Store(dx + j);
                (Vector256.Load(dBranch + j) + v).Store(dBranch + j);
            }
        }

        for (; j < n; j++)
        {
            float xhat = (x[j] - m) * s;
            float g = dy[j] * w[j];
            float v = s * MathF.FusedMultiplyAdd(xhat, negMeanGX, g - meanG);
            dx[j] += v;
            dBranch[j] += v;
        }
    }

    private static void NormalizeAffine(float* y, float* x, float* w, float* b, int n, float m, float s)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m);
            var vs = Vector512.Create(s);
            for (; j <= n - 16; j += 16)
            {
                var xhat = (Vector512.Load(x + j) - vm) * vs;
                Vector512.FusedMultiplyAdd(xhat, Vector512.Load(w + j), Vector512.Load(b + j)).Store(y + j);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var vs = Vector256.Create(s);
            for (; j <= n - 8; j += 8)
            {
                var xhat = (Vector256.Load(x + j) - vm) * vs;
                Vector256.FusedMultiplyAdd(xhat, Vector256.Load(w + j), Vector256.Load(b + j)).Store(y + j);
            }
        }

        for (; j < n; j++)
        {
            y[j] = MathF.FusedMultiplyAdd((x[j] - m) * s, w[j], b[j]);
        }
    }

    /// <summary>Sum in a fixed order: 16-wide lanes (two accumulators), then 8-wide, then scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sum(float* x, int n)
    {
        int j = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a0 = Vector512<float>.Zero;
            var a1 = Vector512<float>.Zero;
            for (; j <= n - 32; j += 32)
            {
                a0 += Vector512.Load(x + j);
                a1 += Vector512.Load(x + j + 16);
            }

            if (j <= n - 16)
            {
                a0 += Vector512.Load(x + j);
                j += 16;
            }

            sum = Vector512.Sum(a0 + a1);
        }

        if (Vector256.IsHardwareAccelerated && n - j >= 8)
        {
            var a = Vector256<float>.Zero;
            for (; j <= n - 8; j += 8)
            {
                a += Vector256.Load(x + j);
            }

            sum += Vector256.Sum(a);
        }

        for (; j < n; j++)
        {
            sum += x[j];
        }

        return sum;
    }

    /// <summary><c>sum((x - m)²)</c> in the same fixed order as <see cref="Sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SumSquaredDeviation(float* x, int n, float m)
    {
        int j = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vm = Vector512.Create(m);
            var a0 = Vector512<float>.Zero;
            var a1 = Vector512<float>.Zero;
            for (; j <= n - 32; j += 32)
            {
                var d0 = Vector512.Load(x + j) - vm;
                var d1 = Vector512.Load(x + j + 16) - vm;
                a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            }

            if (j <= n - 16)
            {
                var d0 = Vector512.Load(x + j) - vm;
                a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                j += 16;
            }

            sum = Vector512.Sum(a0 + a1);
        }

        if (Vector256.IsHardwareAccelerated && n - j >= 8)
        {
            var vm = Vector256.Create(m);
            var a = Vector256<float>.Zero;
            for (; j <= n - 8; j += 8)
            {
                var d = Vector256.Load(x + j) - vm;
                a = Vector256.FusedMultiplyAdd(d, d, a);
            }

            sum += Vector256.Sum(a);
        }

        for (; j < n; j++)
        {
            float d = x[j] - m;
            sum = MathF.FusedMultiplyAdd(d, d, sum);
        }

        return sum;
    }
}
