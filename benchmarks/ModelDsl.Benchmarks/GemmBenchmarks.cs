using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using ModelDsl.Kernels;
using ModelDsl.Threading;

namespace ModelDsl.Benchmarks;

/// <summary>
/// Single-precision GEMM throughput: square sizes and the projections of D=128 and D=256 Transformer
/// layers (rows = B·T = 1024). Shapes are <c>MxNxK</c> with the operand layouts (N = as stored,
/// T = transposed): a linear layer's forward is <c>X·Wᵀ</c> (NT), its input gradient <c>dY·W</c> (NN),
/// its weight gradient <c>dYᵀ·X</c> (TN). The GFLOP/s column is <c>2·M·N·K / mean</c>.
/// <c>dotnet run -c Release --project benchmarks/ModelDsl.Benchmarks -- --filter '*Gemm*' --launchCount 1 --warmupCount 2 --iterationCount 8</c>
/// (the run behind benchmarks/README.md; 2T/1T is only meaningful on an otherwise idle machine).
/// </summary>
[Config(typeof(GflopsConfig))]
public class GemmBenchmarks : IDisposable
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];
    private WorkerPool? _pool;
    private int _m, _n, _k;
    private bool _transposeA, _transposeB;

    /// <summary>Problem shape: <c>MxNxK</c> and the layouts of A and B.</summary>
    [Params(
        "64x64x64 NN", "128x128x128 NN", "256x256x256 NN", "512x512x512 NN", "1024x1024x1024 NN",
        "1024x384x128 NT", "1024x512x128 NT", "1024x128x512 NT", "512x128x1024 TN",
        "1024x768x256 NT", "1024x1024x256 NT", "1024x256x1024 NT", "1024x256x1024 TN")]
    public string Shape { get; set; } = "64x64x64 NN";

    /// <summary>Threads in the pool (1 = calling thread only).</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Allocates operands and the pool.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (_m, _n, _k, _transposeA, _transposeB) = Parse(Shape);
        _a = Random(_m * _k, 1);
        _b = Random(_k * _n, 2);
        _c = new float[_m * _n];
        _pool = Threads > 1 ? new WorkerPool(Threads) : null;
    }

    /// <summary><c>C = op(A)·op(B)</c>.</summary>
    [Benchmark]
    public void Multiply() => Gemm.Multiply(_c, _a, _transposeA, _b, _transposeB, _m, _n, _k, pool: _pool);

    /// <summary>Stops the pool.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _pool?.Dispose();
        _pool = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Parses <c>"MxNxK AB"</c>.</summary>
    internal static (int M, int N, int K, bool TransposeA, bool TransposeB) Parse(string shape)
    {
        var parts = shape.Split(' ');
        var dims = parts[0].Split('x').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return (dims[0], dims[1], dims[2], parts[1][0] == 'T', parts[1][1] == 'T');
    }

    internal static float[] Random(int length, int seed)
    {
        var random = new System.Random(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }
}

/// <summary>
/// Attention-head products through <see cref="Gemm.MultiplyBatched"/>: B·H heads of <c>Q·Kᵀ</c>
/// (<c>T×T×dh</c>) and <c>P·V</c> (<c>T×dh×T</c>), heads interleaved in <c>[B·T, H·dh]</c> rows.
/// </summary>
[Config(typeof(GflopsConfig))]
public class GemmBatchedBenchmarks : IDisposable
{
    private float[] _q = [];
    private float[] _scores = [];
    private WorkerPool? _pool;

    /// <summary>Heads (dh = 128 / heads), T = 64, batch 16: a D=128 layer.</summary>
    [Params(4)]
    public int Heads { get; set; } = 4;

    /// <summary>Threads in the pool.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    private const int Batch = 16, T = 64, D = 128;

    /// <summary>Allocates operands and the pool.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _q = GemmBenchmarks.Random(Batch * T * D, 3);
        _scores = new float[Batch * Heads * T * T];
        _pool = Threads > 1 ? new WorkerPool(Threads) : null;
    }

    /// <summary>Scores <c>Q·Kᵀ</c> for every (batch, head): <c>B·H</c> products of <c>T×T×dh</c>.</summary>
    [Benchmark]
    public void ScoresQKt()
    {
        int dh = D / Heads;
        for (int b = 0; b < Batch; b++)
        {
            var q = _q.AsSpan(b * T * D, T * D);
            Gemm.MultiplyBatched(_scores.AsSpan(b * Heads * T * T), T, T * T, q, D, dh, false, q, D, dh, true,
                Heads, T, T, dh, 1f / MathF.Sqrt(dh), 0f, _pool);
        }
    }

    /// <summary>Stops the pool.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _pool?.Dispose();
        _pool = null;
        GC.SuppressFinalize(this);
    }
}

/// <summary>Adds a GFLOP/s column computed from each case's shape and measured mean.</summary>
public sealed class GflopsConfig : ManualConfig
{
    /// <summary>Default config plus the GFLOP/s column.</summary>
    public GflopsConfig()
    {
        AddColumn(new GflopsColumn());
        AddColumnProvider(DefaultColumnProviders.Instance);
    }

    private sealed class GflopsColumn : IColumn
    {
        public string Id => "GFLOPs";

        public string ColumnName => "GFLOP/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Floating-point operations (2·M·N·K per product) per second, from the mean";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats)
            {
                return "-";
            }

            double flops;
            var shape = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Shape")?.Value as string;
            if (shape is not null)
            {
                var (m, n, k, _, _) = GemmBenchmarks.Parse(shape);
                flops = 2.0 * m * n * k;
            }
            else
            {
                // Batched attention: 16 · 64 · 64 · 128 multiply-adds whatever the head count.
                flops = 2.0 * 16 * 64 * 64 * 128;
            }

            return (flops / stats.Mean).ToString("F1", CultureInfo.InvariantCulture); // ns → GFLOP/s
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public override string ToString() => ColumnName;
    }
}
