using System;
using System.Linq;
using ModelDsl.Optim;
using Xunit.Abstractions;

namespace ModelDsl.Export;

/// <summary>
/// Generated test models (TestModels.cs) covering what the examples do not: feature inputs, BatchNorm, MSE, graph masks (with a
/// query that has no neighbour), local windows, shared and tied embeddings, LSTM / plain RNN encoders and decoders with Luong and
/// Bahdanau attention, final-state pooling, PReLU, standalone attention. Same comparison as <see cref="ExampleParityTests"/>.
/// </summary>
public sealed class GeneratedParityTests(ITestOutputHelper output)
{
    private static float[] Normal(Random random, int count) =>
        [.. new float[count].Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];

    private static int[] Ids(Random random, int length, int vocab) => [.. new int[length].Select(_ => random.Next(1, vocab))];

    [PyTorchFact]
    public void FeatureRegressor_BatchNormAndMse_MatchPyTorch()
    {
        var model = new FeatureRegressor(seed: 21);
        var batch = new FeatureRegressor.Batch();
        var random = new Random(21);
        for (int row = 0; row < 5; row++)
        {
            batch.SetX(row, Normal(random, 5));
            batch.SetTarget(row, Normal(random, 3));
        }

        batch.Count = 5;
        using var run = new ParityRun(FeatureRegressor.WritePyTorch, FeatureRegressor.ParameterTable, FeatureRegressor.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        FeatureRegressor.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Predictions, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void WindowedSequenceRegressor_FeatureSequenceLocalWindowPerPositionMse_MatchPyTorch()
    {
        var model = new WindowedSequenceRegressor(seed: 22);
        var batch = new WindowedSequenceRegressor.Batch();
        var random = new Random(22);
        int[] lengths = [WindowedSequenceRegressor.Length, 3, 1, 5];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetSignal(row, Normal(random, lengths[row] * 4));
            batch.SetTarget(row, Normal(random, lengths[row] * 2));
        }

        batch.Count = lengths.Length;
        using var run = new ParityRun(WindowedSequenceRegressor.WritePyTorch, WindowedSequenceRegressor.ParameterTable, WindowedSequenceRegressor.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        WindowedSequenceRegressor.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        trainer.DropoutEnabled = false;
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Predictions, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void GraphClassifier_GraphMasksWithAnIsolatedQuery_MatchPyTorch()
    {
        var model = new GraphClassifier(seed: 23);
        var batch = new GraphClassifier.Batch();
        var random = new Random(23);
        int[] lengths = [GraphClassifier.Length, 4, 1];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetNodes(row, Ids(random, lengths[row], GraphClassifier.Vocab));
            batch.SetLabel(row, row % 3);
            for (int query = 0; query < GraphClassifier.Length; query++)
            {
                for (int key = 0; key < GraphClassifier.Length; key++)
                {
                    // Row 0's first query has no neighbour at all: ModelDsl gives it a zero context (PyTorch's own attention: NaN).
                    batch.SetNodesEdge(row, query, key, !(row == 0 && query == 0) && (query == key || random.Next(2) == 0));
                }
            }
        }

        batch.Count = lengths.Length;
        using var run = new ParityRun(GraphClassifier.WritePyTorch, GraphClassifier.ParameterTable, GraphClassifier.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        GraphClassifier.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        trainer.DropoutEnabled = false;
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void WindowedLanguageModel_CausalLocalWindow_MatchPyTorch()
    {
        var model = new WindowedLanguageModel(seed: 24);
        var batch = new WindowedLanguageModel.Batch();
        var random = new Random(24);
        int[] lengths = [WindowedLanguageModel.Length, 6, 1];
        for (int row = 0; row < lengths.Length; row++)
        {
            int[] ids = Ids(random, lengths[row] + 1, WindowedLanguageModel.Vocab);
            batch.SetText(row, ids.AsSpan(0, lengths[row]));
            int[] labels = ids[1..];
            labels[^1] = row == 1 ? -1 : labels[^1];
            batch.SetLabels(row, labels);
        }

        batch.Count = lengths.Length;
        using var run = new ParityRun(WindowedLanguageModel.WritePyTorch, WindowedLanguageModel.ParameterTable, WindowedLanguageModel.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        WindowedLanguageModel.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void SharedTranslator_SharedAndTiedEmbeddings_MatchPyTorch()
    {
        var model = new SharedTranslator(seed: 25);
        var batch = new SharedTranslator.Batch();
        ExampleParityTests.FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [SharedTranslator.SourceLength, 3, 1], [2, SharedTranslator.TargetLength, 1], SharedTranslator.Vocab);
        batch.Count = 3;
        using var run = new ParityRun(SharedTranslator.WritePyTorch, SharedTranslator.ParameterTable, SharedTranslator.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        SharedTranslator.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void LstmLuongTranslator_MatchPyTorch()
    {
        var model = new LstmLuongTranslator(seed: 26);
        var batch = new LstmLuongTranslator.Batch();
        ExampleParityTests.FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [3, LstmLuongTranslator.SourceLength, 1], [1, 5, LstmLuongTranslator.TargetLength], LstmLuongTranslator.Vocab);
        batch.Count = 3;
        using var run = new ParityRun(LstmLuongTranslator.WritePyTorch, LstmLuongTranslator.ParameterTable, LstmLuongTranslator.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        LstmLuongTranslator.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void LstmConcatTranslator_LuongConcatAndBridge_MatchPyTorch()
    {
        var model = new LstmConcatTranslator(seed: 29);
        var batch = new LstmConcatTranslator.Batch();
        ExampleParityTests.FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [2, LstmConcatTranslator.SourceLength, 1], [LstmConcatTranslator.TargetLength, 1, 3], LstmConcatTranslator.Vocab);
        batch.Count = 3;
        using var run = new ParityRun(LstmConcatTranslator.WritePyTorch, LstmConcatTranslator.ParameterTable, LstmConcatTranslator.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        LstmConcatTranslator.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void LstmCellHandedTranslator_CellFromEncoder_MatchPyTorch()
    {
        var model = new LstmCellHandedTranslator(seed: 31);
        var batch = new LstmCellHandedTranslator.Batch();
        ExampleParityTests.FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [LstmCellHandedTranslator.SourceLength, 2, 1], [3, LstmCellHandedTranslator.TargetLength, 1], LstmCellHandedTranslator.Vocab);
        batch.Count = 3;
        using var run = new ParityRun(LstmCellHandedTranslator.WritePyTorch, LstmCellHandedTranslator.ParameterTable, LstmCellHandedTranslator.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        LstmCellHandedTranslator.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void RnnDotTranslator_BidirectionalRnnLuongDot_MatchPyTorch()
    {
        var model = new RnnDotTranslator(seed: 27);
        var batch = new RnnDotTranslator.Batch();
        ExampleParityTests.FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [RnnDotTranslator.SourceLength, 2, 1, 4], [3, 1, RnnDotTranslator.TargetLength, 2], RnnDotTranslator.Vocab);
        batch.Count = 4;
        using var run = new ParityRun(RnnDotTranslator.WritePyTorch, RnnDotTranslator.ParameterTable, RnnDotTranslator.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        RnnDotTranslator.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void LstmBahdanauTranslator_BridgeAndAttentionSize_MatchPyTorch()
    {
        var model = new LstmBahdanauTranslator(seed: 28);
        var batch = new LstmBahdanauTranslator.Batch();
        ExampleParityTests.FillSeq2Seq(batch.SetSource, batch.SetTarget, batch.SetLabels, [1, LstmBahdanauTranslator.SourceLength, 4], [LstmBahdanauTranslator.TargetLength, 2, 1], LstmBahdanauTranslator.Vocab);
        batch.Count = 3;
        using var run = new ParityRun(LstmBahdanauTranslator.WritePyTorch, LstmBahdanauTranslator.ParameterTable, LstmBahdanauTranslator.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        LstmBahdanauTranslator.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void FinalStateClassifier_MatchPyTorch()
    {
        var model = new FinalStateClassifier(seed: 29);
        var batch = new FinalStateClassifier.Batch();
        var random = new Random(29);
        int[] lengths = [2, FinalStateClassifier.Length, 1, 5];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetText(row, Ids(random, lengths[row], FinalStateClassifier.Vocab));
            batch.SetLabel(row, row % 4);
        }

        batch.Count = lengths.Length;
        using var run = new ParityRun(FinalStateClassifier.WritePyTorch, FinalStateClassifier.ParameterTable, FinalStateClassifier.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        FinalStateClassifier.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void Attentive_StandaloneSelfAndCrossAttention_MatchPyTorch()
    {
        var model = new Attentive(seed: 30);
        var batch = new Attentive.Batch();
        var random = new Random(30);
        int[] sourceLengths = [Attentive.SourceLength, 2, 1], queryLengths = [1, Attentive.QueryLength, 3];
        for (int row = 0; row < sourceLengths.Length; row++)
        {
            batch.SetSource(row, Ids(random, sourceLengths[row], Attentive.Vocab));
            batch.SetQuery(row, Normal(random, queryLengths[row] * Attentive.D));
            batch.SetLabel(row, row + 1);
        }

        batch.Count = sourceLengths.Length;
        using var run = new ParityRun(Attentive.WritePyTorch, Attentive.ParameterTable, Attentive.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        Attentive.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }
}
