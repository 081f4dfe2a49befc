using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelDsl.Optim;

namespace ModelDsl.Parity;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>
/// A 2-layer LSTM encoder (7) whose last layer's final state and final cell start a 7-wide LSTM decoder with Luong general
/// attention (matches "lstm_cell_luong_general" in tests/parity/recurrent_variants.py).
/// </summary>
[Model(MaxBatch = 4)]
public partial class LstmCellHandedTranslator
{
    public const int Vocab = 13, E = 4, SourceLength = 9, TargetLength = 6;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(7, Cell = RecurrentCell.Lstm, Layers = 2)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(7, Cell = RecurrentCell.Lstm, Attention = RecurrentAttention.LuongGeneral, Memory = nameof(Encoder), CellFromEncoder = true)]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>
/// A bidirectional LSTM encoder (4 + 4) whose joined final states and joined final cells start an 8-wide LSTM decoder with
/// Bahdanau attention of size 5 (matches "lstm_bi_cell_bahdanau").
/// </summary>
[Model(MaxBatch = 4)]
public partial class LstmBiCellHandedTranslator
{
    public const int Vocab = 13, E = 4, SourceLength = 9, TargetLength = 6;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(4, Cell = RecurrentCell.Lstm, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(8, Cell = RecurrentCell.Lstm, Attention = RecurrentAttention.Bahdanau, AttentionSize = 5, Memory = nameof(Encoder), CellFromEncoder = true)]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

#pragma warning restore CS1591

/// <summary>
/// CellFromEncoder against PyTorch's seq2seq convention (the encoder's <c>(h_n, c_n)</c> handed to an nn.LSTMCell loop,
/// tests/parity/recurrent_variants.py): the state_dict loads by name, the loss, the logits at every valid position and every
/// parameter gradient (the encoder's through the handed cell included) equal PyTorch's, and the StepDecoder gives PyTorch's
/// log_softmax and attention weights at every valid position.
/// </summary>
public sealed class CellFromEncoderParityTests : IDisposable
{
    private const int Vocab = 13;
    private static readonly Fixture Models = Fixture.Load("recurrent_variants_models");
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-cell-from-encoder-parity-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static void Compare(string name, TranslatorRows rows, float loss, ReadOnlySpan<float> logits, IReadOnlyList<ParameterEntry> table, ReadOnlySpan<float> gradients)
    {
        Tolerance.Close(Models.Floats(name, "loss"), [loss], "loss");
        float[] expected = Models.Floats(name, "logits");
        Assert.Equal(rows.Count * rows.T * Vocab, expected.Length);
        Assert.Equal(expected.Length, logits.Length);
        for (int b = 0; b < rows.Count; b++)
        {
            for (int t = 0; t < rows.TargetLengths[b]; t++)
            {
                int at = ((b * rows.T) + t) * Vocab;
                Tolerance.Close(expected.AsSpan(at, Vocab), logits.Slice(at, Vocab), $"logits[{b},{t}]");
            }
        }

        foreach (var entry in table)
        {
            Tolerance.Close(Models.Floats(name, "grad." + entry.Name), gradients.Slice(entry.Offset, entry.Length), "grad." + entry.Name);
        }
    }

    private static void CompareSteps(string name, TranslatorRows rows, Action<ReadOnlySpan<int>, int, Memory<float>> step, Func<int, int, float[]> attention)
    {
        float[] expected = Models.Floats(name, "log_probs");
        float[] weights = Models.Floats(name, "weights");
        var tokens = new int[rows.Count];
        var logProbabilities = new float[rows.Count * Vocab];
        int compared = 0;
        for (int t = 0; t < rows.T; t++)
        {
            for (int b = 0; b < rows.Count; b++)
            {
                tokens[b] = t < rows.TargetLengths[b] ? rows.Target[(b * rows.T) + t] : 0;
            }

            step(tokens, t, logProbabilities);
            for (int b = 0; b < rows.Count; b++)
            {
                if (t < rows.TargetLengths[b])
                {
                    Tolerance.Close(expected.AsSpan(((b * rows.T) + t) * Vocab, Vocab), logProbabilities.AsSpan(b * Vocab, Vocab), $"step {t}, row {b}");
                    Tolerance.Close(weights.AsSpan(((b * rows.T) + t) * rows.S, rows.SourceLengths[b]), attention(b, t), $"weights, step {t}, row {b}");
                    compared++;
                }
            }
        }

        Assert.Equal(rows.TargetLengths.Sum(), compared);
    }

    [Fact]
    public void TwoLayerLstm_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new LstmCellHandedTranslator(seed: 99);
        TorchWeights.Load(Models, "lstm_cell_luong_general", _folder, LstmCellHandedTranslator.ParameterTable, model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        var rows = TranslatorRows.Read(Models, "lstm_cell_luong_general");
        var batch = new LstmCellHandedTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        float loss = trainer.ComputeGradients(batch);
        Compare("lstm_cell_luong_general", rows, loss, trainer.Logits, LstmCellHandedTranslator.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void BidirectionalLstm_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new LstmBiCellHandedTranslator(seed: 99);
        TorchWeights.Load(Models, "lstm_bi_cell_bahdanau", _folder, LstmBiCellHandedTranslator.ParameterTable, model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        var rows = TranslatorRows.Read(Models, "lstm_bi_cell_bahdanau");
        var batch = new LstmBiCellHandedTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        float loss = trainer.ComputeGradients(batch);
        Compare("lstm_bi_cell_bahdanau", rows, loss, trainer.Logits, LstmBiCellHandedTranslator.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void TwoLayerLstm_StepDecoder_GivesTorchLogSoftmaxAndWeightsAtEveryValidPosition()
    {
        var model = new LstmCellHandedTranslator(seed: 99);
        TorchWeights.Load(Models, "lstm_cell_luong_general", _folder, LstmCellHandedTranslator.ParameterTable, model.Parameters.Span);
        var rows = TranslatorRows.Read(Models, "lstm_cell_luong_general");
        var batch = new LstmCellHandedTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        using var decoder = model.CreateDecoder(maxRows: rows.Count);
        decoder.Begin(batch);
        CompareSteps("lstm_cell_luong_general", rows, (tokens, t, output) => decoder.Step(tokens, t, output.Span), (row, t) => decoder.CrossAttention(row, t).ToArray());
    }

    [Fact]
    public void BidirectionalLstm_StepDecoder_GivesTorchLogSoftmaxAndWeightsAtEveryValidPosition()
    {
        var model = new LstmBiCellHandedTranslator(seed: 99);
        TorchWeights.Load(Models, "lstm_bi_cell_bahdanau", _folder, LstmBiCellHandedTranslator.ParameterTable, model.Parameters.Span);
        var rows = TranslatorRows.Read(Models, "lstm_bi_cell_bahdanau");
        var batch = new LstmBiCellHandedTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        using var decoder = model.CreateDecoder(maxRows: rows.Count, threads: 2);
        decoder.Begin(batch);
        CompareSteps("lstm_bi_cell_bahdanau", rows, (tokens, t, output) => decoder.Step(tokens, t, output.Span), (row, t) => decoder.CrossAttention(row, t).ToArray());
    }
}
