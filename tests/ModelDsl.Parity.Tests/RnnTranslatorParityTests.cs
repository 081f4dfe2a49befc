using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelDsl.IO;
using ModelDsl.Optim;

namespace ModelDsl.Parity;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>
/// examples/DateTranslator's GRU + Bahdanau encoder-decoder at small sizes: a bidirectional GRU encoder (5 + 5 = 10) whose
/// final state reaches the 7-wide decoder through the bridge <c>tanh(W_b f + b_b)</c>, attention size 6 (matches
/// RnnTranslatorModel "gru_bahdanau" in tests/parity/generate.py).
/// </summary>
[Model(MaxBatch = 4)]
public partial class SmallGruTranslator
{
    public const int Vocab = 13, E = 4, SourceLength = 9, TargetLength = 6;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(5, Cell = RecurrentCell.Gru, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(7, Cell = RecurrentCell.Gru, Attention = RecurrentAttention.Bahdanau, Memory = nameof(Encoder), AttentionSize = 6)]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>
/// A 2-layer LSTM encoder (7) whose last layer's final state starts a 7-wide LSTM decoder directly (no bridge; the decoder's
/// initial cell is zero) with Luong general attention and label smoothing 0.1 (matches "lstm_luong_general").
/// </summary>
[Model(MaxBatch = 4)]
public partial class SmallLstmTranslator
{
    public const int Vocab = 13, E = 4, SourceLength = 9, TargetLength = 6;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(7, Cell = RecurrentCell.Lstm, Layers = 2)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(7, Cell = RecurrentCell.Lstm, Attention = RecurrentAttention.LuongGeneral, Memory = nameof(Encoder))]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Logits { get; }
}

#pragma warning restore CS1591

/// <summary>
/// Whole generated RNN encoder-decoders against PyTorch (nn.GRU / nn.LSTM over packed sequences, the decoder as an
/// nn.GRUCell / nn.LSTMCell loop): the PyTorch state_dict loads by name (every name on both sides, nothing left over), and on
/// a batch of rows with different source and target lengths (length 1 included) the loss, the logits at every valid
/// position and every parameter gradient equal PyTorch's; the StepDecoder, fed the target tokens one step at a time, gives
/// PyTorch's log_softmax and attention weights at every valid position.
/// </summary>
public sealed class RnnTranslatorParityTests : IDisposable
{
    private const int Vocab = 13;
    private static readonly Fixture Models = Fixture.Load("rnn_seq2seq_models");
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-rnn-translator-parity-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static void CompareLossLogitsAndGradients(string name, TranslatorRows rows, float loss, ReadOnlySpan<float> logits,
        IReadOnlyList<ParameterEntry> table, ReadOnlySpan<float> gradients)
    {
        Tolerance.Close(Models.Floats(name, "loss"), [loss], "loss");

        // Logits are [B, T, V] for the longest row's T; positions past a row's length are padding (not compared).
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

    /// <summary>
    /// Feeds each row's target tokens step by step (pad id 0 once a row has ended) and compares the valid rows'
    /// log-probabilities and attention weights over their valid source positions.
    /// </summary>
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
    public void GruBahdanau_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallGruTranslator(seed: 99);
        TorchWeights.Load(Models, "gru_bahdanau", _folder, SmallGruTranslator.ParameterTable, model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        var rows = TranslatorRows.Read(Models, "gru_bahdanau");
        var batch = new SmallGruTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        float loss = trainer.ComputeGradients(batch);
        CompareLossLogitsAndGradients("gru_bahdanau", rows, loss, trainer.Logits, SmallGruTranslator.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void LstmLuongGeneral_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallLstmTranslator(seed: 99);
        TorchWeights.Load(Models, "lstm_luong_general", _folder, SmallLstmTranslator.ParameterTable, model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        var rows = TranslatorRows.Read(Models, "lstm_luong_general");
        var batch = new SmallLstmTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        float loss = trainer.ComputeGradients(batch);
        CompareLossLogitsAndGradients("lstm_luong_general", rows, loss, trainer.Logits, SmallLstmTranslator.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void GruBahdanau_StepDecoder_GivesTorchLogSoftmaxAndWeightsAtEveryValidPosition()
    {
        var model = new SmallGruTranslator(seed: 99);
        TorchWeights.Load(Models, "gru_bahdanau", _folder, SmallGruTranslator.ParameterTable, model.Parameters.Span);
        var rows = TranslatorRows.Read(Models, "gru_bahdanau");
        var batch = new SmallGruTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        using var decoder = model.CreateDecoder(maxRows: rows.Count);
        decoder.Begin(batch);
        CompareSteps("gru_bahdanau", rows, (tokens, t, output) => decoder.Step(tokens, t, output.Span),
            (row, t) => decoder.CrossAttention(row, t).ToArray());
    }

    [Fact]
    public void LstmLuongGeneral_StepDecoder_GivesTorchLogSoftmaxAndWeightsAtEveryValidPosition()
    {
        var model = new SmallLstmTranslator(seed: 99);
        TorchWeights.Load(Models, "lstm_luong_general", _folder, SmallLstmTranslator.ParameterTable, model.Parameters.Span);
        var rows = TranslatorRows.Read(Models, "lstm_luong_general");
        var batch = new SmallLstmTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        using var decoder = model.CreateDecoder(maxRows: rows.Count);
        decoder.Begin(batch);
        CompareSteps("lstm_luong_general", rows, (tokens, t, output) => decoder.Step(tokens, t, output.Span),
            (row, t) => decoder.CrossAttention(row, t).ToArray());
    }
}
