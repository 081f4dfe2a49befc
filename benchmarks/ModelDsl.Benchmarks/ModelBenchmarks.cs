using System;
using BenchmarkDotNet.Attributes;
using ModelDsl.Optim;

namespace ModelDsl.Benchmarks;

#pragma warning disable CS1591 // Model declarations: the members are the DSL, documented in docs/dsl.md.

/// <summary>Transformer classifier B16 T32 D64 H4 (2 post-norm layers, FFN 4·D, vocab 1000, key padding, mean pool).</summary>
[Model(MaxBatch = 16)]
public partial class ClassifierSmall
{
    public const int Vocab = 1000, D = 64, Length = 32;
    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [SinusoidalPositions] public partial Positions Positions { get; }
    [TransformerEncoder(Layers = 2, Heads = 4, FeedForward = 4 * D, Mask = Masks.KeyPadding, Dropout = 0f)] public partial EncoderStack Encoder { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>Transformer classifier B16 T64 D128 H4.</summary>
[Model(MaxBatch = 16)]
public partial class ClassifierMedium
{
    public const int Vocab = 1000, D = 128, Length = 64;
    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [SinusoidalPositions] public partial Positions Positions { get; }
    [TransformerEncoder(Layers = 2, Heads = 4, FeedForward = 4 * D, Mask = Masks.KeyPadding, Dropout = 0f)] public partial EncoderStack Encoder { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>Transformer classifier B8 T128 D256 H8.</summary>
[Model(MaxBatch = 8)]
public partial class ClassifierLarge
{
    public const int Vocab = 1000, D = 256, Length = 128;
    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [SinusoidalPositions] public partial Positions Positions { get; }
    [TransformerEncoder(Layers = 2, Heads = 8, FeedForward = 4 * D, Mask = Masks.KeyPadding, Dropout = 0f)] public partial EncoderStack Encoder { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>GPT-like: vocab 256, D128, H4, 4 pre-norm GELU layers, T64, B8, tied head.</summary>
[Model(MaxBatch = 8)]
public partial class GptLike
{
    public const int Vocab = 256, D = 128, Length = 64;
    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [LearnedPositions(Length)] public partial Positions Positions { get; }
    [TransformerDecoder(Layers = 4, Heads = 4, FeedForward = 4 * D, NormFirst = true, Activation = Activation.Gelu, Dropout = 0f)] public partial DecoderStack Blocks { get; }
    [Dense(Vocab, TiedTo = nameof(Tokens), Bias = false)] [CrossEntropyLoss] public partial Dense Head { get; }
}

#pragma warning restore CS1591

/// <summary>
/// One training step (forward, loss, backward, Adam update) and one forward pass of the issue-3 models, on
/// one and two threads; the PyTorch peer is <c>benchmarks/peers/torch_models.py</c>.
/// <c>dotnet run -c Release --project benchmarks/ModelDsl.Benchmarks -- --filter *ModelBenchmarks*</c>
/// </summary>
[MemoryDiagnoser]
public class ModelBenchmarks : IDisposable
{
    private Func<float>? _step;
    private Func<float>? _forward;
    private IDisposable? _trainer;

    /// <summary>Which model.</summary>
    [Params("Classifier B16 T32 D64 H4", "Classifier B16 T64 D128 H4", "Classifier B8 T128 D256 H8", "GPT B8 T64 D128 H4 L4")]
    public string Model { get; set; } = "Classifier B16 T32 D64 H4";

    /// <summary>Threads of the trainer's pool.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Builds the model, its trainer and a full batch of fixed random tokens.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new System.Random(1);
        switch (Model)
        {
            case "Classifier B16 T32 D64 H4":
            {
                var trainer = new ClassifierSmall(seed: 1).CreateTrainer(new Adam(1e-4f), Threads);
                var batch = new ClassifierSmall.Batch();
                var ids = new int[ClassifierSmall.Length];
                for (int b = 0; b < 16; b++)
                {
                    Fill(random, ids, ClassifierSmall.Vocab);
                    batch.SetText(b, ids);
                    batch.SetLabel(b, b % 2);
                }

                batch.Count = 16;
                (_trainer, _step, _forward) = (trainer, () => trainer.Step(batch), () => trainer.Evaluate(batch));
                break;
            }

            case "Classifier B16 T64 D128 H4":
            {
                var trainer = new ClassifierMedium(seed: 1).CreateTrainer(new Adam(1e-4f), Threads);
                var batch = new ClassifierMedium.Batch();
                var ids = new int[ClassifierMedium.Length];
                for (int b = 0; b < 16; b++)
                {
                    Fill(random, ids, ClassifierMedium.Vocab);
                    batch.SetText(b, ids);
                    batch.SetLabel(b, b % 2);
                }

                batch.Count = 16;
                (_trainer, _step, _forward) = (trainer, () => trainer.Step(batch), () => trainer.Evaluate(batch));
                break;
            }

            case "Classifier B8 T128 D256 H8":
            {
                var trainer = new ClassifierLarge(seed: 1).CreateTrainer(new Adam(1e-4f), Threads);
                var batch = new ClassifierLarge.Batch();
                var ids = new int[ClassifierLarge.Length];
                for (int b = 0; b < 8; b++)
                {
                    Fill(random, ids, ClassifierLarge.Vocab);
                    batch.SetText(b, ids);
                    batch.SetLabel(b, b % 2);
                }

                batch.Count = 8;
                (_trainer, _step, _forward) = (trainer, () => trainer.Step(batch), () => trainer.Evaluate(batch));
                break;
            }

            default:
            {
                var trainer = new GptLike(seed: 1).CreateTrainer(new Adam(1e-4f), Threads);
                var batch = new GptLike.Batch();
                var ids = new int[GptLike.Length];
                var next = new int[GptLike.Length];
                for (int b = 0; b < 8; b++)
                {
                    Fill(random, ids, GptLike.Vocab);
                    Fill(random, next, GptLike.Vocab);
                    batch.SetText(b, ids);
                    batch.SetLabels(b, next);
                }

                batch.Count = 8;
                (_trainer, _step, _forward) = (trainer, () => trainer.Step(batch), () => trainer.Evaluate(batch));
                break;
            }
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

    private static void Fill(System.Random random, int[] ids, int vocab)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = random.Next(vocab);
        }
    }
}
