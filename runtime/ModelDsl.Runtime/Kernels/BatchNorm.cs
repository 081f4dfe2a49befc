using System;
using System.Runtime.Intrinsics;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Batch normalization of a row-major <c>[rows, channels]</c> tensor over its rows, with PyTorch's
/// <c>nn.BatchNorm1d(channels)</c> semantics (a sequence batch <c>[B, T, C]</c> is passed flattened as
/// <c>[B·T, C]</c>; note PyTorch's own <c>BatchNorm1d</c> wants <c>[B, C, T]</c>, the statistics are the same).
/// </summary>
/// <remarks>
/// <para><b>Training</b>: each channel is normalized with the batch mean and the biased batch variance,
/// <c>y = (x - mean) / sqrt(var + eps) · weight + bias</c>, and the running statistics are updated as
/// <c>running = (1 - momentum) · running + momentum · batch</c>, the running variance with the
/// <b>unbiased</b> batch variance (divide by <c>rows - 1</c>), as PyTorch does. A batch of one row
/// throws, as in PyTorch: its variance is undefined.</para>
/// <para><b>Evaluation</b>: the running statistics normalize and are not changed.</para>
/// <para>In both modes the mean and <c>rstd = 1 / sqrt(var + eps)</c> actually used are saved for
/// <see cref="Backward"/>. Each channel is reduced over rows in row order, 8 channels per vector lane
/// group; channels are split between threads when a pool is given, so results are bit-identical for
/// every thread count.</para>
/// </remarks>
public static unsafe class BatchNorm
{
    /// <summary>PyTorch's default momentum for the running statistics.</summary>
    public const float DefaultMomentum = 0.1f;

    /// <summary>PyTorch's default epsilon for <c>nn.BatchNorm1d</c>.</summary>
    public const float DefaultEpsilon = 1e-5f;

    private const int ParallelThreshold = 1 << 14;
    private const int Block = 8;

    /// <summary>Normalizes each channel of <paramref name="input"/> and applies the affine transform.</summary>
    /// <param name="output">Normalized values <c>[rows, channels]</c>; must not overlap <paramref name="input"/>.</param>
    /// <param name="savedMean">The mean used per channel <c>[channels]</c> (batch mean in training, running mean in evaluation).</param>
    /// <param name="savedRstd">The <c>1 / sqrt(var + eps)</c> used per channel <c>[channels]</c>.</param>
    /// <param name="runningMean">Running mean <c>[channels]</c>; updated in training, read in evaluation.</param>
    /// <param name="runningVar">Running (unbiased) variance <c>[channels]</c>; updated in training, read in evaluation.</param>
    /// <param name="input">Input <c>[rows, channels]</c>.</param>
    /// <param name="weight">Scale (gamma) <c>[channels]</c>.</param>
    /// <param name="bias">Shift (beta) <c>[channels]</c>.</param>
    /// <param name="rows">Number of rows N (batch, or batch × time); at least 2 in training.</param>
    /// <param name="channels">Number of channels (features) C.</param>
    /// <param name="training"><see langword="true"/> to use and record batch statistics, <see langword="false"/> to use the running ones.</param>
    /// <param name="momentum">Weight of the batch statistics in the running update; PyTorch's default is 0.1.</param>
    /// <param name="eps">Added to the variance inside the square root; PyTorch's default is 1e-5.</param>
    /// <param name="pool">Threads to split channels over; <see langword="null"/> runs on the calling thread.</param>
    public static void Forward(
        Span<float> output, Span<float> savedMean, Span<float> savedRstd,
        Span<float> runningMean, Span<float> runningVar,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int rows, int channels, bool training,
        float momentum = DefaultMomentum, float eps = DefaultEpsilon, WorkerPool? pool = null)
    {
        Guard.Positive(rows);
        Guard.Positive(channels);
        long size = (long)rows * channels;
        Guard.Length(output, size);
        Guard.Length(savedMean, channels);
        Guard.Length(savedRstd, channels);
        Guard.Length(runningMean, channels);
        Guard.Length(runningVar, channels);
        Guard.Length(input, size);
        Guard.Length(weight, channels);
        Guard.Length(bias, channels);
        CheckOptions(rows, training, momentum, eps);
        Guard.NoOverlap(output, input);

        fixed (float* y = output, sm = savedMean, ss = savedRstd, rm = runningMean, rv = runningVar,
               x = input, w = weight, b = bias)
        {
            var job = new ForwardJob
            {
                Y = y, SavedMean = sm, SavedRstd = ss, RunningMean = rm, RunningVar = rv, X = x, W = w, B = b,
                Rows = rows, Channels = channels, Training = training, Momentum = momentum, Eps = eps,
            };
            Dispatch(pool, size, channels, &ForwardPart, &job, &job.Parts);
        }
    }

