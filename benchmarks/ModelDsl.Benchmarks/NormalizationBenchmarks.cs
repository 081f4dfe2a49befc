using System;
using BenchmarkDotNet.Attributes;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Threading;

namespace ModelDsl.Benchmarks;

/// <summary>
/// LayerNorm forward and backward over <c>[1024 x width]</c>: the tuned kernel on one thread and on a
/// two-thread pool, against the textbook reference in float.
/// Run: <c>dotnet run -c Release --project benchmarks/ModelDsl.Benchmarks -- --filter *Normalization*</c>.
/// </summary>
[MemoryDiagnoser]
public class NormalizationBenchmarks : IDisposable
{
    private const int Rows = 1024;

    private float[] _x = [], _w = [], _b = [], _y = [], _mean = [], _rstd = [];
    private float[] _dy = [], _dx = [], _dw = [], _db = [];
    private WorkerPool? _pool;

    /// <summary>The normalized width.</summary>
    [Params(128, 256, 768)]
    public int Width { get; set; }

    /// <summary>Allocates and fills the buffers for the current width.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new System.Random(1);
        _x = Fill(Rows * Width, random);
        _w = Fill(Width, random);
        _b = Fill(Width, random);
        _dy = Fill(Rows * Width, random);
        _y = new float[Rows * Width];
        _dx = new float[Rows * Width];
        _dw = new float[Width];
        _db = new float[Width];
        _mean = new float[Rows];
        _rstd = new float[Rows];
        _pool = new WorkerPool(2);
        LayerNorm.Forward(_y, _mean, _rstd, _x, _w, _b, Rows, Width);
    }

    /// <summary>Stops the pool's threads.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _pool?.Dispose();
        _pool = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Textbook forward loops, float.</summary>
    [Benchmark]
    public void ForwardReference() => LayerNormReference.Forward<float>(_y, _mean, _rstd, _x, _w, _b, Rows, Width);

    /// <summary>Tuned forward on the calling thread.</summary>
    [Benchmark]
    public void Forward() => LayerNorm.Forward(_y, _mean, _rstd, _x, _w, _b, Rows, Width);

    /// <summary>Tuned forward on a two-thread pool.</summary>
    [Benchmark]
    public void ForwardTwoThreads() => LayerNorm.Forward(_y, _mean, _rstd, _x, _w, _b, Rows, Width, pool: _pool);

    /// <summary>Textbook backward loops, float.</summary>
    [Benchmark]
    public void BackwardReference() => LayerNormReference.Backward<float>(_dx, _dw, _db, _dy, _x, _w, _mean, _rstd, Rows, Width);

    /// <summary>Tuned backward on the calling thread.</summary>
    [Benchmark]
    public void Backward() => LayerNorm.Backward(_dx, _dw, _db, _dy, _x, _w, _mean, _rstd, Rows, Width);

    /// <summary>Tuned backward on a two-thread pool.</summary>
    [Benchmark]
    public void BackwardTwoThreads() => LayerNorm.Backward(_dx, _dw, _db, _dy, _x, _w, _mean, _rstd, Rows, Width, _pool);

    private static float[] Fill(int length, System.Random random)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }
}
