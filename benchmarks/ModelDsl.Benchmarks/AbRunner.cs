using System;
using System.Collections.Generic;
using System.Globalization;

namespace ModelDsl.Benchmarks;

/// <summary>
/// Back-to-back comparison of two variants in one process, for a loaded machine where only such comparisons mean
/// anything: <c>ModelDsl.Benchmarks.dll --ab attention</c>, <c>--ab models [threads]</c>, <c>--ab qkv [threads]</c>, <c>--ab residualnorm [threads]</c> or <c>--ab optimizer</c>. Alternates the variants over
/// rounds and prints each one's median time per call, in the calling thread's CPU time (<see cref="ThreadClock"/>; with two
/// threads that is the caller's share, spinning for workers included).
/// </summary>
internal static class AbRunner
{
    /// <summary>Runs the comparison named by <paramref name="args"/>[0]; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        string what = args.Length > 0 ? args[0] : "attention";
        if (what == "models")
        {
            return Models(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1);
        }

        if (what == "alloc")
        {
            return Allocations();
        }

        if (what == "softmax")
        {
            return SoftmaxRows();
        }

        if (what == "qkv")
        {
            return AbProjections.Qkv(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1);
        }

        if (what == "residualnorm")
        {
            return AbProjections.ResidualNorm(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1);
        }

        if (what == "optimizer")
        {
            return AbProjections.OptimizerAndClear();
        }

        if (what != "attention")
        {
            Console.Error.WriteLine($"unknown comparison '{what}'");
            return 2;
        }

