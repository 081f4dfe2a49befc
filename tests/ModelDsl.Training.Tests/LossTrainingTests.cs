using System;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Training.Tests;

/// <summary>L1 over the valid positions of a sequence.</summary>
[Model(MaxBatch = 8)]
public partial class L1Sequence
{
    [Input(5, Features = 3)] public partial FeatureInput X { get; }
    [Dense(16, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Dense(2)] [L1Loss] public partial Dense Out { get; }
}

/// <summary>Multi-label head with binary cross-entropy on logits.</summary>
[Model(MaxBatch = 8)]
public partial class MultiLabel
{
    [Input(Features = 4)] public partial FeatureInput X { get; }
    [Dense(16, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Dense(3)] [BceWithLogitsLoss] public partial Dense Out { get; }
}

/// <summary>Soft labels.</summary>
[Model(MaxBatch = 8)]
public partial class SoftLabels
{
    [Input(Features = 4)] public partial FeatureInput X { get; }
    [Dense(16, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Dense(3)] [SoftCrossEntropyLoss] public partial Dense Out { get; }
}

/// <summary>Distillation per position at T = 3.</summary>
[Model(MaxBatch = 8)]
public partial class DistilledSequence
{
    [Input(4, Features = 4)] public partial FeatureInput X { get; }
    [Dense(16, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Dense(3)] [KLDivergenceLoss(Temperature = 3f)] public partial Dense Out { get; }
}

/// <summary>Class-weighted cross-entropy.</summary>
[Model(MaxBatch = 8)]
public partial class WeightedLabels
{
    [Input(Features = 4)] public partial FeatureInput X { get; }
    [Dense(3)] [CrossEntropyLoss(ClassWeights = true, LabelSmoothing = 0.1f)] public partial Dense Out { get; }
}

/// <summary>[Add] and [Concat] over a feature sequence (one of them the batch input).</summary>
[Model(MaxBatch = 8)]
public partial class MergedSteps
{
    [Input(5, Features = 3)] public partial FeatureInput X { get; }
    [Dense(3, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Add(nameof(X), nameof(Hidden))] public partial MergeLayer Sum { get; }
    [Concat(nameof(Sum), nameof(X))] public partial MergeLayer Both { get; }
    [Dense(2)] [L1Loss] public partial Dense Out { get; }
}

/// <summary>
/// The losses of issue 19 in generated trainers: each learns a fixed function of its inputs (the loss falls well below its start at
/// equal steps) and a step allocates nothing. Targets are functions of the inputs, so a model that does not learn cannot pass.
/// </summary>
public sealed class LossTrainingTests
{
    private const int Rows = 8, Steps = 300;

    private static float[] Uniform(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (2f * (float)random.NextDouble()) - 1f;
        }

        return values;
    }

    /// <summary>The fixed "teacher" logits of input x (4 features): three linear scores, scaled.</summary>
    private static void Teacher(ReadOnlySpan<float> x, Span<float> logits)
    {
        logits[0] = 3f * (x[0] - x[1]);
        logits[1] = 3f * (x[2] + x[3]);
        logits[2] = 3f * (x[1] - x[3]);
    }

    private static void Softmax(Span<float> v)
    {
        float max = MathF.Max(v[0], MathF.Max(v[1], v[2])), sum = 0f;
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = MathF.Exp(v[i] - max);
            sum += v[i];
        }

        for (int i = 0; i < v.Length; i++)
        {
            v[i] /= sum;
        }
    }

    private static void Fill(L1Sequence.Batch batch, Random random)
    {
        batch.Clear();
        for (int row = 0; row < Rows; row++)
        {
            int length = 1 + (row % 5);
            float[] x = Uniform(random, length * 3), y = new float[length * 2];
            for (int t = 0; t < length; t++)
            {
                y[2 * t] = x[3 * t] + x[(3 * t) + 1];
                y[(2 * t) + 1] = 0.5f * x[(3 * t) + 2];
            }

            batch.SetX(row, x);
            batch.SetTarget(row, y);
        }

        batch.Count = Rows;
    }

    private static void Fill(MultiLabel.Batch batch, Random random)
    {
        float[] logits = new float[3], y = new float[3];
        for (int row = 0; row < Rows; row++)
        {
            float[] x = Uniform(random, 4);
            Teacher(x, logits);
            for (int i = 0; i < 3; i++)
            {
                y[i] = logits[i] > 0 ? 1f : 0f;
            }

            batch.SetX(row, x);
            batch.SetTarget(row, y);
        }

        batch.Count = Rows;
    }

    private static void Fill(SoftLabels.Batch batch, Random random)
    {
        float[] y = new float[3];
        for (int row = 0; row < Rows; row++)
        {
            float[] x = Uniform(random, 4);
            Teacher(x, y);
            Softmax(y);
            batch.SetX(row, x);
            batch.SetTarget(row, y);
        }

        batch.Count = Rows;
    }

    private static void Fill(DistilledSequence.Batch batch, Random random)
    {
        batch.Clear();
        for (int row = 0; row < Rows; row++)
        {
            int length = 1 + (row % 4);
            float[] x = Uniform(random, length * 4), y = new float[length * 3];
            for (int t = 0; t < length; t++)
            {
                Teacher(x.AsSpan(4 * t, 4), y.AsSpan(3 * t, 3));
            }

            batch.SetX(row, x);
            batch.SetTarget(row, y);
        }

        batch.Count = Rows;
    }

