using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Softmax and log-softmax along the last axis of a row-major <c>[rows, width]</c> tensor, forward and
/// backward. The reference version is <see cref="Reference.SoftmaxReference"/>.
/// </summary>
/// <remarks>
/// <para>Numerically stable: each row subtracts its maximum first, so logits of ±1e4 give finite results
/// (<c>exp</c> of a shifted logit underflows to 0 at worst, and the row sum is at least 1).
/// Log-softmax is <c>x - max - log(Σ exp(x - max))</c>, never <c>log(softmax)</c>.</para>
/// <para>Backward takes the forward's <em>output</em>: softmax <c>dx += y ⊙ (dy - ⟨dy, y⟩)</c>;
/// log-softmax <c>dx += dy - exp(y) · Σ dy</c>.</para>
/// <para>Rows run in parallel on <c>pool</c> when given; each row is computed by one thread in a fixed
/// order, so the result does not depend on the thread count. Forward may run in place.</para>
/// </remarks>
[SkipLocalsInit]
public static unsafe class Softmax
{
    private struct Job
    {
        public float* Output;
        public float* Input;
        public float* Saved;
        public int Width;
    }

    /// <summary>Computes <c>output[r, :] = softmax(input[r, :])</c>.</summary>
    /// <param name="output">Probabilities <c>[rows, width]</c>; may be <paramref name="input"/>.</param>
    /// <param name="input">Logits <c>[rows, width]</c>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="width">Length of the softmax axis.</param>
    /// <param name="pool">Threads to spread rows over; null runs on the caller.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, int rows, int width, WorkerPool? pool = null) =>
        RunForward(output, input, rows, width, pool, log: false);

    /// <summary>Computes <c>output[r, :] = log_softmax(input[r, :])</c>.</summary>
    /// <param name="output">Log-probabilities <c>[rows, width]</c>; may be <paramref name="input"/>.</param>
    /// <param name="input">Logits <c>[rows, width]</c>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="width">Length of the softmax axis.</param>
    /// <param name="pool">Threads to spread rows over; null runs on the caller.</param>
    public static void LogForward(Span<float> output, ReadOnlySpan<float> input, int rows, int width, WorkerPool? pool = null) =>
        RunForward(output, input, rows, width, pool, log: true);

    /// <summary>Adds the softmax backward <c>y ⊙ (dy - ⟨dy, y⟩)</c> into <paramref name="dInput"/>, row by row.</summary>
    /// <param name="dInput">Gradient with respect to the logits <c>[rows, width]</c>; accumulated.</param>
    /// <param name="dOutput">Gradient with respect to the probabilities <c>[rows, width]</c>.</param>
    /// <param name="output">The forward's probabilities <c>[rows, width]</c>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="width">Length of the softmax axis.</param>
    /// <param name="pool">Threads to spread rows over; null runs on the caller.</param>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> output, int rows, int width, WorkerPool? pool = null) =>
        RunBackward(dInput, dOutput, output, rows, width, pool, log: false);

