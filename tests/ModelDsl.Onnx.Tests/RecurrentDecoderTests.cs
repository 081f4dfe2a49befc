using System;
using ModelDsl.Examples.DateTranslator;
using ModelDsl.Onnx.Tests.Models;
using ModelDsl.Optim;

namespace ModelDsl.Onnx.Tests;

/// <summary>
/// [RecurrentDecoder] forward graphs (the decoder unrolled over the declared target length): the three GRU DateTranslator models
/// (no attention, Bahdanau, Luong general, each with a bridge from the bidirectional encoder), an LSTM + Luong general model and a
/// tanh RNN + Luong dot model, both without a bridge, trained a few steps and run on rows of different source and target lengths;
/// logits equal ModelDsl's <c>Evaluate</c> logits at every position, padded ones included, within <see cref="OnnxRun.Tolerance"/>:
/// the same float32 sums in another order, as for every model there; over these five models the largest difference measured was
/// 6e-7 absolute (logits O(1)), so the project's 1e-4 leaves a wide margin while a wrong gate order, mask, bridge or attention
/// changes the logits by 1e-2 or more.
/// </summary>
public sealed class RecurrentDecoderTests
{
    private const int Vocab = GruPlainModel.Vocab;

    // The longest target (9) is shorter than the declared 11: the graph pads the input to 11 inside and cuts the output back.
    private static readonly int[] Sources = [29, 11, 20, 7], Targets = [9, 9, 6, 3];

    /// <summary>Luong concat attention has no ONNX nodes: the forward, encoder and step graphs refuse it, naming the layer and the option.</summary>
    [Fact]
    public void LuongConcatIsRefusedByName()
    {
        var model = new GruLuongConcatModel(seed: 1);
        foreach (Action export in new Action[] { () => model.ToOnnx(), () => model.ToOnnxEncoder(), () => model.ToOnnxStep() })
        {
            var error = Assert.Throws<NotSupportedException>(export);
            Assert.Contains("Decoder ([RecurrentDecoder]): Attention = RecurrentAttention.LuongConcat has no ONNX nodes yet", error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>CellFromEncoder has no ONNX nodes (the exported decoder would start from a zero cell): every ONNX method refuses it by name.</summary>
    [Fact]
    public void CellFromEncoderIsRefusedByName()
    {
        var model = new LstmCellFromEncoderModel(seed: 1);
        foreach (Action export in new Action[] { () => model.ToOnnx(), () => model.ToOnnxEncoder(), () => model.ToOnnxStep() })
        {
            var error = Assert.Throws<NotSupportedException>(export);
            Assert.Contains("Decoder ([RecurrentDecoder]): CellFromEncoder = true has no ONNX nodes yet", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void GruPlain()
    {
        var model = new GruPlainModel(seed: 41);
        var batch = new GruPlainModel.Batch();
        Fill(batch.SetSource, batch.SetTarget, batch.SetLabels, Vocab, Sources, Targets);
        batch.Count = Sources.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-3f));
        ForwardTests.Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = ForwardTests.Export(model.WriteOnnx, [Sources.Length, 9, Vocab],
            OnnxRun.Ids("source", batch.Source, GruPlainModel.SourceLength, batch.Count, trainer.LongestSource),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, batch.Count),
            OnnxRun.Ids("target", batch.Target, GruPlainModel.TargetLength, batch.Count, trainer.LongestTarget),
            OnnxRun.Lengths("target_lengths", batch.TargetLengths, batch.Count));
        OnnxRun.AssertClose(trainer.Logits, actual, "GruPlainModel logits");
    }

    [Fact]
    public void GruBahdanau()
    {
        var model = new GruBahdanauModel(seed: 42);
        var batch = new GruBahdanauModel.Batch();
        Fill(batch.SetSource, batch.SetTarget, batch.SetLabels, Vocab, Sources, Targets);
        batch.Count = Sources.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-3f));
        ForwardTests.Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = ForwardTests.Export(model.WriteOnnx, [Sources.Length, 9, Vocab],
            OnnxRun.Ids("source", batch.Source, GruBahdanauModel.SourceLength, batch.Count, trainer.LongestSource),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, batch.Count),
            OnnxRun.Ids("target", batch.Target, GruBahdanauModel.TargetLength, batch.Count, trainer.LongestTarget),
            OnnxRun.Lengths("target_lengths", batch.TargetLengths, batch.Count));
        OnnxRun.AssertClose(trainer.Logits, actual, "GruBahdanauModel logits");
    }