    /// <summary>
    /// Adds the gradients of <see cref="Forward"/> into <paramref name="dInput"/>, <paramref name="dWeight"/>
    /// and <paramref name="dBias"/>. In training mode the gradient flows through the batch mean and
    /// variance; in evaluation mode the normalization is a fixed affine map per channel.
    /// </summary>
    /// <param name="dInput">Gradient of the input <c>[rows, channels]</c>, accumulated (<c>+=</c>).</param>
    /// <param name="dWeight">Gradient of the weight <c>[channels]</c>, accumulated.</param>
    /// <param name="dBias">Gradient of the bias <c>[channels]</c>, accumulated.</param>
    /// <param name="dOutput">Gradient of the output <c>[rows, channels]</c>; must not overlap <paramref name="dInput"/>.</param>
    /// <param name="input">The forward input <c>[rows, channels]</c>.</param>
    /// <param name="weight">The forward weight <c>[channels]</c>.</param>
    /// <param name="savedMean">Mean saved by <see cref="Forward"/> <c>[channels]</c>.</param>
    /// <param name="savedRstd">Reciprocal standard deviation saved by <see cref="Forward"/> <c>[channels]</c>.</param>
    /// <param name="rows">Number of rows N.</param>
    /// <param name="channels">Number of channels C.</param>
    /// <param name="training">The mode the forward pass ran in.</param>
    /// <param name="pool">Threads to split channels over; <see langword="null"/> runs on the calling thread.</param>
    public static void Backward(
        Span<float> dInput, Span<float> dWeight, Span<float> dBias,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> savedMean, ReadOnlySpan<float> savedRstd,
        int rows, int channels, bool training, WorkerPool? pool = null)
    {
        Guard.Positive(rows);
        Guard.Positive(channels);
        long size = (long)rows * channels;
        Guard.Length(dInput, size);
        Guard.Length(dWeight, channels);
        Guard.Length(dBias, channels);
        Guard.Length(dOutput, size);
        Guard.Length(input, size);
        Guard.Length(weight, channels);
        Guard.Length(savedMean, channels);
        Guard.Length(savedRstd, channels);
        Guard.NoOverlap(dInput, dOutput);
        Guard.NoOverlap(dInput, input);

        fixed (float* dx = dInput, dw = dWeight, db = dBias, dy = dOutput, x = input, w = weight,
               sm = savedMean, ss = savedRstd)
        {
            var job = new BackwardJob
            {
                DX = dx, DW = dw, DB = db, DY = dy, X = x, W = w, SavedMean = sm, SavedRstd = ss,
                Rows = rows, Channels = channels, Training = training,
            };
            Dispatch(pool, size, channels, &BackwardPart, &job, &job.Parts);
        }
    }

    /// <summary>Checks the mode and options shared by the tuned and reference kernels.</summary>
    internal static void CheckOptions(int rows, bool training, float momentum, float eps)
    {
        if (training && rows < 2)
        {
            throw new ArgumentException(
                $"BatchNorm in training mode needs more than one value per channel to compute a batch variance; got rows = {rows}. " +
                "Use a batch of at least 2 rows, or evaluation mode (training: false).", nameof(rows));
        }

        if (!(momentum >= 0f && momentum <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"momentum must be in [0, 1]; got {momentum}.");
        }

        if (!(eps >= 0f && float.IsFinite(eps)))
        {
            LayerNorm.ThrowEps(eps);
        }
    }

    private static void Dispatch(WorkerPool? pool, long size, int channels, delegate*<void*, int, void> body, void* job, int* parts)
    {
        int blocks = (channels + Block - 1) / Block;
        if (pool is null || pool.ThreadCount == 1 || blocks < 2 || size < ParallelThreshold)
        {
            *parts = 1;
            body(job, 0);
            return;
        }

        *parts = Math.Min(blocks, pool.ThreadCount * 2);
        pool.Run(*parts, body, job);
    }

