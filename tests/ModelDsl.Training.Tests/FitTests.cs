using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Training.Tests;

/// <summary>Fit on a generated classifier: early stopping, the best checkpoint, resuming bit for bit, 0 bytes per step, callbacks.</summary>
public sealed class FitTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "modeldsl-fit-" + Guid.NewGuid().ToString("N"));

    public FitTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // A learnable task: the class is the first token's id mod 3 (ids 3..11; token 1 pads the rest).
    private static LabeledTokens[] Task(int count, int offset) =>
        Enumerable.Range(offset, count).Select(i => new LabeledTokens([3 + (i % 9), 1 + (i % 2), 2], (3 + (i % 9)) % 3)).ToArray();

    private static BatchLoader<TinyClassifier.Batch, LabeledTokens> Train(int count = 10) =>
        new(Task(count, 0), Rows.Classification<TinyClassifier.Batch>(), new LoaderOptions { Seed = 11 });

    private static BatchLoader<TinyClassifier.Batch, LabeledTokens> Validation() =>
        new(Task(6, 100), Rows.Classification<TinyClassifier.Batch>(), new LoaderOptions { Shuffle = false });

    private static TinyClassifier.Trainer NewTrainer(TinyClassifier model) => model.CreateTrainer(new AdamW(0.05f), dropoutSeed: 5);

    [Fact]
    public void Early_stopping_ends_the_run_after_patience_evaluations_without_improvement()
    {
        var model = new TinyClassifier(seed: 1);
        using var trainer = NewTrainer(model);
        // No change can beat the first evaluation by 1e9, so evaluations 2 and 3 are the two without improvement.
        History history = trainer.Fit(Train(), Validation(), new FitOptions { Steps = 100, EvaluateEvery = 2, Patience = 2, MinDelta = 1e9 });

        Assert.Equal(FitStopReason.EarlyStopping, history.StopReason);
        Assert.Equal(6, history.StepCount);
        Assert.Equal(6, trainer.Steps);
        Assert.Equal(new long[] { 2, 4, 6 }, history.Evaluations.Select(e => e.Step));
        Assert.Equal(new[] { true, false, false }, history.Evaluations.Select(e => e.IsBest));
        Assert.Equal(2, history.BestStep);
    }

    [Fact]
    public void The_best_checkpoint_holds_the_parameters_of_the_best_evaluation()
    {
        string best = Path.Combine(_folder, "best.safetensors");
        var model = new TinyClassifier(seed: 1);
        using var trainer = NewTrainer(model);
        History history = trainer.Fit(Train(), Validation(), new FitOptions
        {
            Steps = 30, EvaluateEvery = 3, BestCheckpointPath = best, Metrics = [new Accuracy()],
        });

        // IsBest marks exactly the evaluations whose loss is lower than every earlier one.
        double lowest = double.PositiveInfinity;
        foreach (FitEvaluation evaluation in history.Evaluations)
        {
            double loss = evaluation.Metrics["loss"];
            Assert.Equal(loss < lowest, evaluation.IsBest);
            lowest = Math.Min(lowest, loss);
        }

        Assert.Equal(lowest, history.BestValue);
        Assert.True(history.Evaluations[^1].Metrics["loss"] < history.Evaluations[0].Metrics["loss"], "the task is learnable");

        // A fresh trainer loaded from the best checkpoint is at the best step and evaluates to the best loss exactly
        // (same parameters, same batches, same arithmetic).
        var fresh = new TinyClassifier(seed: 99);
        using var reloaded = NewTrainer(fresh);
        reloaded.LoadCheckpoint(best);
        Assert.Equal(history.BestStep, reloaded.Steps);
        Assert.Equal(history.BestValue, ValidationLoss(reloaded));
    }

    [Fact]
    public void RestoreBest_reloads_the_best_parameters_at_the_end()
    {
        string best = Path.Combine(_folder, "best.safetensors");
        var model = new TinyClassifier(seed: 1);
        using var trainer = NewTrainer(model);
        History history = trainer.Fit(Train(), Validation(), new FitOptions { Steps = 12, EvaluateEvery = 3, BestCheckpointPath = best, RestoreBest = true });
        Assert.Equal(history.BestStep, trainer.Steps);
        Assert.Equal(history.BestValue, ValidationLoss(trainer));
    }

    [Fact]
    public void A_resumed_fit_equals_the_uninterrupted_one_bit_for_bit()
    {
        // 10 examples in batches of 4: 3 batches per epoch, so the run crosses epochs (reshuffled) and the resume point
        // (step 5) is inside an epoch. The model has dropout, so the dropout stream must resume too.
        var straight = new TinyClassifier(seed: 1);
        using var straightTrainer = NewTrainer(straight);
        History whole = straightTrainer.Fit(Train(), Validation(), new FitOptions { Steps = 12, EvaluateEvery = 4 });

        string checkpoint = Path.Combine(_folder, "last.safetensors");
        var first = new TinyClassifier(seed: 1);
        using (var firstTrainer = NewTrainer(first))
        {
            firstTrainer.Fit(Train(), Validation(), new FitOptions { Steps = 5, EvaluateEvery = 4, CheckpointPath = checkpoint });
        }

        var resumed = new TinyClassifier(seed: 42);
        using var resumedTrainer = NewTrainer(resumed);
        History rest = resumedTrainer.Fit(Train(), Validation(), new FitOptions { Steps = 12, EvaluateEvery = 4, ResumeFrom = checkpoint });

        Assert.Equal(12, resumedTrainer.Steps);
        Assert.Equal(new long[] { 6, 7, 8, 9, 10, 11, 12 }, rest.StepNumbers.ToArray());
        Assert.Equal(whole.StepLosses[5..].ToArray().Select(BitConverter.SingleToInt32Bits), rest.StepLosses.ToArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(Bits(straight.Parameters.Span), Bits(resumed.Parameters.Span));
        Assert.Equal(whole.Evaluations[^1].Metrics["loss"], rest.Evaluations[^1].Metrics["loss"]);
    }

    [Fact]
    public void A_step_inside_fit_allocates_nothing()
    {
        var model = new TinyClassifier(seed: 1);
        using var trainer = NewTrainer(model);
        var counter = new StepCounter();
        var loop = new FitLoop<TinyClassifier.Batch>(trainer, Train(), Validation(), new FitOptions { Steps = 100_000, Callbacks = [counter] });

        long bytes = Allocations.Measure(() => loop.TrainStep());

        Assert.Equal(0, bytes);
        Assert.Equal(140, counter.Steps); // 40 warm-up calls and 20 windows of 5: the callback ran on every step.
    }

    [Fact]
    public void A_callback_can_stop_training_and_sees_every_step_and_evaluation()
    {
        var model = new TinyClassifier(seed: 1);
        using var trainer = NewTrainer(model);
        var callback = new StepCounter { StopAfter = 4 };
        History history = trainer.Fit(Train(), Validation(), new FitOptions { Epochs = 10, Callbacks = [callback] });

        Assert.Equal(FitStopReason.Callback, history.StopReason);
        Assert.Equal(4, history.StepCount);
        Assert.NotNull(callback.Start);
        Assert.Equal(30, callback.Start!.TotalSteps); // 10 epochs of 3 batches
        Assert.Equal(3, callback.Start.StepsPerEpoch);
        Assert.Equal(new[] { "loss" }, callback.Start.MetricNames);
        // Evaluations at the end of epoch 0 (step 3) and at the stop (step 4).
        Assert.Equal(new long[] { 3, 4 }, callback.Evaluations);
        Assert.Same(history, callback.Ended);
        // Examples: 4 + 4 + 2 in epoch 0, then 4 more.
        Assert.Equal(new long[] { 4, 8, 10, 14 }, callback.Examples);
        Assert.Equal(new long[] { 0, 0, 0, 1 }, callback.Epochs);
        Assert.All(callback.Rates, rate => Assert.Equal(0.05f, rate));
    }

    [Fact]
    public void Options_that_cannot_work_are_refused_before_training()
    {
        var model = new TinyClassifier(seed: 1);
        using var trainer = NewTrainer(model);
        Assert.Contains("Monitor 'accuracy' is not an evaluated metric (loss)",
            Assert.Throws<ArgumentException>(() => trainer.Fit(Train(), Validation(), new FitOptions { Steps = 1, Monitor = "accuracy" })).Message, StringComparison.Ordinal);
        Assert.Contains("need validation data",
            Assert.Throws<ArgumentException>(() => trainer.Fit(Train(), null, new FitOptions { Steps = 1, Patience = 2 })).Message, StringComparison.Ordinal);
        Assert.Contains("Steps or Epochs",
            Assert.Throws<ArgumentException>(() => trainer.Fit(Train(), Validation(), new FitOptions())).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => trainer.Fit(Train(), Validation(), new FitOptions { Steps = 1, ResumeFrom = Path.Combine(_folder, "none") }));
        Assert.Equal(0, trainer.Steps);
    }

    private static double ValidationLoss(TinyClassifier.Trainer trainer)
    {
        var validation = Validation();
        var batch = new TinyClassifier.Batch();
        double sum = 0;
        long rows = 0;
        for (long b = 0; b < validation.BatchesPerEpoch; b++)
        {
            int count = validation.Fill(batch, b);
            sum += (double)trainer.Evaluate(batch) * count;
            rows += count;
        }

        return sum / rows;
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < bits.Length; i++)
        {
            bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        }

        return bits;
    }

    private sealed class StepCounter : IFitCallback
    {
        private readonly long[] _examples = new long[1000];
        private readonly long[] _epochs = new long[1000];
        private readonly float[] _rates = new float[1000];

        public int Steps { get; private set; }

        public int StopAfter { get; init; } = int.MaxValue;

        public FitStart? Start { get; private set; }

        public History? Ended { get; private set; }

        public List<long> Evaluations { get; } = [];

        public long[] Examples => _examples[..Math.Min(Steps, 1000)];

        public long[] Epochs => _epochs[..Math.Min(Steps, 1000)];

        public float[] Rates => _rates[..Math.Min(Steps, 1000)];

        public bool StopRequested => Steps >= StopAfter;

        public void OnFitBegin(FitStart start) => Start = start;

        public void OnStepEnd(in FitStep step)
        {
            if (Steps < 1000)
            {
                _examples[Steps] = step.Examples;
                _epochs[Steps] = step.Epoch;
                _rates[Steps] = step.LearningRate;
            }

            Steps++;
        }

        public void OnEvaluation(FitEvaluation evaluation) => Evaluations.Add(evaluation.Step);

        public void OnFitEnd(History history) => Ended = history;
    }
}