    [Fact]
    public void GruLuong()
    {
        var model = new GruLuongModel(seed: 43);
        var batch = new GruLuongModel.Batch();
        Fill(batch.SetSource, batch.SetTarget, batch.SetLabels, Vocab, Sources, Targets);
        batch.Count = Sources.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-3f));
        ForwardTests.Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = ForwardTests.Export(model.WriteOnnx, [Sources.Length, 9, Vocab],
            OnnxRun.Ids("source", batch.Source, GruLuongModel.SourceLength, batch.Count, trainer.LongestSource),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, batch.Count),
            OnnxRun.Ids("target", batch.Target, GruLuongModel.TargetLength, batch.Count, trainer.LongestTarget),
            OnnxRun.Lengths("target_lengths", batch.TargetLengths, batch.Count));
        OnnxRun.AssertClose(trainer.Logits, actual, "GruLuongModel logits");
    }

    /// <summary>LSTM cell (the cell state starts at 0 and is carried), Luong general attention, no bridge; the full declared target length.</summary>
    [Fact]
    public void LstmLuongGeneral()
    {
        var model = new LstmLuongTranslator(seed: 44);
        var batch = new LstmLuongTranslator.Batch();
        int[] sources = [9, 4, 1], targets = [7, 2, 5];
        Fill(batch.SetSource, batch.SetTarget, batch.SetLabels, LstmLuongTranslator.Vocab, sources, targets);
        batch.Count = sources.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-2f));
        ForwardTests.Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = ForwardTests.Export(model.WriteOnnx, [sources.Length, 7, LstmLuongTranslator.Vocab],
            OnnxRun.Ids("source", batch.Source, LstmLuongTranslator.SourceLength, batch.Count, trainer.LongestSource),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, batch.Count),
            OnnxRun.Ids("target", batch.Target, LstmLuongTranslator.TargetLength, batch.Count, trainer.LongestTarget),
            OnnxRun.Lengths("target_lengths", batch.TargetLengths, batch.Count));
        OnnxRun.AssertClose(trainer.Logits, actual, "LstmLuongTranslator logits");
    }

    /// <summary>A tanh RNN cell with Luong dot attention (the scores read the encoder states themselves), no bridge.</summary>
    [Fact]
    public void RnnLuongDot()
    {
        var model = new RnnLuongDotTranslator(seed: 45);
        var batch = new RnnLuongDotTranslator.Batch();
        int[] sources = [3, 8, 5, 2], targets = [6, 4, 1, 5];
        Fill(batch.SetSource, batch.SetTarget, batch.SetLabels, RnnLuongDotTranslator.Vocab, sources, targets);
        batch.Count = sources.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-2f));
        ForwardTests.Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = ForwardTests.Export(model.WriteOnnx, [sources.Length, 6, RnnLuongDotTranslator.Vocab],
            OnnxRun.Ids("source", batch.Source, RnnLuongDotTranslator.SourceLength, batch.Count, trainer.LongestSource),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, batch.Count),
            OnnxRun.Ids("target", batch.Target, RnnLuongDotTranslator.TargetLength, batch.Count, trainer.LongestTarget),
            OnnxRun.Lengths("target_lengths", batch.TargetLengths, batch.Count));
        OnnxRun.AssertClose(trainer.Logits, actual, "RnnLuongDotTranslator logits");
    }

    internal static void Fill(SetIds setSource, SetIds setTarget, SetIds setLabels, int vocab, int[] sources, int[] targets)
    {
        var random = new Random(sources.Length + targets[0]);
        for (int row = 0; row < sources.Length; row++)
        {
            setSource(row, ForwardTests.RandomIds(random, sources[row], vocab));
            setTarget(row, ForwardTests.RandomIds(random, targets[row], vocab));
            setLabels(row, ForwardTests.RandomIds(random, targets[row], vocab));
        }
    }

    /// <summary>A generated batch's <c>Set{Input}(row, ids)</c>.</summary>
    internal delegate void SetIds(int row, ReadOnlySpan<int> ids);
}
