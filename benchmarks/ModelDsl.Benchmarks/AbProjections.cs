using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.Intrinsics;
using ModelDsl.Kernels;
using ModelDsl.Optim;
using ModelDsl.Threading;

namespace ModelDsl.Benchmarks;

/// <summary>
/// Back-to-back comparisons for the second round of issue 13, in the calling thread's CPU time (<see cref="ThreadClock"/>):
/// <c>--ab qkv [threads]</c> (q, k, v as three GEMMs of width D and unstrided attention against one GEMM of width 3D and
/// strided attention, forward and backward of the whole self-attention input side), <c>--ab optimizer</c> (AdamW's step
/// and the gradient clearing serial against split over a pool of two) and <c>--ab residualnorm [threads]</c> (residual add and
/// LayerNorm as separate kernels against <see cref="LayerNorm.ForwardResidual"/> and <see cref="LayerNorm.BackwardResidual"/>).
/// </summary>
internal static class AbProjections
{
    /// <summary>Self-attention shapes of the benchmark models: name, B, T, D, H.</summary>
    private static readonly (string Name, int B, int T, int D, int H)[] Shapes =
    [
        ("D64 classifier B16 T32 H4", 16, 32, 64, 4),
        ("D128 classifier B16 T64 H4 (GPT: B8)", 16, 64, 128, 4),
        ("D256 classifier B8 T128 H8", 8, 128, 256, 8),
        ("DateTranslator encoder B64 T25 D64 H4", 64, 25, 64, 4),
    ];

