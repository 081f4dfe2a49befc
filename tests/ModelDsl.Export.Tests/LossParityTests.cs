using System;
using System.Linq;
using ModelDsl.Optim;
using Xunit.Abstractions;

namespace ModelDsl.Export;

/// <summary>
/// The generated losses of issue 19 (LossModels.cs) against their exported PyTorch modules: loss, output and every parameter
/// gradient at assert_close defaults (check_parity.py), per row and over the valid positions of a sequence.
/// </summary>
public sealed class LossParityTests(ITestOutputHelper output)
{
    private static float[] Normal(Random random, int count, float scale = 1f) =>
        [.. new float[count].Select(_ => scale * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];

    /// <summary>Rows of <paramref name="width"/> probabilities (softmax of normal draws).</summary>
    private static float[] Distributions(Random random, int rows, int width)
    {
        float[] values = Normal(random, rows * width, 2f);
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = values.AsSpan(r * width, width);
            float sum = 0f;
            for (int c = 0; c < width; c++)
            {
                row[c] = MathF.Exp(row[c]);
                sum += row[c];
            }

            for (int c = 0; c < width; c++)
            {
                row[c] /= sum;
            }
        }

        return values;
    }

    [PyTorchFact]
    public void MultiLabelTagger_BceWithLogits_MatchesPyTorch()
    {
        var model = new MultiLabelTagger(seed: 41);
        var batch = new MultiLabelTagger.Batch();
        var random = new Random(41);
        for (int row = 0; row < 5; row++)
        {
            batch.SetX(row, Normal(random, 6));
            batch.SetTarget(row, [.. Normal(random, 4).Select(v => v > 0 ? 1f : 0f)]);
        }

        batch.Count = 5;
        using var run = new ParityRun(MultiLabelTagger.WritePyTorch, MultiLabelTagger.ParameterTable, MultiLabelTagger.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        MultiLabelTagger.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Predictions, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void SequenceL1Regressor_L1OverValidPositions_MatchesPyTorch()
    {
        var model = new SequenceL1Regressor(seed: 42);
        var batch = new SequenceL1Regressor.Batch();
        var random = new Random(42);
        int[] lengths = [SequenceL1Regressor.Length, 2, 1, 4];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetX(row, Normal(random, lengths[row] * 3));
            batch.SetTarget(row, Normal(random, lengths[row] * 2));
        }

        batch.Count = lengths.Length;
        using var run = new ParityRun(SequenceL1Regressor.WritePyTorch, SequenceL1Regressor.ParameterTable, SequenceL1Regressor.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        SequenceL1Regressor.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Predictions, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void SoftLabelClassifier_SoftCrossEntropy_MatchesPyTorch()
    {
        var model = new SoftLabelClassifier(seed: 43);
        var batch = new SoftLabelClassifier.Batch();
        var random = new Random(43);
        for (int row = 0; row < 6; row++)
        {
            batch.SetX(row, Normal(random, 5));
            batch.SetTarget(row, Distributions(random, 1, 4));
        }

        batch.Count = 6;
        using var run = new ParityRun(SoftLabelClassifier.WritePyTorch, SoftLabelClassifier.ParameterTable, SoftLabelClassifier.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        SoftLabelClassifier.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Predictions, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void DistilledStudent_KLDivergenceAtTemperature_MatchesPyTorch()
    {
        var model = new DistilledStudent(seed: 44);
        var batch = new DistilledStudent.Batch();
        var random = new Random(44);
        for (int row = 0; row < 4; row++)
        {
            batch.SetX(row, Normal(random, 5));
            batch.SetTarget(row, Normal(random, 4, 3f)); // the teacher's logits
        }

        batch.Count = 4;
        using var run = new ParityRun(DistilledStudent.WritePyTorch, DistilledStudent.ParameterTable, DistilledStudent.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        DistilledStudent.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Predictions, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void SequenceDistilledStudent_KLDivergenceOverValidPositions_MatchesPyTorch()
    {
        var model = new SequenceDistilledStudent(seed: 45);
        var batch = new SequenceDistilledStudent.Batch();
        var random = new Random(45);
        int[] lengths = [1, SequenceDistilledStudent.Length, 3];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetX(row, Normal(random, lengths[row] * 3));
            batch.SetTarget(row, Normal(random, lengths[row] * 5, 2f));
        }

        batch.Count = lengths.Length;
        using var run = new ParityRun(SequenceDistilledStudent.WritePyTorch, SequenceDistilledStudent.ParameterTable, SequenceDistilledStudent.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        SequenceDistilledStudent.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Predictions, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void WeightedClassifier_ClassWeightsWithSmoothingAndIgnoreIndex_MatchPyTorch()
    {
        var model = new WeightedClassifier(seed: 46);
        var batch = new WeightedClassifier.Batch();
        var random = new Random(46);
        int[] labels = [0, 1, 2, 3, 1, 0, 2];
        for (int row = 0; row < labels.Length; row++)
        {
            batch.SetX(row, Normal(random, 5));
            batch.SetLabel(row, labels[row]); // 3 is the ignore index
        }

        batch.Count = labels.Length;
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float[] weights = [0.5f, 2f, 1.25f, 7f];
        weights.CopyTo(trainer.ClassWeights, 0);
        string python = "\nCLASS_WEIGHTS = [" + string.Join(", ", weights.Select(w => w.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]\n";
        using var run = new ParityRun(folder =>
        {
            string module = WeightedClassifier.WritePyTorch(folder);
            System.IO.File.AppendAllText(module, python);
            return module;
        }, WeightedClassifier.ParameterTable, WeightedClassifier.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        WeightedClassifier.WriteBatches(run.Batches, batch);
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void MergedFeatures_AddAndConcatWithTheBatchInput_MatchPyTorch()
    {
        var model = new MergedFeatures(seed: 47);
        var batch = new MergedFeatures.Batch();
        var random = new Random(47);
        for (int row = 0; row < 5; row++)
        {
            batch.SetX(row, Normal(random, 5));
            batch.SetLabel(row, row % 3);
        }

        batch.Count = 5;
        using var run = new ParityRun(MergedFeatures.WritePyTorch, MergedFeatures.ParameterTable, MergedFeatures.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        MergedFeatures.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void MergedSequence_AddAndConcatOverTokens_MatchPyTorch()
    {
        var model = new MergedSequence(seed: 48);
        var batch = new MergedSequence.Batch();
        var random = new Random(48);
        int[] lengths = [MergedSequence.Length, 2, 1, 4];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetText(row, [.. Enumerable.Range(0, lengths[row]).Select(_ => random.Next(1, MergedSequence.Vocab))]);
            batch.SetLabel(row, row % 3);
        }

        batch.Count = lengths.Length;
        using var run = new ParityRun(MergedSequence.WritePyTorch, MergedSequence.ParameterTable, MergedSequence.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        MergedSequence.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }
}
