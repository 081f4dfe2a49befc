using System;
using System.Collections.Generic;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Training.Tests;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>Two heads off a shared trunk: a classifier (the primary) and a regressor reading the trunk by From.</summary>
[Model(MaxBatch = 8)]
public partial class TwoHeads
{
    [Input(Features = 6)] public partial FeatureInput X { get; }
    [Dense(12, Activation = Activation.Tanh)] public partial Dense Trunk { get; }
    [Dense(3)] [CrossEntropyLoss(Weight = 0.7f)] public partial Dense Kind { get; }
    [Dense(2, From = nameof(Trunk))] [MseLoss(Weight = 0.3f)] public partial Dense Value { get; }
}

/// <summary>A per-position tagger and a pooled sentence classifier over one sequence (MLM + NSP in miniature).</summary>
[Model(MaxBatch = 6)]
public partial class TagAndClassify
{
    [Input(5, Features = 4)] public partial FeatureInput X { get; }
    [Dense(10, Activation = Activation.Tanh)] public partial Dense Trunk { get; }
    [Dense(4)] [CrossEntropyLoss] public partial Dense Tags { get; }
    [MeanPool(From = nameof(Trunk))] public partial Pool Pool { get; }
    [Dense(2)] [CrossEntropyLoss(Weight = 0.5f)] public partial Dense Sentence { get; }
}

/// <summary>Distillation on one head: hard labels and the teacher's logits softened at T = 2.</summary>
[Model(MaxBatch = 8)]
public partial class DistilledHead
{
    [Input(Features = 4)] public partial FeatureInput X { get; }
    [Dense(12, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Dense(3)] [CrossEntropyLoss(Weight = 0.25f, Name = "Hard")] [KLDivergenceLoss(Temperature = 2f, Weight = 0.75f, Name = "Teacher")]
    public partial Dense Out { get; }
}

/// <summary>
/// Several heads and losses (issue 19): the backward of the weighted objective matches central differences of the generated forward
/// (two heads off a shared trunk, per-row and per-position, and two losses on one head), the per-loss values are named and add up to
/// what Step returns, and a step allocates nothing.
/// </summary>
public sealed class MultiHeadTests
{
    private static float[] Uniform(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (2f * (float)random.NextDouble()) - 1f;
        }

        return values;
    }

    private static TwoHeads.Batch TwoHeadsBatch(int seed) => Fill(new TwoHeads.Batch(), seed);

    private static TwoHeads.Batch Fill(TwoHeads.Batch batch, int seed)
    {
        var random = new Random(seed);
        for (int row = 0; row < 8; row++)
        {
            float[] x = Uniform(random, 6);
            batch.SetX(row, x);
            batch.SetKindLabel(row, x[0] > x[1] ? 0 : x[2] > 0 ? 1 : 2);
            batch.SetValueTarget(row, [x[3] + x[4], 0.5f * x[5]]);
        }

        batch.Count = 8;
        return batch;
    }

    private static TagAndClassify.Batch TagBatch(int seed)
    {
        var random = new Random(seed);
        var batch = new TagAndClassify.Batch();
        batch.Clear();
        for (int row = 0; row < 6; row++)
        {
            int length = 2 + (row % 4);
            float[] x = Uniform(random, length * 4);
            int[] tags = new int[length];
            for (int t = 0; t < length; t++)
            {
                tags[t] = x[4 * t] > 0 ? (x[(4 * t) + 1] > 0 ? 0 : 1) : (x[(4 * t) + 2] > 0 ? 2 : 3);
            }

            batch.SetX(row, x);
            batch.SetTagsLabels(row, tags);
            batch.SetSentenceLabel(row, x[3] > 0 ? 1 : 0);
        }

        batch.Count = 6;
        return batch;
    }

    private static DistilledHead.Batch DistilledBatch(int seed)
    {
        var random = new Random(seed);
        var batch = new DistilledHead.Batch();
        for (int row = 0; row < 8; row++)
        {
            float[] x = Uniform(random, 4);
            float[] teacher = [3f * (x[0] - x[1]), 3f * (x[2] + x[3]), 3f * (x[1] - x[3])];
            batch.SetX(row, x);
            batch.SetHardLabel(row, teacher[0] > teacher[1] ? (teacher[0] > teacher[2] ? 0 : 2) : (teacher[1] > teacher[2] ? 1 : 2));
            batch.SetTeacherTarget(row, teacher);
        }

        batch.Count = 8;
        return batch;
    }

