using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;

namespace ModelDsl.Benchmarks;

/// <summary>
/// Back-to-back comparison of two variants in one process, for a loaded machine where only such comparisons mean
/// anything: <c>ModelDsl.Benchmarks.dll --ab attention</c>. Alternates the variants over rounds and prints each one's
/// median time per call.
/// </summary>
internal static class AbRunner
{
    /// <summary>Runs the comparison named by <paramref name="args"/>[0]; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        string what = args.Length > 0 ? args[0] : "attention";
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
                            long start = Stopwatch.GetTimestamp();
                            for (int i = 0; i < 5; i++)
                            {
                                variants[v].Bench.ForwardBackward();
                            }

                            times[v].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds / 5);
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

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
