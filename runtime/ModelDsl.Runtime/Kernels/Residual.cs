using System;
using System.Runtime.Intrinsics;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>The residual connection <c>output = input + branch</c> of a Transformer sublayer.</summary>
/// <remarks>
/// Element-wise, so a pool splits the elements into contiguous parts (whole 16-float units) with identical results for any
/// thread count; below <see cref="RowParallel.MinimumParallelElements"/> elements a call stays on the calling thread.
/// </remarks>
public static unsafe class Residual
{
    private const int Unit = 16;

    /// <summary><c>output = input + branch</c>, element-wise.</summary>
    /// <param name="output">The sum; may be <paramref name="input"/> or <paramref name="branch"/>.</param>
    /// <param name="input">The sublayer's input.</param>
    /// <param name="branch">The sublayer's output.</param>
    /// <param name="pool">Threads to split the elements over; null runs on the calling thread.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> branch, WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Copy);
        Guard.Length(input, output.Length);
        Guard.Length(branch, output.Length);
        fixed (float* o = output, x = input, y = branch)
        {
            var job = new Job { A = o, B = x, C = y, Length = output.Length };
            Run(ref job, pool, &ForwardPart);
        }
    }

    /// <summary>Both operands receive the output gradient: <c>dInput += dOutput</c>, <c>dBranch += dOutput</c>, in one pass.</summary>
    /// <param name="dInput">Gradient of the input, accumulated.</param>
    /// <param name="dBranch">Gradient of the branch, accumulated.</param>
    /// <param name="dOutput">Gradient of the sum.</param>
    /// <param name="pool">Threads to split the elements over; null runs on the calling thread.</param>
    public static void Backward(Span<float> dInput, Span<float> dBranch, ReadOnlySpan<float> dOutput, WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Copy);
        Guard.Length(dInput, dOutput.Length);
        Guard.Length(dBranch, dOutput.Length);
        fixed (float* dx = dInput, db = dBranch, dy = dOutput)
        {
            var job = new Job { A = dx, B = db, C = dy, Length = dOutput.Length };
            Run(ref job, pool, &BackwardPart);
        }
    }

    private struct Job
    {
        public float* A, B, C;
        public int Length, Parts;
    }

    private static void Run(ref Job job, WorkerPool? pool, delegate*<void*, int, void> part)
    {
        int units = (job.Length + Unit - 1) / Unit;
        job.Parts = pool is null ? 1 : (int)Math.Min(pool.ThreadCount, job.Length / RowParallel.MinimumParallelElements);
        if (job.Parts <= 1)
        {
            job.Parts = 1;
            fixed (Job* context = &job)
            {
                part(context, 0);
            }

            return;
        }

        job.Parts = Math.Min(job.Parts, units);
        fixed (Job* context = &job)
        {
            pool!.Run(job.Parts, part, context);
        }
    }

    private static (int Start, int End) Range(Job* job, int part)
    {
        var (first, last) = ParallelRange.Chunk((job->Length + Unit - 1) / Unit, job->Parts, part);
        return (first * Unit, Math.Min(job->Length, last * Unit));
    }

    /// <summary>A = B + C over part <paramref name="part"/>'s elements.</summary>
    private static void ForwardPart(void* context, int part)
    {
        var job = (Job*)context;
        var (start, end) = Range(job, part);
        float* o = job->A, x = job->B, y = job->C;
        int i = start;
        for (; i + 8 <= end; i += 8)
        {
            (Vector256.Load(x + i) + Vector256.Load(y + i)).Store(o + i);
        }

        for (; i < end; i++)
        {
            o[i] = x[i] + y[i];
        }
    }

    /// <summary>A += C and B += C over part <paramref name="part"/>'s elements.</summary>
    private static void BackwardPart(void* context, int part)
    {
        var job = (Job*)context;
        var (start, end) = Range(job, part);
        float* dx = job->A, db = job->B, dy = job->C;
        int i = start;
        for (; i + 8 <= end; i += 8)
        {
            var d = Vector256.Load(dy + i);
            (Vector256.Load(dx + i) + d).Store(dx + i);
            (Vector256.Load(db + i) + d).Store(db + i);
        }

        for (; i < end; i++)
        {
            float d = dy[i];
            dx[i] += d;
            db[i] += d;
        }
    }
}
