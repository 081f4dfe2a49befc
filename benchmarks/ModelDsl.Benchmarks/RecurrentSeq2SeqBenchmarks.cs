using System;
using BenchmarkDotNet.Attributes;
using ModelDsl.Optim;

namespace ModelDsl.Benchmarks;

#pragma warning disable CS1591 // Model declarations: the members are the DSL, documented in docs/dsl.md.

/// <summary>
/// The issue-4 RNN seq2seq configuration, as the PyTorch peer <c>benchmarks/peers/torch_seq2seq.py</c> builds it:
/// vocabulary 40, embeddings 64 (source and target tables), a one-layer GRU encoder with hidden 128, a GRU decoder with
/// hidden 128 started from the encoder's final state, Bahdanau attention of width 128, output Dense over [s; c].
/// </summary>
[Model(MaxBatch = 32)]
public partial class GruBahdanauBenchmarkModel
{
    public const int Vocab = 40, E = 64, H = 128, SourceLength = 20, TargetLength = 12;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(H)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(H, Memory = nameof(Encoder), Attention = RecurrentAttention.Bahdanau)] public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

#pragma warning restore CS1591

/// <summary>
/// One training step (forward, cross-entropy, backward through time, Adam) of the GRU + Bahdanau encoder-decoder at
/// batch 32, source 20, target 12 (full lengths), 1 thread; the PyTorch peer is <c>benchmarks/peers/torch_seq2seq.py</c>.
/// <c>dotnet run -c Release --project benchmarks/ModelDsl.Benchmarks -- --filter *RecurrentSeq2Seq*</c>
/// </summary>
[MemoryDiagnoser]
public class RecurrentSeq2SeqBenchmarks : IDisposable
{
    private GruBahdanauBenchmarkModel.Trainer? _trainer;
    private GruBahdanauBenchmarkModel.Batch? _batch;

    /// <summary>Threads of the trainer's pool.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Builds the model, its trainer and a full batch of fixed random tokens.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _batch = new GruBahdanauBenchmarkModel.Batch();
        var source = new int[GruBahdanauBenchmarkModel.SourceLength];
        var target = new int[GruBahdanauBenchmarkModel.TargetLength];
        var labels = new int[GruBahdanauBenchmarkModel.TargetLength];
        for (int b = 0; b < 32; b++)
        {
            for (int i = 0; i < source.Length; i++)
            {
                source[i] = random.Next(1, GruBahdanauBenchmarkModel.Vocab);
            }

            for (int i = 0; i < labels.Length; i++)
            {
                labels[i] = random.Next(1, GruBahdanauBenchmarkModel.Vocab);
            }

            target[0] = 0; // start token, then the labels shifted right (teacher forcing)
            Array.Copy(labels, 0, target, 1, labels.Length - 1);
            _batch.SetSource(b, source);
            _batch.SetTarget(b, target);
            _batch.SetLabels(b, labels);
        }

        _batch.Count = 32;
        _trainer = new GruBahdanauBenchmarkModel(seed: 1).CreateTrainer(new Adam(1e-3f), Threads);
        _trainer.Step(_batch);
    }

    /// <summary>Forward, loss, backward and the Adam update.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Step() => _trainer!.Step(_batch!);

    /// <summary>Forward and loss only.</summary>
    /// <returns>The loss.</returns>
    [Benchmark]
    public float Forward() => _trainer!.Evaluate(_batch!);

    /// <summary>Frees the trainer.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _trainer?.Dispose();
        _trainer = null;
        GC.SuppressFinalize(this);
    }
}
