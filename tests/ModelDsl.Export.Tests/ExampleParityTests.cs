using System;
using System.Linq;
using ModelDsl.Examples.DateTranslator;
using ModelDsl.Examples.Reverse;
using ModelDsl.Examples.Sentiment;
using ModelDsl.Examples.TinyGpt;
using ModelDsl.Optim;
using Xunit.Abstractions;

namespace ModelDsl.Export;

/// <summary>
/// Every example model, as its project declares it, against its exported PyTorch module: the same weights (the model's own
/// initialization, saved with ParameterFile), the same batch (rows of different lengths, length 1 included), dropout off on both
/// sides; loss, logits and every parameter gradient equal at torch.testing.assert_close's float32 defaults (check_parity.py).
/// </summary>
public sealed class ExampleParityTests(ITestOutputHelper output)
{
    private static int[] Ids(Random random, int length, int vocab) => [.. new int[length].Select(_ => random.Next(1, vocab))];

    [PyTorchFact]
    public void DateModel_Transformer_MatchesPyTorch()
    {
        var model = new DateModel(seed: 11);
        var batch = new DateModel.Batch();
        FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [DateModel.SourceLength, 7, 1], [DateModel.TargetLength, 3, 1], DateModel.Vocab);
        batch.Count = 3;
        using var run = new ParityRun(DateModel.WritePyTorch, DateModel.ParameterTable, DateModel.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        DateModel.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        trainer.DropoutEnabled = false;
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void GruBahdanauModel_MatchesPyTorch()
    {
        var model = new GruBahdanauModel(seed: 12);
        var batch = new GruBahdanauModel.Batch();
        FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [9, GruBahdanauModel.SourceLength, 1], [4, 1, GruBahdanauModel.TargetLength], GruBahdanauModel.Vocab);
        batch.Count = 3;
        using var run = new ParityRun(GruBahdanauModel.WritePyTorch, GruBahdanauModel.ParameterTable, GruBahdanauModel.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        GruBahdanauModel.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        trainer.DropoutEnabled = false;
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void GruLuongModel_MatchesPyTorch()
    {
        var model = new GruLuongModel(seed: 13);
        var batch = new GruLuongModel.Batch();
        FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [1, 12, 30], [GruLuongModel.TargetLength, 2, 6], GruLuongModel.Vocab);
        batch.Count = 3;
        using var run = new ParityRun(GruLuongModel.WritePyTorch, GruLuongModel.ParameterTable, GruLuongModel.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        GruLuongModel.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        trainer.DropoutEnabled = false;
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void GruPlainModel_MatchesPyTorch()
    {
        var model = new GruPlainModel(seed: 14);
        var batch = new GruPlainModel.Batch();
        FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [20, 1, 8], [5, GruPlainModel.TargetLength, 1], GruPlainModel.Vocab);
        batch.Count = 3;
        using var run = new ParityRun(GruPlainModel.WritePyTorch, GruPlainModel.ParameterTable, GruPlainModel.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        GruPlainModel.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        trainer.DropoutEnabled = false;
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void ReverseModel_MatchesPyTorch()
    {
        var model = new ReverseModel(seed: 15);
        var batch = new ReverseModel.Batch();
        FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [ReverseModel.SourceLength, 4, 1], [ReverseModel.TargetLength, 5, 2], ReverseModel.Vocab);
        batch.Count = 3;
        using var run = new ParityRun(ReverseModel.WritePyTorch, ReverseModel.ParameterTable, ReverseModel.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        ReverseModel.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        trainer.DropoutEnabled = false;
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void SentimentModel_MatchesPyTorch_WithItsDropoutTurnedOff()
    {
        var model = new SentimentModel(seed: 16);
        var batch = new SentimentModel.Batch();
        var random = new Random(16);
        int[] lengths = [SentimentModel.Length, 9, 1, 17];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetText(row, Ids(random, lengths[row], SentimentModel.Vocab));
            batch.SetLabel(row, row % SentimentModel.Classes);
        }

        batch.Count = lengths.Length;
        using var run = new ParityRun(SentimentModel.WritePyTorch, SentimentModel.ParameterTable, SentimentModel.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        SentimentModel.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        trainer.DropoutEnabled = false;
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void CharacterModel_TinyGpt_MatchesPyTorch()
    {
        var model = new CharacterModel(seed: 17);
        var batch = new CharacterModel.Batch();
        var random = new Random(17);
        int[] lengths = [CharacterModel.Context, 10, 1];
        for (int row = 0; row < lengths.Length; row++)
        {
            int[] ids = Ids(random, lengths[row] + 1, CharacterModel.Vocab);
            batch.SetText(row, ids.AsSpan(0, lengths[row]));
            int[] labels = ids[1..];
            labels[0] = row == 1 ? -1 : labels[0]; // one ignored position
            batch.SetLabels(row, labels);
        }

        batch.Count = lengths.Length;
        using var run = new ParityRun(CharacterModel.WritePyTorch, CharacterModel.ParameterTable, CharacterModel.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        CharacterModel.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        trainer.DropoutEnabled = false;
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    internal delegate void SetIds(int row, ReadOnlySpan<int> ids);

    /// <summary>Random source and target rows of the given lengths; labels are the target shifted by one (random last label).</summary>
    internal static void FillSeq2Seq(SetIds source, SetIds target, SetIds labels, int[] sourceLengths, int[] targetLengths, int vocab)
    {
        var random = new Random(sourceLengths[0] * 31 + targetLengths[0]);
        for (int row = 0; row < sourceLengths.Length; row++)
        {
            source(row, Ids(random, sourceLengths[row], vocab));
            int[] ids = Ids(random, targetLengths[row] + 1, vocab);
            target(row, ids.AsSpan(0, targetLengths[row]));
            labels(row, ids.AsSpan(1));
        }
    }
}
