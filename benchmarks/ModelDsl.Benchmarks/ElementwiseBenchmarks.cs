using System;
using BenchmarkDotNet.Attributes;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;

namespace ModelDsl.Benchmarks;

/// <summary>
/// Element-wise and loss kernels at the sizes of the sentiment example (batch 32, length 64, D 64,
/// feed-forward 256, 4 heads): GELU over the FFN hidden activations, attention softmax rows, and a
/// 512 × 1000 cross-entropy. The textbook reference loops are the baseline for GELU.
/// </summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private const int GeluLength = 32 * 64 * 256;
    private const int Width = 64;
    private const int CeRows = 512, CeClasses = 1000;

    private float[] _x = Array.Empty<float>();
    private float[] _y = Array.Empty<float>();
    private float[] _d = Array.Empty<float>();
    private float[] _logits = Array.Empty<float>();
    private float[] _logProbs = Array.Empty<float>();
    private float[] _dLogits = Array.Empty<float>();
    private int[] _targets = Array.Empty<int>();

    /// <summary>Fills the inputs with a fixed pattern.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new System.Random(1);
        _x = new float[GeluLength];
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = (float)(random.NextDouble() * 8 - 4);
        }

        _y = new float[GeluLength];
        _d = new float[GeluLength];
        _logits = new float[CeRows * CeClasses];
        for (int i = 0; i < _logits.Length; i++)
        {
            _logits[i] = (float)(random.NextDouble() * 10 - 5);
        }

        _logProbs = new float[_logits.Length];
        _dLogits = new float[_logits.Length];
        _targets = new int[CeRows];
        for (int r = 0; r < CeRows; r++)
        {
            _targets[r] = random.Next(CeClasses);
        }
    }

    /// <summary>Textbook GELU (erf series) in float: the baseline.</summary>
    [Benchmark(Baseline = true)]
    public void GeluReferenceForward() => ActivationsReference.Forward<float>(_y, _x, ActivationKind.Gelu, 0f);

    /// <summary>Exact GELU, vectorized in double.</summary>
    [Benchmark]
    public void GeluForward() => Activations.Forward(_y, _x, ActivationKind.Gelu);

    /// <summary>Exact GELU backward.</summary>
    [Benchmark]
    public void GeluBackward() => Activations.Backward(_d, _y, _x, ActivationKind.Gelu);

    /// <summary>Tanh-approximated GELU.</summary>
    [Benchmark]
    public void GeluTanhForward() => Activations.Forward(_y, _x, ActivationKind.GeluTanh);

    /// <summary>Softmax over 1024 rows of 64.</summary>
    [Benchmark]
    public void Softmax1024x64Forward() => SoftmaxForward(1024);

    /// <summary>Softmax backward over 1024 rows of 64.</summary>
    [Benchmark]
    public void Softmax1024x64Backward() => SoftmaxBackward(1024);

    /// <summary>Softmax over 16·4·64 = 4096 rows of 64 (batch 16 × 4 heads × 64 queries).</summary>
    [Benchmark]
    public void Softmax4096x64Forward() => SoftmaxForward(4096);

    /// <summary>Softmax backward over 4096 rows of 64.</summary>
    [Benchmark]
    public void Softmax4096x64Backward() => SoftmaxBackward(4096);

    /// <summary>Cross-entropy [512 × 1000], forward then backward, label smoothing 0.1.</summary>
    [Benchmark]
    public float CrossEntropyForwardBackward()
    {
        float loss = CrossEntropy.Forward(_logProbs, _logits, _targets, CeRows, CeClasses, 0.1f);
        CrossEntropy.Backward(_dLogits, 1f, _logProbs, _targets, CeRows, CeClasses, 0.1f);
        return loss;
    }

    private void SoftmaxForward(int rows) =>
        Softmax.Forward(_y.AsSpan(0, rows * Width), _x.AsSpan(0, rows * Width), rows, Width);

    private void SoftmaxBackward(int rows) =>
        Softmax.Backward(_d.AsSpan(0, rows * Width), _x.AsSpan(0, rows * Width), _y.AsSpan(0, rows * Width), rows, Width);
}