    /// <summary>Mean loss of the first and of the last 20 steps, each step on a fresh batch from one seeded stream.</summary>
    private static (float First, float Last) Learn(Func<Random, float> step)
    {
        var random = new Random(19);
        float first = 0f, last = 0f;
        for (int i = 0; i < Steps; i++)
        {
            float loss = step(random);
            Assert.True(float.IsFinite(loss), $"step {i}: loss {loss}");
            if (i < 20)
            {
                first += loss / 20;
            }
            else if (i >= Steps - 20)
            {
                last += loss / 20;
            }
        }

        return (first, last);
    }

    [Fact]
    public void L1_over_valid_positions_learns()
    {
        var model = new L1Sequence(seed: 1);
        using var trainer = model.CreateTrainer(new Adam(1e-2f));
        var batch = new L1Sequence.Batch();
        var (first, last) = Learn(random => { Fill(batch, random); return trainer.Step(batch); });
        Assert.True(last < 0.5f * first, $"L1: {first} -> {last}"); // a learnable linear target: at least halved in 300 steps
    }

    [Fact]
    public void Bce_with_logits_learns_multiple_labels()
    {
        var model = new MultiLabel(seed: 2);
        using var trainer = model.CreateTrainer(new Adam(1e-2f));
        var batch = new MultiLabel.Batch();
        var (first, last) = Learn(random => { Fill(batch, random); return trainer.Step(batch); });
        Assert.True(last < 0.5f * first, $"BCE: {first} -> {last}"); // separable labels: from ~ln 2 to well below half
    }

    [Fact]
    public void Soft_cross_entropy_learns_the_distribution()
    {
        var model = new SoftLabels(seed: 3);
        using var trainer = model.CreateTrainer(new Adam(1e-2f));
        var batch = new SoftLabels.Batch();
        var probe = new SoftLabels.Batch();
        Fill(probe, new Random(7));
        double entropy = 0; // the loss cannot go below the targets' mean entropy: compare the excess over it (the KL)
        for (int i = 0; i < Rows * 3; i++)
        {
            float q = probe.Targets[i];
            entropy -= q > 0 ? q * Math.Log(q) / Rows : 0;
        }

        float before = trainer.Evaluate(probe);
        Learn(random => { Fill(batch, random); return trainer.Step(batch); });
        float after = trainer.Evaluate(probe);
        Assert.True(after - entropy < 0.25 * (before - entropy), $"soft CE excess over the entropy {entropy}: {before} -> {after}"); // learnable: most of it goes
    }

    [Fact]
    public void Distillation_per_position_matches_the_teacher()
    {
        var model = new DistilledSequence(seed: 4);
        using var trainer = model.CreateTrainer(new Adam(1e-2f));
        var batch = new DistilledSequence.Batch();
        var (first, last) = Learn(random => { Fill(batch, random); return trainer.Step(batch); });
        Assert.True(last < 0.25f * first, $"KL: {first} -> {last}"); // the teacher is in the student's class: KL falls towards 0
    }

    [Fact]
    public void Steps_allocate_nothing() // every new loss, and the merge layers
    {
        var random = new Random(5);
        var l1 = new L1Sequence(seed: 1);
        using var l1Trainer = l1.CreateTrainer(new Adam(1e-3f));
        var l1Batch = new L1Sequence.Batch();
        Fill(l1Batch, random);
        var bce = new MultiLabel(seed: 1);
        using var bceTrainer = bce.CreateTrainer(new Adam(1e-3f));
        var bceBatch = new MultiLabel.Batch();
        Fill(bceBatch, random);
        var soft = new SoftLabels(seed: 1);
        using var softTrainer = soft.CreateTrainer(new Adam(1e-3f));
        var softBatch = new SoftLabels.Batch();
        Fill(softBatch, random);
        var kl = new DistilledSequence(seed: 1);
        using var klTrainer = kl.CreateTrainer(new Adam(1e-3f));
        var klBatch = new DistilledSequence.Batch();
        Fill(klBatch, random);
        var weighted = new WeightedLabels(seed: 1);
        using var weightedTrainer = weighted.CreateTrainer(new Adam(1e-3f));
        weightedTrainer.ClassWeights[2] = 4f;
        var weightedBatch = new WeightedLabels.Batch();
        for (int row = 0; row < Rows; row++)
        {
            weightedBatch.SetX(row, Uniform(random, 4));
            weightedBatch.SetLabel(row, row % 3);
        }

        weightedBatch.Count = Rows;
        var merged = new MergedSteps(seed: 1);
        using var mergedTrainer = merged.CreateTrainer(new Adam(1e-3f));
        var mergedBatch = new MergedSteps.Batch();
        for (int row = 0; row < Rows; row++)
        {
            int length = 1 + (row % 5);
            mergedBatch.SetX(row, Uniform(random, length * 3));
            mergedBatch.SetTarget(row, Uniform(random, length * 2));
        }

        mergedBatch.Count = Rows;
        Assert.Equal(0, Allocations.Measure(() =>
        {
            mergedTrainer.Step(mergedBatch);
            weightedTrainer.Step(weightedBatch);
            l1Trainer.Step(l1Batch);
            bceTrainer.Step(bceBatch);
            softTrainer.Step(softBatch);
            klTrainer.Step(klBatch);
        }));
    }
}
