using System;
using BenchmarkDotNet.Attributes;
using ModelDsl.Decoding;
using ModelDsl.Optim;

namespace ModelDsl.Benchmarks;

#pragma warning disable CS1591 // Model declarations: the members are the DSL, documented in docs/dsl.md.

/// <summary>
/// The DateTranslator example's Transformer encoder-decoder (examples/DateTranslator/DateModel.cs): vocabulary 48,
/// D 64, 4 heads, FFN 128, 2 post-norm encoder and 2 post-norm decoder layers, dropout 0, source 32, target 11.
/// </summary>
[Model(MaxBatch = 64)]
public partial class DateSeq2Seq
{
    public const int Vocab = 48, D = 64, SourceLength = 32, TargetLength = 11;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [SinusoidalPositions] public partial Positions SourcePositions { get; }
    [TransformerEncoder(Layers = 2, Heads = 4, FeedForward = 2 * D, Mask = Masks.KeyPadding, Dropout = 0f)] public partial EncoderStack Encoder { get; }
    [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [LearnedPositions(TargetLength)] public partial Positions TargetPositions { get; }
    [TransformerDecoder(Layers = 2, Heads = 4, FeedForward = 2 * D, Memory = nameof(Encoder), Mask = Masks.Causal, Dropout = 0f)] public partial DecoderStack Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

#pragma warning restore CS1591

/// <summary>
/// The DateTranslator encoder-decoder on a batch of 64 pairs (sources of 20-29 tokens, targets of 11: the start token
/// and ten characters in, the ten characters and the end token as labels): one training step with Adam, one forward
/// pass with loss, greedy decoding of the 64 sources (encoder once, then 11 cached decoder steps) and beam search of
/// width 4 for 16 of them. The PyTorch peer is <c>benchmarks/peers/torch_seq2seq_models.py</c>.
/// <c>dotnet run -c Release --project benchmarks/ModelDsl.Benchmarks -- --filter *Seq2SeqBenchmarks*</c>
/// </summary>
[MemoryDiagnoser]
public class Seq2SeqBenchmarks : IDisposable
{
    /// <summary>Pairs in the training batch and sources decoded greedily.</summary>
    public const int Batch = 64;

    /// <summary>Sources decoded by beam search.</summary>
    public const int BeamSources = 16;

    /// <summary>Beam width.</summary>
    public const int BeamWidth = 4;

    private const int Bos = 1, Eos = 2, FirstCharacter = 3;

    private DateSeq2Seq.Trainer? _trainer;
    private DateSeq2Seq.StepDecoder? _decoder;
    private readonly DateSeq2Seq.Batch _batch = new();
    private readonly DateSeq2Seq.Batch _beamBatch = new();
    private GreedySearch? _greedy;
    private BeamSearch? _beam;

    /// <summary>Worker threads of the trainer and of the decoder.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>
    /// Builds the model (seed 7, as the example), its trainer, a decoder for 64 rows and the two searches, and fills
    /// the batches with fixed random pairs; checks that both searches run all 11 steps, so every measured decode
    /// does the same work as the PyTorch peer's.
    /// </summary>
    [GlobalSetup]
    public void Setup()
    {
        var model = new DateSeq2Seq(seed: 7);
        _trainer = model.CreateTrainer(new Adam(1e-3f), Threads);
        _decoder = model.CreateDecoder(maxRows: Batch, Threads);
        _greedy = new GreedySearch(Batch, DateSeq2Seq.TargetLength, DateSeq2Seq.Vocab);
        _beam = new BeamSearch(BeamSources, BeamWidth, DateSeq2Seq.TargetLength, DateSeq2Seq.Vocab);

        var random = new System.Random(1);
        var source = new int[DateSeq2Seq.SourceLength];
        var input = new int[DateSeq2Seq.TargetLength];
        var labels = new int[DateSeq2Seq.TargetLength];
        int sourceTokens = 0;
        for (int row = 0; row < Batch; row++)
        {
            int length = random.Next(20, 30);
            for (int i = 0; i < length; i++)
            {
                source[i] = random.Next(FirstCharacter, DateSeq2Seq.Vocab);
            }

            input[0] = Bos;
            for (int i = 1; i < DateSeq2Seq.TargetLength; i++)
            {
                input[i] = random.Next(FirstCharacter, DateSeq2Seq.Vocab);
                labels[i - 1] = input[i];
            }

            labels[DateSeq2Seq.TargetLength - 1] = Eos;
            _batch.SetSource(row, source.AsSpan(0, length));
            _batch.SetTarget(row, input);
            _batch.SetLabels(row, labels);
            if (row < BeamSources)
            {
                _beamBatch.SetSource(row, source.AsSpan(0, length));
                _beamBatch.SetTarget(row, input);
                _beamBatch.SetLabels(row, labels);
            }

            sourceTokens += length;
        }

        _batch.Count = Batch;
        _beamBatch.Count = BeamSources;
        Console.WriteLine($"// Seq2Seq setup: {Batch} sources, {sourceTokens} source tokens (mean {sourceTokens / (double)Batch:F1})");

        Greedy();
        Beam();
        if (_greedy.Steps != DateSeq2Seq.TargetLength || _beam.Steps != DateSeq2Seq.TargetLength)
        {
            throw new InvalidOperationException(
                $"Greedy search took {_greedy.Steps} steps and beam search {_beam.Steps}; the benchmark needs {DateSeq2Seq.TargetLength} for both.");
        }
    }

    /// <summary>Forward, loss, backward and an Adam update over the 64 pairs.</summary>
    [Benchmark]
    public float Step() => _trainer!.Step(_batch);

    /// <summary>Forward and loss only over the 64 pairs.</summary>
    [Benchmark]
    public float Evaluate() => _trainer!.Evaluate(_batch);

    /// <summary>Encodes the 64 sources and decodes them greedily (11 steps, self-attention keys and values cached).</summary>
    [Benchmark]
    public int Greedy()
    {
        _decoder!.Begin(_batch);
        _greedy!.Run(_decoder, Batch, Bos, Eos, DateSeq2Seq.TargetLength);
        return _greedy.Steps;
    }

    /// <summary>Encodes 16 sources and runs beam search of width 4 over them (64 rows, 11 steps).</summary>
    [Benchmark]
    public int Beam()
    {
        _decoder!.Begin(_beamBatch, BeamWidth);
        _beam!.Run(_decoder, BeamSources, BeamWidth, Bos, Eos, DateSeq2Seq.TargetLength);
        return _beam.Steps;
    }

    /// <summary>Disposes the trainer and the decoder.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _decoder?.Dispose();
        _trainer?.Dispose();
        GC.SuppressFinalize(this);
    }
}