    private static (int Start, int End) Channels(int channels, int parts, int part)
    {
        int blocks = (channels + Block - 1) / Block;
        var (start, end) = ParallelRange.Chunk(blocks, parts, part);
        return (start * Block, Math.Min(end * Block, channels));
    }

    private struct ForwardJob
    {
        public float* Y, SavedMean, SavedRstd, RunningMean, RunningVar, X, W, B;
        public int Rows, Channels, Parts;
        public bool Training;
        public float Momentum, Eps;
    }

    private struct BackwardJob
    {
        public float* DX, DW, DB, DY, X, W, SavedMean, SavedRstd;
        public int Rows, Channels, Parts;
        public bool Training;
    }

    private static void ForwardPart(void* context, int part)
    {
        var job = (ForwardJob*)context;
        var (start, end) = Channels(job->Channels, job->Parts, part);
        int c = start;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c <= end - Block; c += Block)
            {
                ForwardBlock(job, c);
            }
        }

        for (; c < end; c++)
        {
            ForwardChannel(job, c);
        }
    }

    private static void BackwardPart(void* context, int part)
    {
        var job = (BackwardJob*)context;
        var (start, end) = Channels(job->Channels, job->Parts, part);
        int c = start;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c <= end - Block; c += Block)
            {
                BackwardBlock(job, c);
            }
        }

        for (; c < end; c++)
        {
            BackwardChannel(job, c);
        }
    }

    /// <summary>Channels <c>[c, c + 8)</c>: statistics, running update, output.</summary>
    private static void ForwardBlock(ForwardJob* job, int c)
    {
        int rows = job->Rows, stride = job->Channels;
        float* x = job->X + c;
        Vector256<float> mean, rstd;
        if (job->Training)
        {
            var n = Vector256.Create((float)rows);
            var sum = Vector256<float>.Zero;
            for (int r = 0; r < rows; r++)
            {
                sum += Vector256.Load(x + (long)r * stride);
            }

            mean = sum / n;
            var squares = Vector256<float>.Zero;
            for (int r = 0; r < rows; r++)
            {
                var d = Vector256.Load(x + (long)r * stride) - mean;
                squares = Vector256.FusedMultiplyAdd(d, d, squares);
            }

            rstd = Vector256<float>.One / Vector256.Sqrt(squares / n + Vector256.Create(job->Eps));
            var keep = Vector256.Create(1f - job->Momentum);
            var momentum = Vector256.Create(job->Momentum);
            var unbiased = squares / Vector256.Create((float)(rows - 1));
            (keep * Vector256.Load(job->RunningMean + c) + momentum * mean).Store(job->RunningMean + c);
            (keep * Vector256.Load(job->RunningVar + c) + momentum * unbiased).Store(job->RunningVar + c);
        }
        else
        {
            mean = Vector256.Load(job->RunningMean + c);
            rstd = Vector256<float>.One / Vector256.Sqrt(Vector256.Load(job->RunningVar + c) + Vector256.Create(job->Eps));
        }

        mean.Store(job->SavedMean + c);
        rstd.Store(job->SavedRstd + c);
        var w = Vector256.Load(job->W + c);
        var b = Vector256.Load(job->B + c);
        float* y = job->Y + c;
        for (int r = 0; r < rows; r++)
        {
            long offset = (long)r * stride;
            var xhat = (Vector256.Load(x + offset) - mean) * rstd;
            Vector256.FusedMultiplyAdd(xhat, w, b).Store(y + offset);
        }
    }

    /// <summary>One channel, the same operations as <see cref="ForwardBlock"/> in scalar form.</summary>
    private static void ForwardChannel(ForwardJob* job, int c)
    {
        int rows = job->Rows, stride = job->Channels;
        float* x = job->X + c;
        float mean, rstd;
        if (job->Training)
        {
            float sum = 0f;
            for (int r = 0; r < rows; r++)
            {
                sum += x[(long)r * stride];
            }

            mean = sum / rows;
            float squares = 0f;
            for (int r = 0; r < rows; r++)
            {
                float d = x[(long)r * stride] - mean;
                squares = MathF.FusedMultiplyAdd(d, d, squares);
            }

            rstd = 1f / MathF.Sqrt(squares / rows + job->Eps);
            float keep = 1f - job->Momentum;
            job->RunningMean[c] = keep * job->RunningMean[c] + job->Momentum * mean;
            job->RunningVar[c] = keep * job->RunningVar[c] + job->Momentum * (squares / (rows - 1));
        }
        else
        {
            mean = job->RunningMean[c];
            rstd = 1f / MathF.Sqrt(job->RunningVar[c] + job->Eps);
        }

        job->SavedMean[c] = mean;
        job->SavedRstd[c] = rstd;
        float w = job->W[c], b = job->B[c];
        float* y = job->Y + c;
        for (int r = 0; r < rows; r++)
        {
            long offset = (long)r * stride;
            y[offset] = MathF.FusedMultiplyAdd((x[offset] - mean) * rstd, w, b);
        }
    }

    /// <summary>
    /// Channels <c>[c, c + 8)</c>. With <c>S = Σ dy</c>, <c>P = Σ dy · xhat</c>: <c>dBias += S</c>,
    /// <c>dWeight += P</c>; training: <c>dx += w · rstd · (dy - S/N - xhat · P/N)</c>; evaluation:
    /// <c>dx += w · rstd · dy</c>.
    /// </summary>
    private static void BackwardBlock(BackwardJob* job, int c)
    {
        int rows = job->Rows, stride = job->Channels;
        float* x = job->X + c, dy = job->DY + c, dx = job->DX + c;
        var mean = Vector256.Load(job->SavedMean + c);
        var rstd = Vector256.Load(job->SavedRstd + c);
        var sumDy = Vector256<float>.Zero;
        var sumDyX = Vector256<float>.Zero;
        for (int r = 0; r < rows; r++)
        {
            long offset = (long)r * stride;
            var g = Vector256.Load(dy + offset);
            var xhat = (Vector256.Load(x + offset) - mean) * rstd;
            sumDy += g;
            sumDyX = Vector256.FusedMultiplyAdd(g, xhat, sumDyX);
        }

        (Vector256.Load(job->DB + c) + sumDy).Store(job->DB + c);
        (Vector256.Load(job->DW + c) + sumDyX).Store(job->DW + c);
        var scale = Vector256.Load(job->W + c) * rstd;
        if (job->Training)
        {
            var n = Vector256.Create((float)rows);
            var meanDy = sumDy / n;
            var negMeanDyX = -(sumDyX / n);
            for (int r = 0; r < rows; r++)
            {
                long offset = (long)r * stride;
                var xhat = (Vector256.Load(x + offset) - mean) * rstd;
                var t = Vector256.FusedMultiplyAdd(xhat, negMeanDyX, Vector256.Load(dy + offset) - meanDy);
                Vector256.FusedMultiplyAdd(scale, t, Vector256.Load(dx + offset)).Store(dx + offset);
            }
        }
        else
        {
            for (int r = 0; r < rows; r++)
            {
                long offset = (long)r * stride;
                Vector256.FusedMultiplyAdd(scale, Vector256.Load(dy + offset), Vector256.Load(dx + offset)).Store(dx + offset);
            }
        }
    }

    /// <summary>One channel, the same operations as <see cref="BackwardBlock"/> in scalar form.</summary>
    private static void BackwardChannel(BackwardJob* job, int c)
    {
        int rows = job->Rows, stride = job->Channels;
        float* x = job->X + c, dy = job->DY + c, dx = job->DX + c;
        float mean = job->SavedMean[c], rstd = job->SavedRstd[c];
        float sumDy = 0f, sumDyX = 0f;
        for (int r = 0; r < rows; r++)
        {
            long offset = (long)r * stride;
            float xhat = (x[offset] - mean) * rstd;
            sumDy += dy[offset];
            sumDyX = MathF.FusedMultiplyAdd(dy[offset], xhat, sumDyX);
        }

        job->DB[c] += sumDy;
        job->DW[c] += sumDyX;
        float scale = job->W[c] * rstd;
        if (job->Training)
        {
            float meanDy = sumDy / rows, negMeanDyX = -(sumDyX / rows);
            for (int r = 0; r < rows; r++)
            {
                long offset = (long)r * stride;
                float xhat = (x[offset] - mean) * rstd;
                float t = MathF.FusedMultiplyAdd(xhat, negMeanDyX, dy[offset] - meanDy);
                dx[offset] = MathF.FusedMultiplyAdd(scale, t, dx[offset]);
            }
        }
        else
        {
            for (int r = 0; r < rows; r++)
            {
                long offset = (long)r * stride;
                dx[offset] = MathF.FusedMultiplyAdd(scale, dy[offset], dx[offset]);
            }
        }
    }
}
