using BenchmarkDotNet.Attributes;
using ModelDsl.Kernels;
using ModelDsl.Threading;

namespace ModelDsl.Benchmarks;

/// <summary>
/// Multi-head scaled dot-product attention, forward and forward+backward, on two encoder-sized shapes.
/// FLOPs per call: forward 4·B·H·T²·dh (QKᵀ and PV), backward twice that; causal does about half.
/// Run: <c>dotnet run -c Release --project benchmarks/ModelDsl.Benchmarks -- --filter *AttentionBenchmarks* --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class AttentionBenchmarks
{
    private float[] _q = [], _k = [], _v = [], _output = [], _probabilities = [], _dOutput = [], _dQ = [], _dK = [], _dV = [], _scratch = [];
    private WorkerPool? _pool;
    private int _batch, _length, _heads;
    private const int HeadDim = 32;

    /// <summary>Batch, sequence length and heads; dh is 32.</summary>
    [Params("B16 T64 H4", "B8 T128 H8")]
    public string Shape { get; set; } = "B16 T64 H4";

    /// <summary>Causal mask, or none.</summary>
    [Params(false, true)]
    public bool Causal { get; set; }

    /// <summary>Threads of the worker pool.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>The blocked (GEMM-tiled) path, or the per-query row path it replaced (issue 13's before/after).</summary>
    [Params(true, false)]
    public bool Blocked { get; set; } = true;

    /// <summary>Allocates and fills the buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (_batch, _length, _heads) = Shape == "B16 T64 H4" ? (16, 64, 4) : (8, 128, 8);
        int tokens = _batch * _length * _heads * HeadDim;
        var random = new System.Random(1);
        float[] Fill(int n)
        {
            var values = new float[n];
            for (int i = 0; i < n; i++)
            {
                values[i] = (float)(random.NextDouble() * 2 - 1);
            }

            return values;
        }

        _q = Fill(tokens);
        _k = Fill(tokens);
        _v = Fill(tokens);
        _dOutput = Fill(tokens);
        _output = new float[tokens];
        _dQ = new float[tokens];
        _dK = new float[tokens];
        _dV = new float[tokens];
        _probabilities = new float[_batch * _heads * _length * _length];
        _pool = new WorkerPool(Threads);
        Attention.BlockedPathEnabled = Blocked;
        _scratch = new float[Attention.ScratchLength(_length, _length, Threads)];
    }

    /// <summary>Stops the pool's threads.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        Attention.BlockedPathEnabled = true;
        _pool?.Dispose();
    }

    /// <summary>Forward only.</summary>
    [Benchmark]
    public void Forward()
    {
        var mask = Causal ? AttentionMask.Causal() : AttentionMask.None;
        Attention.Forward(_output, _probabilities, _q, _k, _v, _batch, _length, _length, _heads, HeadDim, mask, Attention.DefaultScale(HeadDim), _pool);
    }

    /// <summary>Forward then backward (gradients accumulate across iterations; their values do not matter for timing).</summary>
    [Benchmark]
    public void ForwardBackward()
    {
        var mask = Causal ? AttentionMask.Causal() : AttentionMask.None;
        float scale = Attention.DefaultScale(HeadDim);
        Attention.Forward(_output, _probabilities, _q, _k, _v, _batch, _length, _length, _heads, HeadDim, mask, scale, _pool);
        Attention.Backward(_dQ, _dK, _dV, _dOutput, _q, _k, _v, _probabilities, _batch, _length, _length, _heads, HeadDim, mask, scale, _scratch, _pool);
    }
}
