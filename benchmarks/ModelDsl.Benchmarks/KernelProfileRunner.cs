using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using ModelDsl.Kernels;

namespace ModelDsl.Benchmarks;

/// <summary>
/// The per-kernel-family profile of every benchmark model's training step and forward pass (issue 13):
/// <c>dotnet bin/Release/net10.0/ModelDsl.Benchmarks.dll --profile [steps] [threads]</c>. Turns on
/// <see cref="KernelProfile"/> (off in every other run), warms each model up, then times <c>steps</c> training steps
/// and <c>steps</c> forward passes and prints one markdown table per model: milliseconds per call by family, and
/// what no kernel hook covered ("untimed": clearing gradient buffers, the trainer's own code, pool hand-offs).
/// </summary>
internal static unsafe class KernelProfileRunner
{
    private static readonly KernelFamily[] Families = Enum.GetValues<KernelFamily>();
    private static bool s_cpu;

    private static double NowMilliseconds() => s_cpu ? ThreadClock.Nanoseconds() / 1e6 : Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;

    /// <summary>Runs the profile; returns the process exit code.</summary>
    /// <param name="args">Optional: steps to time (default 20), threads (default 1; "1,2" runs both), and the clock: "wall"
    /// (default) or "cpu", the model thread's CPU time (<see cref="ThreadClock"/>), for a loaded machine.</param>
    public static int Run(string[] args)
    {
        if (!KernelProfile.Enabled)
        {
            Console.Error.WriteLine($"--profile needs the AppContext switch {KernelProfile.SwitchName} set before any kernel runs.");
            return 2;
        }

        int steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        string threadList = args.Length > 1 ? args[1] : "1";
        s_cpu = args.Length > 2 && args[2] == "cpu";
        if (s_cpu)
        {
            KernelProfile.UseClock(&ThreadClock.Nanoseconds, 1_000_000_000L);
        }

        Console.WriteLine($"Vector512.IsHardwareAccelerated = {Vector512.IsHardwareAccelerated}, " +
            $"Vector256.IsHardwareAccelerated = {Vector256.IsHardwareAccelerated}, {steps} timed steps per case, " +
            (s_cpu ? "clock: the model thread's CPU time" : "clock: wall"));
        foreach (string part in threadList.Split(','))
        {
            int threads = int.Parse(part, CultureInfo.InvariantCulture);
            foreach (string model in new[] { "Classifier B16 T32 D64 H4", "Classifier B16 T64 D128 H4", "Classifier B8 T128 D256 H8", "GPT B8 T64 D128 H4 L4" })
            {
                using var bench = new ModelBenchmarks { Model = model, Threads = threads };
                bench.Setup();
                Profile($"{model}, {threads} thread(s)", steps, () => bench.Step(), () => bench.Forward());
            }

            using (var seq2seq = new Seq2SeqBenchmarks { Threads = threads })
            {
                seq2seq.Setup();
                Profile($"DateTranslator B64, {threads} thread(s)", steps, () => seq2seq.Step(), () => seq2seq.Evaluate());
            }

            using var recurrent = new RecurrentSeq2SeqBenchmarks { Threads = threads };
            recurrent.Setup();
            Profile($"GRU + Bahdanau B32, {threads} thread(s)", steps, () => recurrent.Step(), () => recurrent.Forward());
        }

        return 0;
    }

    private static void Profile(string name, int steps, Func<float> step, Func<float> forward)
    {
        var (stepTotal, stepFamilies) = Measure(steps, step);
        var (forwardTotal, forwardFamilies) = Measure(steps, forward);
        Console.WriteLine();
        Console.WriteLine($"### {name}");
        Console.WriteLine();
        Console.WriteLine("| family | step ms | step % | forward ms | forward % |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        double stepCovered = 0, forwardCovered = 0;
        for (int f = 0; f < Families.Length; f++)
        {
            stepCovered += stepFamilies[f];
            forwardCovered += forwardFamilies[f];
            if (stepFamilies[f] > 0 || forwardFamilies[f] > 0)
            {
                Row(Families[f].ToString(), stepFamilies[f], stepTotal, forwardFamilies[f], forwardTotal);
            }
        }

        Row("untimed", stepTotal - stepCovered, stepTotal, forwardTotal - forwardCovered, forwardTotal);
        Row("**total**", stepTotal, stepTotal, forwardTotal, forwardTotal);
    }

    private static (double Total, double[] Families) Measure(int steps, Func<float> call)
    {
        for (int i = 0; i < Math.Max(5, steps / 2); i++)
        {
            call();
        }

        KernelProfile.Reset();
        double start = NowMilliseconds();
        for (int i = 0; i < steps; i++)
        {
            call();
        }

        double total = (NowMilliseconds() - start) / steps;
        var families = new List<double>();
        foreach (KernelFamily family in Families)
        {
            families.Add(KernelProfile.Elapsed(family).TotalMilliseconds / steps);
        }

        return (total, families.ToArray());
    }

    private static void Row(string family, double step, double stepTotal, double forward, double forwardTotal) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {family} | {step:F3} | {100 * step / stepTotal:F1} | {forward:F3} | {100 * forward / forwardTotal:F1} |"));
}
