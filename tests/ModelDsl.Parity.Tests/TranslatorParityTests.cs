using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelDsl.IO;
using ModelDsl.Optim;

namespace ModelDsl.Parity;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>
/// examples/DateTranslator's DateModel at small sizes: post-norm ReLU encoder with key padding, post-norm decoder with a
/// causal mask, learned target positions, no final norm (matches TranslatorModel "translator" in tests/parity/generate.py).
/// </summary>
[Model(MaxBatch = 4)]
public partial class SmallTranslator
{
    public const int Vocab = 13, D = 16, SourceLength = 9, TargetLength = 6;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [SinusoidalPositions] public partial Positions SourcePositions { get; }
    [TransformerEncoder(Layers = 2, Heads = 2, FeedForward = 32, Mask = Masks.KeyPadding, Dropout = 0f)] public partial EncoderStack Encoder { get; }
    [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [LearnedPositions(TargetLength)] public partial Positions TargetPositions { get; }
    [TransformerDecoder(Layers = 2, Heads = 2, FeedForward = 32, Memory = nameof(Encoder), Mask = Masks.Causal, Dropout = 0f)]
    public partial DecoderStack Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>
/// The pre-norm variant: GELU, NormFirst stacks (each ending with its own LayerNorm), Causal | KeyPadding on the decoder,
/// a declared LayerNorm before the head and label smoothing 0.1 (matches "pre_norm_translator" in tests/parity/generate.py).
/// </summary>
[Model(MaxBatch = 4)]
public partial class SmallPreNormTranslator
{
    public const int Vocab = 13, D = 16, SourceLength = 9, TargetLength = 6;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [SinusoidalPositions] public partial Positions SourcePositions { get; }
    [TransformerEncoder(Layers = 2, Heads = 2, FeedForward = 32, Mask = Masks.KeyPadding, NormFirst = true, Activation = Activation.Gelu, Dropout = 0f)]
    public partial EncoderStack Encoder { get; }
    [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [LearnedPositions(TargetLength)] public partial Positions TargetPositions { get; }
    [TransformerDecoder(Layers = 2, Heads = 2, FeedForward = 32, Memory = nameof(Encoder), Mask = Masks.Causal | Masks.KeyPadding, NormFirst = true,
        Activation = Activation.Gelu, Dropout = 0f)]
    public partial DecoderStack Decoder { get; }
    [LayerNorm] public partial Norm FinalNorm { get; }
    [Dense(Vocab)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Logits { get; }
}

#pragma warning restore CS1591

/// <summary>
/// Whole generated Transformer encoder-decoders against PyTorch (nn.TransformerEncoder / nn.TransformerDecoder, batch_first):
/// the PyTorch state_dict loads by name (every name present on both sides, nothing left over), and on a batch of rows with
/// different source and target lengths (length 1 included) the loss, the logits at every valid position and every parameter
/// gradient equal PyTorch's; the incremental StepDecoder, fed the target tokens one step at a time, gives PyTorch's
/// log_softmax at every valid position.
/// </summary>
public sealed class TranslatorParityTests : IDisposable
{
    private const int Vocab = 13;
    private static readonly Fixture Models = Fixture.Load("seq2seq_models");
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-translator-parity-").FullName;

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

    /// <summary>Feeds each row's target tokens step by step (pad id 0 once a row has ended) and compares the valid rows' log-probabilities.</summary>
    private static void CompareSteps(string name, TranslatorRows rows, Action<ReadOnlySpan<int>, int, Memory<float>> step)
    {
        float[] expected = Models.Floats(name, "log_probs");
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
                    compared++;
                }
            }
        }

        Assert.Equal(rows.TargetLengths.Sum(), compared);
    }

    [Fact]
    public void Translator_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallTranslator(seed: 99);
        TorchWeights.Load(Models, "translator", _folder, SmallTranslator.ParameterTable, model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        var rows = TranslatorRows.Read(Models, "translator");
        var batch = new SmallTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        float loss = trainer.ComputeGradients(batch);
        CompareLossLogitsAndGradients("translator", rows, loss, trainer.Logits, SmallTranslator.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void PreNormTranslator_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallPreNormTranslator(seed: 99);
        TorchWeights.Load(Models, "pre_norm_translator", _folder, SmallPreNormTranslator.ParameterTable, model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        var rows = TranslatorRows.Read(Models, "pre_norm_translator");
        var batch = new SmallPreNormTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        float loss = trainer.ComputeGradients(batch);
        CompareLossLogitsAndGradients("pre_norm_translator", rows, loss, trainer.Logits, SmallPreNormTranslator.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void Translator_StepDecoder_GivesTorchLogSoftmaxAtEveryValidPosition()
    {
        var model = new SmallTranslator(seed: 99);
        TorchWeights.Load(Models, "translator", _folder, SmallTranslator.ParameterTable, model.Parameters.Span);
        var rows = TranslatorRows.Read(Models, "translator");
        var batch = new SmallTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        using var decoder = model.CreateDecoder(maxRows: rows.Count);
        decoder.Begin(batch);
        CompareSteps("translator", rows, (tokens, t, output) => decoder.Step(tokens, t, output.Span));
    }

    [Fact]
    public void PreNormTranslator_StepDecoder_GivesTorchLogSoftmaxAtEveryValidPosition()
    {
        var model = new SmallPreNormTranslator(seed: 99);
        TorchWeights.Load(Models, "pre_norm_translator", _folder, SmallPreNormTranslator.ParameterTable, model.Parameters.Span);
        var rows = TranslatorRows.Read(Models, "pre_norm_translator");
        var batch = new SmallPreNormTranslator.Batch();
        rows.Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        batch.Count = rows.Count;
        using var decoder = model.CreateDecoder(maxRows: rows.Count);
        decoder.Begin(batch);
        CompareSteps("pre_norm_translator", rows, (tokens, t, output) => decoder.Step(tokens, t, output.Span));
    }
}