    /// <summary>q, k, v projections + attention forward and backward, three GEMMs against one.</summary>
    public static int Qkv(int threads)
    {
        Console.WriteLine($"Vector512.IsHardwareAccelerated = {Vector512.IsHardwareAccelerated}, threads {threads}, clock: the calling thread's CPU time");
        Console.WriteLine("| shape | threads | three GEMMs of width D | one GEMM of width 3D | speed-up |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        using var pool = new WorkerPool(threads);
        foreach (var (name, b, t, d, h) in Shapes)
        {
            int rows = b * t, dh = d / h;
            float scale = Attention.DefaultScale(dh);
            float[] x = Data(rows * d, 1), w = Data(3 * d * d, 2), bias = Data(3 * d, 3), dOut = Data(rows * d, 4);
            float[] dx = new float[rows * d], dw = new float[3 * d * d], db = new float[3 * d];
            float[] q = new float[rows * d], k = new float[rows * d], v = new float[rows * d];
            float[] dq = new float[rows * d], dk = new float[rows * d], dv = new float[rows * d];
            float[] qkv = new float[rows * 3 * d], dqkv = new float[rows * 3 * d];
            float[] output = new float[rows * d], probabilities = new float[b * h * t * t];
            float[] scratch = new float[Attention.ScratchLength(t, t, pool.ThreadCount)];

            void Separate()
            {
                for (int i = 0; i < 3; i++)
                {
                    float[] target = i == 0 ? q : i == 1 ? k : v;
                    Linear.Forward(target, x, w.AsSpan(i * d * d, d * d), bias.AsSpan(i * d, d), rows, d, d, pool: pool);
                }

                Attention.Forward(output, probabilities, q, k, v, b, t, t, h, dh, AttentionMask.None, scale, pool);
                Array.Clear(dq);
                Array.Clear(dk);
                Array.Clear(dv);
                Attention.Backward(dq, dk, dv, dOut, q, k, v, probabilities, b, t, t, h, dh, AttentionMask.None, scale, scratch, pool);
                for (int i = 0; i < 3; i++)
                {
                    float[] gradient = i == 0 ? dq : i == 1 ? dk : dv;
                    Linear.Backward(dx, dw.AsSpan(i * d * d, d * d), db.AsSpan(i * d, d), gradient, x, w.AsSpan(i * d * d, d * d), rows, d, d, pool: pool);
                }
            }

            void Packed()
            {
                Linear.Forward(qkv, x, w, bias, rows, d, 3 * d, pool: pool);
                Attention.Forward(output, probabilities, qkv, qkv.AsSpan(d), qkv.AsSpan(2 * d), 3 * d, 3 * d, b, t, t, h, dh, AttentionMask.None, scale, pool);
                Array.Clear(dqkv);
                Attention.Backward(
                    dqkv, dqkv.AsSpan(d), dqkv.AsSpan(2 * d), dOut, qkv, qkv.AsSpan(d), qkv.AsSpan(2 * d), 3 * d, 3 * d,
                    probabilities, b, t, t, h, dh, AttentionMask.None, scale, scratch, pool);
                Linear.Backward(dx, dw, db, dqkv, x, w, rows, d, 3 * d, pool: pool);
            }

            var (a, c) = Alternate(Separate, Packed, rounds: 15, calls: 5);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {threads} | {a:F3} ms | {c:F3} ms | {a / c:F2}x |"));
        }

        return 0;
    }

    /// <summary>AdamW's step over each model's parameter count and a gradient-sized clear, serial against split over two threads.</summary>
    public static int OptimizerAndClear()
    {
        Console.WriteLine("Clock: the calling thread's CPU time (with the pool: the caller's share, its spinning for the worker included)");
        Console.WriteLine("| case | floats | serial | pool of 2 | speed-up |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        using var pool = new WorkerPool(2);
        foreach (int length in new[] { 100_000, 420_000, 1_600_000 })
        {
            var optimizer = new AdamW(1e-3f);
            float[] parameters = Data(length, 1), gradients = Data(length, 2);
            float[] state = new float[optimizer.StateLength(length)];
            long step = 0;
            var (serial, split) = Alternate(
                () => optimizer.Step(parameters, gradients, state, 1e-3f, ++step, null),
                () => optimizer.Step(parameters, gradients, state, 1e-3f, ++step, pool),
                rounds: 15,
                calls: 10);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| AdamW step | {length:N0} | {serial:F3} ms | {split:F3} ms | {serial / split:F2}x |"));
            var (clear, parallelClear) = Alternate(() => ParallelClear.Clear(gradients, null), () => ParallelClear.Clear(gradients, pool), rounds: 15, calls: 10);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| clear | {length:N0} | {clear:F3} ms | {parallelClear:F3} ms | {clear / parallelClear:F2}x |"));
        }

        return 0;
    }

    /// <summary>A post-norm sublayer's residual add and LayerNorm, forward and backward: separate kernels against the fused pass.</summary>
    public static int ResidualNorm(int threads)
    {
        Console.WriteLine($"Vector512.IsHardwareAccelerated = {Vector512.IsHardwareAccelerated}, threads {threads}, clock: the calling thread's CPU time");
        Console.WriteLine("| rows x width | threads | Residual + LayerNorm | fused | speed-up |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        using var pool = new WorkerPool(threads);
        foreach (var (rows, width) in new[] { (512, 64), (1600, 64), (1024, 128), (1024, 256) })
        {
            int size = rows * width;
            float[] x = Data(size, 1), branch = Data(size, 2), weight = Data(width, 3), bias = Data(width, 4), dOut = Data(size, 5);
            float[] sum = new float[size], output = new float[size], mean = new float[rows], rstd = new float[rows];
            float[] dx = new float[size], dBranch = new float[size], dSum = new float[size], dw = new float[width], db = new float[width];
            var (separate, fused) = Alternate(
                () =>
                {
                    Residual.Forward(sum, x, branch, pool);
                    LayerNorm.Forward(output, mean, rstd, sum, weight, bias, rows, width, pool: pool);
                    Array.Clear(dSum); // the generated trainer's d.Clear() does this once per step for every buffer
                    LayerNorm.Backward(dSum, dw, db, dOut, sum, weight, mean, rstd, rows, width, pool);
                    Residual.Backward(dx, dBranch, dSum, pool);
                },
                () =>
                {
                    LayerNorm.ForwardResidual(output, sum, mean, rstd, x, branch, weight, bias, rows, width, pool: pool);
                    LayerNorm.BackwardResidual(dx, dBranch, dw, db, dOut, sum, weight, mean, rstd, rows, width, pool);
                },
                rounds: 15,
                calls: 20);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {rows} x {width} | {threads} | {separate:F3} ms | {fused:F3} ms | {separate / fused:F2}x |"));
        }

        return 0;
    }

    /// <summary>Median milliseconds per call of each variant, alternated over rounds after one warm-up call each.</summary>
    private static (double First, double Second) Alternate(Action first, Action second, int rounds, int calls)
    {
        var times = new List<double>[2] { new(), new() };
        for (int round = -1; round < rounds; round++)
        {
            for (int variant = 0; variant < 2; variant++)
            {
                Action call = variant == 0 ? first : second;
                long start = ThreadClock.Nanoseconds();
                for (int i = 0; i < calls; i++)
                {
                    call();
                }

                if (round >= 0)
                {
                    times[variant].Add((ThreadClock.Nanoseconds() - start) / (calls * 1e6));
                }
            }
        }

        times[0].Sort();
        times[1].Sort();
        return (times[0][rounds / 2], times[1][rounds / 2]);
    }

    private static float[] Data(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * 0.1f;
        }

        return values;
    }
}