        foreach (string shape in new[] { "B16 T64 H4", "B8 T128 H8" })
        {
            foreach (bool causal in new[] { false, true })
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    var variants = new List<(string Name, AttentionBenchmarks Bench)>();
                    foreach (bool blocked in new[] { false, true })
                    {
                        var bench = new AttentionBenchmarks { Shape = shape, Causal = causal, Threads = threads, Blocked = blocked };
                        bench.Setup();
                        variants.Add((blocked ? "blocked" : "row", bench));
                    }

                    var times = new List<double>[2] { new(), new() };
                    for (int round = 0; round < 15; round++)
                    {
                        for (int v = 0; v < 2; v++)
                        {
                            Kernels.Attention.BlockedPathEnabled = variants[v].Bench.Blocked;
                            long start = ThreadClock.Nanoseconds();
                            for (int i = 0; i < 5; i++)
                            {
                                variants[v].Bench.ForwardBackward();
                            }

                            times[v].Add((ThreadClock.Nanoseconds() - start) / 5e6);
                        }
                    }

                    foreach (var (_, bench) in variants)
                    {
                        bench.Cleanup();
                    }

                    double row = Median(times[0]), blockedTime = Median(times[1]);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {shape} {(causal ? "causal" : "no mask")} | {threads} | {row:F3} ms | {blockedTime:F3} ms | {row / blockedTime:F2}x |"));
                }
            }
        }

        return 0;
    }

    /// <summary>Training step and forward of every model, attention's row path against its blocked path.</summary>
    private static int Models(int threads)
    {
        var cases = new List<(string Name, Func<float> Step, Func<float> Forward, IDisposable Owner)>();
        foreach (string model in new[] { "Classifier B16 T32 D64 H4", "Classifier B16 T64 D128 H4", "Classifier B8 T128 D256 H8", "GPT B8 T64 D128 H4 L4" })
        {
            var bench = new ModelBenchmarks { Model = model, Threads = threads };
            bench.Setup();
            cases.Add((model, bench.Step, bench.Forward, bench));
        }

        var seq2seq = new Seq2SeqBenchmarks { Threads = threads };
        seq2seq.Setup();
        cases.Add(("DateTranslator B64", seq2seq.Step, seq2seq.Evaluate, seq2seq));
        Console.WriteLine("| model | threads | step row | step blocked | ratio | forward row | forward blocked | ratio |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, step, forward, owner) in cases)
        {
            var results = new double[4];
            for (int f = 0; f < 2; f++)
            {
                Func<float> call = f == 0 ? step : forward;
                var times = new List<double>[2] { new(), new() };
                for (int round = 0; round < 11; round++)
                {
                    for (int v = 0; v < 2; v++)
                    {
                        Kernels.Attention.BlockedPathEnabled = v == 1;
                        call();
                        long start = ThreadClock.Nanoseconds();
                        for (int i = 0; i < 3; i++)
                        {
                            call();
                        }

                        times[v].Add((ThreadClock.Nanoseconds() - start) / 3e6);
                    }
                }

                results[2 * f] = Median(times[0]);
                results[(2 * f) + 1] = Median(times[1]);
            }

            Kernels.Attention.BlockedPathEnabled = true;
            owner.Dispose();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {threads} | {results[0]:F2} ms | {results[1]:F2} ms | {results[0] / results[1]:F2}x | {results[2]:F2} ms | {results[3]:F2} ms | {results[2] / results[3]:F2}x |"));
        }

        return 0;
    }

    /// <summary>One softmax row in place: TensorPrimitives' five calls against the attention's fused vector passes.</summary>
    private static unsafe int SoftmaxRows()
    {
        // The first pass over the sizes only warms up the JIT (tier-0 code would dominate the short early sizes).
        foreach (int signed in new[] { 11, 29, 32, 64, 128, -11, -29, -32, -64, -128 })
        {
            bool print = signed < 0;
            int n = Math.Abs(signed);
            var data = new float[n * 256];
            var random = new Random(1);
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (float)random.NextDouble() * 4;
            }

            var times = new List<double>[2] { new(), new() };
            fixed (float* x = data)
            {
                for (int round = 0; round < 21; round++)
                {
                    for (int v = 0; v < 2; v++)
                    {
                        long start = ThreadClock.Nanoseconds();
                        for (int repeat = 0; repeat < 20; repeat++)
                        {
                            for (int r = 0; r < 256; r++)
                            {
                                float* row = x + (r * n);
                                if (v == 0)
                                {
                                    var span = new Span<float>(row, n);
                                    float max = System.Numerics.Tensors.TensorPrimitives.Max<float>(span);
                                    System.Numerics.Tensors.TensorPrimitives.Subtract(span, max, span);
                                    System.Numerics.Tensors.TensorPrimitives.Exp(span, span);
                                    float sum = System.Numerics.Tensors.TensorPrimitives.Sum<float>(span);
                                    System.Numerics.Tensors.TensorPrimitives.Divide(span, sum, span);
                                }
                                else
                                {
                                    Kernels.Attention.SoftmaxInPlace(row, n);
                                }
                            }
                        }

                        times[v].Add((ThreadClock.Nanoseconds() - start) / (20.0 * 256));
                    }
                }
            }

            if (print)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| softmax row n={n} | TensorPrimitives {Median(times[0]):F1} ns | fused {Median(times[1]):F1} ns |"));
            }
        }

        return 0;
    }

    /// <summary>Bytes the whole process allocates per call (every thread), after a warm-up, for each model at 1 and 2 threads.</summary>
    private static int Allocations()
    {
        foreach (int threads in new[] { 1, 2 })
        {
            var cases = new List<(string Name, Func<float> Call, IDisposable Owner)>();
            foreach (string model in new[] { "Classifier B16 T64 D128 H4", "GPT B8 T64 D128 H4 L4" })
            {
                var bench = new ModelBenchmarks { Model = model, Threads = threads };
                bench.Setup();
                cases.Add((model + " step", bench.Step, bench));
            }

            var seq2seq = new Seq2SeqBenchmarks { Threads = threads };
            seq2seq.Setup();
            cases.Add(("DateTranslator step", seq2seq.Step, seq2seq));
            var recurrent = new RecurrentSeq2SeqBenchmarks { Threads = threads };
            recurrent.Setup();
            cases.Add(("GRU step", recurrent.Step, recurrent));
            foreach (var (name, call, owner) in cases)
            {
                for (int i = 0; i < 30; i++)
                {
                    call();
                }

                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < 50; i++)
                {
                    call();
                }

                long bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {threads} | {bytes / 50.0:F1} B per call |"));
                owner.Dispose();
            }
        }

        return 0;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