    /// <summary>Adds the log-softmax backward <c>dy - exp(y) · Σ dy</c> into <paramref name="dInput"/>, row by row.</summary>
    /// <param name="dInput">Gradient with respect to the logits <c>[rows, width]</c>; accumulated.</param>
    /// <param name="dOutput">Gradient with respect to the log-probabilities <c>[rows, width]</c>.</param>
    /// <param name="output">The forward's log-probabilities <c>[rows, width]</c>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="width">Length of the softmax axis.</param>
    /// <param name="pool">Threads to spread rows over; null runs on the caller.</param>
    public static void LogBackward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> output, int rows, int width, WorkerPool? pool = null) =>
        RunBackward(dInput, dOutput, output, rows, width, pool, log: true);

    /// <summary>Softmax of one row: <c>y = exp(x - max) / Σ exp(x - max)</c>.</summary>
    internal static void Row(Span<float> y, ReadOnlySpan<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        float sum = TensorPrimitives.Sum(y);
        TensorPrimitives.Multiply(y, 1f / sum, y);
    }

    /// <summary>Log-softmax of one row: <c>y = x - max - log(Σ exp(x - max))</c>; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    internal static void LogRow(Span<float> y, ReadOnlySpan<float> x)
    {
        const int Chunk = 256;
        Span<float> e = stackalloc float[Math.Min(Chunk, x.Length)];
        float max = TensorPrimitives.Max(x);
        float sum = 0f;
        for (int start = 0; start < x.Length; start += Chunk)
        {
            var ec = e[..Math.Min(e.Length, x.Length - start)];
            TensorPrimitives.Subtract(x.Slice(start, ec.Length), max, ec);
            TensorPrimitives.Exp(ec, ec);
            sum += TensorPrimitives.Sum(ec);
        }

        // (x - max) - log(sum), in that order: folding max + log(sum) first would round away log(sum)'s
        // low bits next to a large max (logits of 1e4 have an ulp of 1e-3).
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Subtract(y, MathF.Log(sum), y);
    }

    private static void RunForward(Span<float> output, ReadOnlySpan<float> input, int rows, int width, WorkerPool? pool, bool log)
    {
        using var profile = KernelProfile.Time(KernelFamily.Softmax);
        Guard.Positive(rows);
        Guard.Positive(width);
        Guard.Length(output, (long)rows * width);
        Guard.Length(input, (long)rows * width);
        fixed (float* o = output, i = input)
        {
            var job = new Job { Output = o, Input = i, Width = width };
            RowParallel.Run(pool, rows, (long)rows * width, log ? &LogForwardRows : &ForwardRows, &job);
        }
    }

    private static void RunBackward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> output, int rows, int width, WorkerPool? pool, bool log)
    {
        using var profile = KernelProfile.Time(KernelFamily.Softmax);
        Guard.Positive(rows);
        Guard.Positive(width);
        Guard.Length(dInput, (long)rows * width);
        Guard.Length(dOutput, (long)rows * width);
        Guard.Length(output, (long)rows * width);
        fixed (float* d = dInput, g = dOutput, y = output)
        {
            var job = new Job { Output = d, Input = g, Saved = y, Width = width };
            RowParallel.Run(pool, rows, (long)rows * width, log ? &LogBackwardRows : &BackwardRows, &job);
        }
    }

    private static void ForwardRows(void* context, int start, int end)
    {
        var job = (Job*)context;
        int w = job->Width;
        for (int r = start; r < end; r++)
        {
            Row(new Span<float>(job->Output + (long)r * w, w), new ReadOnlySpan<float>(job->Input + (long)r * w, w));
        }
    }

    private static void LogForwardRows(void* context, int start, int end)
    {
        var job = (Job*)context;
        int w = job->Width;
        for (int r = start; r < end; r++)
        {
            LogRow(new Span<float>(job->Output + (long)r * w, w), new ReadOnlySpan<float>(job->Input + (long)r * w, w));
        }
    }

    private static void BackwardRows(void* context, int start, int end)
    {
        var job = (Job*)context;
        int w = job->Width;
        for (int r = start; r < end; r++)
        {
            var dx = new Span<float>(job->Output + (long)r * w, w);
            var dy = new ReadOnlySpan<float>(job->Input + (long)r * w, w);
            var y = new ReadOnlySpan<float>(job->Saved + (long)r * w, w);
            float dot = TensorPrimitives.Dot(dy, y);
            AddProductOfDifference(dx, y, dy, dot);
        }
    }

    private static void LogBackwardRows(void* context, int start, int end)
    {
        var job = (Job*)context;
        int w = job->Width;
        for (int r = start; r < end; r++)
        {
            var dx = new Span<float>(job->Output + (long)r * w, w);
            var dy = new ReadOnlySpan<float>(job->Input + (long)r * w, w);
            var y = new ReadOnlySpan<float>(job->Saved + (long)r * w, w);
            AddLogSoftmaxGradient(dx, dy, y, TensorPrimitives.Sum(dy), 1f);
        }
    }

    /// <summary><c>dx += y ⊙ (dy - dot)</c>.</summary>
    private static void AddProductOfDifference(Span<float> dx, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, float dot)
    {
        ref float d = ref MemoryMarshal.GetReference(dx);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pg = ref MemoryMarshal.GetReference(dy);
        int n = dx.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vDot = Vector256.Create(dot);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var vy = Vector256.LoadUnsafe(ref py, (nuint)i);
                var vg = Vector256.LoadUnsafe(ref pg, (nuint)i);
                var vd = Vector256.LoadUnsafe(ref d, (nuint)i);
                Vector256.FusedMultiplyAdd(vy, vg - vDot, vd).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) += Unsafe.Add(ref py, i) * (Unsafe.Add(ref pg, i) - dot);
        }
    }

    /// <summary><c>dx += scale · (dy - exp(logProbs) · sumDy)</c>, the log-softmax backward.</summary>
    private static void AddLogSoftmaxGradient(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> logProbs, float sumDy, float scale)
    {
        const int Chunk = 256;
        Span<float> p = stackalloc float[Math.Min(Chunk, dx.Length)];
        for (int start = 0; start < dx.Length; start += p.Length)
        {
            int count = Math.Min(p.Length, dx.Length - start);
            var pc = p[..count];
            TensorPrimitives.Exp(logProbs.Slice(start, count), pc);
            FusedOps.AddAxBy(dx.Slice(start, count), dy.Slice(start, count), scale, pc, -scale * sumDy);
        }
    }
}
