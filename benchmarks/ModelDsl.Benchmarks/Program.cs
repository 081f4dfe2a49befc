using BenchmarkDotNet.Running;

namespace ModelDsl.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project benchmarks/ModelDsl.Benchmarks -- --filter *Gemm*</c>.</summary>
public static class Program
{
    /// <summary>
    /// Runs the benchmarks selected on the command line, or with <c>--profile [steps] [threads]</c> the per-kernel-family
    /// profile of the model benchmarks (<see cref="KernelProfileRunner"/>).
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--profile")
        {
            // Before any kernel runs: KernelProfile reads the switch once, into a static readonly field.
            System.AppContext.SetSwitch(ModelDsl.Kernels.KernelProfile.SwitchName, true);
            return KernelProfileRunner.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "--ab")
        {
            return AbRunner.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