    [Fact]
    public void Two_heads_off_a_shared_trunk_match_central_differences()
    {
        var model = new TwoHeads(seed: 3);
        TwoHeads.Batch batch = TwoHeadsBatch(1);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        AssertGradients(TwoHeads.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
    }

    [Fact]
    public void Per_position_and_pooled_heads_match_central_differences()
    {
        var model = new TagAndClassify(seed: 4);
        TagAndClassify.Batch batch = TagBatch(2);
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        AssertGradients(TagAndClassify.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
    }

    [Fact]
    public void Two_losses_on_one_head_match_central_differences()
    {
        var model = new DistilledHead(seed: 5);
        DistilledHead.Batch batch = DistilledBatch(3);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        AssertGradients(DistilledHead.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
    }

    [Fact]
    public void Losses_are_named_and_step_returns_their_weighted_sum()
    {
        var model = new TwoHeads(seed: 6);
        TwoHeads.Batch batch = TwoHeadsBatch(4);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        Assert.Equal(["Kind", "Value"], trainer.LossNames);
        float total = trainer.Evaluate(batch);
        float kind = trainer.LastLosses[0], value = trainer.LastLosses[1];

        // The cross-entropy of 3 classes from a fresh model is near ln 3 and the MSE positive: both losses were computed.
        Assert.InRange(kind, 0.5f, 2f);
        Assert.True(value > 0f, $"MSE {value}");

        // Step's value is 0.7 CE + 0.3 MSE, summed in float as the generated forward does (bitwise).
        Assert.Equal((0.7f * kind) + (0.3f * value), total);

        // The primary head (the first classifier) drives Logits, Predict and the plain Labels alias.
        Assert.Equal(8 * 3, trainer.Logits.Length);
        Assert.Same(batch.KindLabels, batch.Labels);

        using var distilled = new DistilledHead(seed: 1).CreateTrainer(new Sgd(0.1f));
        Assert.Equal(["Hard", "Teacher"], distilled.LossNames);
    }

    [Fact]
    public void The_losses_fall_together_when_trained()
    {
        var model = new TagAndClassify(seed: 8);
        using var trainer = model.CreateTrainer(new Adam(0.02f));
        TagAndClassify.Batch batch = TagBatch(5);
        trainer.Evaluate(batch);
        float[] first = trainer.LastLosses.ToArray();
        for (int i = 0; i < 150; i++)
        {
            trainer.Step(batch);
        }

        trainer.Evaluate(batch);
        float[] last = trainer.LastLosses.ToArray();

        // One fixed batch, 150 Adam steps: each loss at least halves (a loss whose gradient were lost would stay near its start).
        Assert.True(last[0] < first[0] / 2, $"Tags: {first[0]} -> {last[0]}");
        Assert.True(last[1] < first[1] / 2, $"Sentence: {first[1]} -> {last[1]}");
    }

    [Fact]
    public void Steps_allocate_nothing()
    {
        TwoHeads.Batch two = TwoHeadsBatch(1);
        TagAndClassify.Batch tags = TagBatch(1);
        DistilledHead.Batch distilled = DistilledBatch(1);
        using var a = new TwoHeads(seed: 1).CreateTrainer(new AdamW(1e-3f));
        using var b = new TagAndClassify(seed: 1).CreateTrainer(new AdamW(1e-3f), threads: 2);
        using var c = new DistilledHead(seed: 1).CreateTrainer(new AdamW(1e-3f));
        a.Step(two);
        b.Step(tags);
        c.Step(distilled);
        Assert.Equal(0, Allocations.Measure(() => a.Step(two)));
        Assert.Equal(0, Allocations.Measure(() => b.Step(tags)));
        Assert.Equal(0, Allocations.Measure(() => c.Step(distilled)));
    }

    /// <summary>Batches of 8 rows, batch i drawn from seed <c>first + i</c>.</summary>
    private sealed class TwoHeadsSource(int first, long batches) : ModelDsl.Data.IBatchSource<TwoHeads.Batch>
    {
        public int ExampleCount => (int)(8 * batches);

        public long BatchesPerEpoch => batches;

        public int Fill(TwoHeads.Batch batch, long index)
        {
            MultiHeadTests.Fill(batch, first + (int)(index % batches));
            return 8;
        }

        public long ExamplesBefore(long index) => 8 * index;
    }

    [Fact]
    public void Fit_records_and_prints_each_loss()
    {
        using var trainer = new TwoHeads(seed: 2).CreateTrainer(new Adam(0.01f));
        var output = new System.IO.StringWriter();
        History history = trainer.Fit(new TwoHeadsSource(10, 4), new TwoHeadsSource(100, 2),
            new FitOptions { Steps = 8, EvaluateEvery = 4, Callbacks = [new ConsoleLinesCallback(output, everySteps: 4)] });

        Assert.Equal(["Kind", "Value"], history.LossNames);
        Assert.Equal(["loss", "loss_Kind", "loss_Value"], history.MetricNames);
        HistorySeries kind = history.TrainingLoss("Kind"), value = history.TrainingLoss("Value");
        Assert.Equal(8, kind.Values.Length);
        for (int i = 0; i < 8; i++)
        {
            // Each recorded step loss is the generated forward's float sum of its recorded parts (bitwise).
            Assert.Equal((0.7f * (float)kind.Values[i]) + (0.3f * (float)value.Values[i]), history.StepLosses[i]);
            Assert.True(kind.Values[i] > 0 && value.Values[i] > 0, $"step {i}: {kind.Values[i]}, {value.Values[i]}");
        }

        FitEvaluation last = history.Evaluations[^1];
        double weighted = (0.7 * last.Metrics["loss_Kind"]) + (0.3 * last.Metrics["loss_Value"]);
        // Row-weighted means of float totals vs of their parts: they differ by float rounding only (about 1e-7 relative).
        Assert.True(Math.Abs(weighted - last.Metrics["loss"]) <= 1e-5 * last.Metrics["loss"], $"{weighted} vs {last.Metrics["loss"]}");
        Assert.StartsWith("step,epoch,train_loss,train_Kind,train_Value,val_loss,val_loss_Kind,val_loss_Value\n", history.ToCsv(), StringComparison.Ordinal);
        Assert.Matches(@"step 4/8 epoch \d+ loss \d\.\d{4} \(Kind \d\.\d{4}, Value \d\.\d{4}\) lr", output.ToString());
    }

    // Central differences with Richardson extrapolation of the generated float32 loss, as VisionModelTests. Budget: 1e-3 + 2% of the
    // estimate (float32 rounding of a loss near 1 over steps of 1e-2); a missing, unweighted or doubled loss term is off by 25% or more.
    private static void AssertGradients(IReadOnlyList<ParameterEntry> table, ModelDsl.Memory.AlignedBlock parameters, Func<float> gradients, Func<float> loss, Func<float[]> read)
    {
        gradients();
        float[] g = read();
        var failures = new List<string>();
        int nonZero = 0, checkedCount = 0;
        foreach (ParameterEntry entry in table)
        {
            for (int s = 0; s < Math.Min(8, entry.Length); s++)
            {
                int i = entry.Offset + (int)(((s * 7919L) + 13) % entry.Length);
                double coarse = Difference(parameters, i, 1e-2f, loss);
                double fine = Difference(parameters, i, 5e-3f, loss);
                double numeric = ((4 * fine) - coarse) / 3;
                checkedCount++;
                nonZero += Math.Abs(numeric) > 1e-4 ? 1 : 0;
                if (Math.Abs(g[i] - numeric) > 1e-3 + (0.02 * Math.Abs(numeric)))
                {
                    failures.Add(entry.Name + "[" + (i - entry.Offset) + "]: analytic " + g[i] + ", numeric " + numeric);
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(nonZero > checkedCount / 2, $"only {nonZero} of {checkedCount} checked gradients are non-zero");
    }

    private static double Difference(ModelDsl.Memory.AlignedBlock parameters, int i, float h, Func<float> loss)
    {
        float saved = parameters.Span[i];
        parameters.Span[i] = saved + h;
        double plus = loss();
        parameters.Span[i] = saved - h;
        double minus = loss();
        parameters.Span[i] = saved;
        return (plus - minus) / (2.0 * h);
    }
}
