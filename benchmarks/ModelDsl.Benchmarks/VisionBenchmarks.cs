using System;
using BenchmarkDotNet.Attributes;
using ModelDsl.Optim;

namespace ModelDsl.Benchmarks;

#pragma warning disable CS1591 // Model declarations: the members are the DSL, documented in docs/vision.md.

/// <summary>CNN B32 3x32x32: Conv2d(16, 3, p1), ReLU, MaxPool2d(2), Conv2d(32, 3, p1), ReLU, MaxPool2d(2), Flatten, Dense(10).</summary>
[Model(MaxBatch = 32)]
public partial class VisionCnnBench
{
    [Input(Channels = 3, Height = 32, Width = 32)] public partial ImageInput Pixels { get; }
    [Conv2d(16, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
    [Activation(Activation.Relu)] public partial ActivationLayer Relu1 { get; }
    [MaxPool2d(2)] public partial Pool2dLayer Pool1 { get; }
    [Conv2d(32, 3, Padding = 1)] public partial Conv2dLayer Conv2 { get; }
    [Activation(Activation.Relu)] public partial ActivationLayer Relu2 { get; }
    [MaxPool2d(2)] public partial Pool2dLayer Pool2 { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(10)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>ViT B32 3x32x32: 64 patches of 4x4 to D64 plus the class token, 2 pre-norm layers (4 heads, FFN 128), the class token to Dense(10).</summary>
[Model(MaxBatch = 32)]
public partial class VisionVitBench
{
    [Input(Channels = 3, Height = 32, Width = 32)] public partial ImageInput Pixels { get; }
    [PatchEmbedding(4, 64)] public partial PatchEmbeddingLayer Patches { get; }
    [TransformerEncoder(Layers = 2, Heads = 4, FeedForward = 128, NormFirst = true, Dropout = 0f)] public partial EncoderStack Encoder { get; }
    [FirstTokenPool] public partial Pool Cls { get; }
    [Dense(10)] [CrossEntropyLoss] public partial Dense Head { get; }
}

#pragma warning restore CS1591

/// <summary>
/// One training step (forward, loss, backward, Adam update) and one forward pass of a small CNN and a small ViT on 32x32 RGB
/// images, batch 32, on one and two threads; the PyTorch peer is <c>benchmarks/peers/torch_vision_models.py</c>.
/// <c>dotnet run -c Release --project benchmarks/ModelDsl.Benchmarks -- --filter *VisionBenchmarks*</c>
/// </summary>
[MemoryDiagnoser]
public class VisionBenchmarks : IDisposable
{
    private const int Batch = 32, ImageLength = 3 * 32 * 32;
    private Func<float>? _step;
    private Func<float>? _forward;
    private IDisposable? _trainer;

    /// <summary>Which model.</summary>
    [Params("CNN B32 3x32x32", "ViT B32 3x32x32 P4 D64 L2")]
    public string Model { get; set; } = "CNN B32 3x32x32";

    /// <summary>Threads of the trainer's pool.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Builds the model, its trainer and a full batch of fixed random images.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var pixels = new float[ImageLength];
        if (Model.StartsWith("CNN", StringComparison.Ordinal))
        {
            var trainer = new VisionCnnBench(seed: 1).CreateTrainer(new Adam(1e-4f), Threads);
            var batch = new VisionCnnBench.Batch();
            for (int b = 0; b < Batch; b++)
            {
                Fill(random, pixels);
                batch.SetPixels(b, pixels);
                batch.SetLabel(b, b % 10);
            }

            batch.Count = Batch;
            (_trainer, _step, _forward) = (trainer, () => trainer.Step(batch), () => trainer.Evaluate(batch));
        }
        else
        {
            var trainer = new VisionVitBench(seed: 1).CreateTrainer(new Adam(1e-4f), Threads);
            var batch = new VisionVitBench.Batch();
            for (int b = 0; b < Batch; b++)
            {
                Fill(random, pixels);
                batch.SetPixels(b, pixels);
                batch.SetLabel(b, b % 10);
            }

            batch.Count = Batch;
            (_trainer, _step, _forward) = (trainer, () => trainer.Step(batch), () => trainer.Evaluate(batch));
        }
    }

    /// <summary>Forward, loss, backward and an Adam update.</summary>
    [Benchmark]
    public float Step() => _step!();

    /// <summary>Forward and loss only.</summary>
    [Benchmark]
    public float Forward() => _forward!();

    /// <summary>Disposes the trainer.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _trainer?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static void Fill(Random random, float[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }
    }
}
