using System;
using BenchmarkDotNet.Attributes;
using ModelDsl.Memory;
using ModelDsl.Optim;

namespace ModelDsl.Benchmarks;

/// <summary>
/// One AdamW step over a flat block of one million parameters (parameters, gradients and the two
/// moment blocks in 64-byte aligned memory), vectorized against the same update on the scalar path,
/// plus global-norm clipping of the gradient block.
/// Run: <c>dotnet run -c Release --project benchmarks/ModelDsl.Benchmarks -- --filter *OptimizerBenchmarks* --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class OptimizerBenchmarks : IDisposable
{
    private const int Length = 1 << 20;
    private readonly AdamW _adamW = new(3e-4f);
    private AlignedBlock? _parameters;
    private AlignedBlock? _gradients;
    private AlignedBlock? _state;
    private AlignedBlock? _clipped;

    /// <summary>Allocates and fills the blocks.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _parameters = new AlignedBlock(Length);
        _gradients = new AlignedBlock(Length);
        _state = new AlignedBlock(2L * Length);
        _clipped = new AlignedBlock(Length);
        var random = new System.Random(1);
        Span<float> p = _parameters.Span, g = _gradients.Span;
        for (int i = 0; i < Length; i++)
        {
            p[i] = (float)(random.NextDouble() - 0.5);
            g[i] = (float)(random.NextDouble() - 0.5) * 1e-2f;
        }
    }

    /// <summary>AdamW step, vectorized (Vector512/Vector256 with FMA).</summary>
    [Benchmark]
    public void AdamWStep() => _adamW.Step(_parameters!.Span, _gradients!.Span, _state!.Span, 3e-4f, 10);

    /// <summary>The same update, scalar loop only.</summary>
    [Benchmark(Baseline = true)]
    public void AdamWStepScalar() => _adamW.StepScalar(_parameters!.Span, _gradients!.Span, _state!.Span, 3e-4f, 10);

    /// <summary>Global-norm clipping (norm in double, then scaling), on a copy so every call clips.</summary>
    [Benchmark]
    public float ClipByGlobalNorm()
    {
        _gradients!.Span.CopyTo(_clipped!.Span);
        return GradientClipping.ClipByGlobalNorm(_clipped.Span, 1e-3f);
    }

    /// <summary>Frees the blocks.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _parameters?.Dispose();
        _gradients?.Dispose();
        _state?.Dispose();
        _clipped?.Dispose();
        GC.SuppressFinalize(this);
    }
}
