using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Metrics;
using ModelDsl.Optim;

namespace ModelDsl.Training.Tests;

/// <summary>The metrics against counts made here from the trainer's predictions; History's series and CSV; the plain progress lines.</summary>
public sealed class MetricsAndHistoryTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "modeldsl-metrics-" + Guid.NewGuid().ToString("N"));

    public MetricsAndHistoryTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Accuracy_exact_match_and_perplexity_of_a_per_token_head()
    {
        // Three rows of different lengths in one batch; the metrics count labelled positions (IgnoreIndex excluded).
        TaggedTokens[] examples = [new([1, 2, 3], [4, 5, 6]), new([7], [8]), new([2, 2, 2, 2, 2], [1, 2, 3, 4, 5])];
        var loader = new BatchLoader<TinyTagger.Batch, TaggedTokens>(examples, Rows.Tagging<TinyTagger.Batch>(), new LoaderOptions { Shuffle = false });
        var model = new TinyTagger(seed: 3);
        using var trainer = model.CreateTrainer(new Adam(0.05f));
        var batch = new TinyTagger.Batch();
        loader.Fill(batch, 0);
        for (int i = 0; i < 15; i++)
        {
            trainer.Step(batch);
        }

        Metric[] metrics = [new Accuracy(), new TokenAccuracy(), new ExactMatch(), new Perplexity()];
        float loss = trainer.Evaluate(batch);
        foreach (Metric metric in metrics)
        {
            metric.Reset();
            metric.Update(batch, trainer, loss);
        }

        int right = 0, rowsRight = 0;
        for (int row = 0; row < examples.Length; row++)
        {
            int[] tags = examples[row].Tags;
            int rowRight = Enumerable.Range(0, tags.Length).Count(p => trainer.Predict(row, p) == tags[p]);
            right += rowRight;
            rowsRight += rowRight == tags.Length ? 1 : 0;
        }

        Assert.Equal(right / 9.0, metrics[0].Result);
        Assert.Equal(right / 9.0, metrics[1].Result);
        Assert.Equal(rowsRight / 3.0, metrics[2].Result);
        // One batch: the token-weighted mean loss is the batch's loss.
        Assert.Equal(Math.Exp(loss), metrics[3].Result);
        Assert.False(metrics[3].HigherIsBetter);
    }

    [Fact]
    public void TokenAccuracy_on_a_pooled_head_says_to_use_Accuracy()
    {
        var loader = new BatchLoader<TinyClassifier.Batch, LabeledTokens>([new([3], 0)], Rows.Classification<TinyClassifier.Batch>());
        var model = new TinyClassifier(seed: 1);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        var batch = new TinyClassifier.Batch();
        loader.Fill(batch, 0);
        float loss = trainer.Evaluate(batch);
        var e = Assert.Throws<InvalidOperationException>(() => new TokenAccuracy().Update(batch, trainer, loss));
        Assert.Contains("use Accuracy", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void History_series_and_csv()
    {
        var history = new History(["loss", "accuracy"], capacity: 2);
        history.AddStep(1, 0.5f);
        history.AddStep(2, 0.25f);
        history.AddStep(3, 0.125f);
        history.AddEvaluation(new FitEvaluation(2, 0, new Dictionary<string, double> { ["loss"] = 0.75, ["accuracy"] = 0.5 }, true));

        Assert.Equal(new double[] { 1, 2, 3 }, history.TrainingLoss().Steps);
        Assert.Equal(new double[] { 0.5, 0.25, 0.125 }, history.TrainingLoss().Values);
        Assert.Equal(new double[] { 2 }, history.Metric("accuracy").Steps);
        Assert.Equal(new double[] { 0.5 }, history.Metric("accuracy").Values);
        Assert.Contains("No metric 'bleu'", Assert.Throws<ArgumentException>(() => history.Metric("bleu")).Message, StringComparison.Ordinal);

        string path = Path.Combine(_folder, "history.csv");
        history.WriteCsv(path);
        Assert.Equal(
            ["step,epoch,train_loss,val_loss,val_accuracy", "1,,0.5,,", "2,0,0.25,0.75,0.5", "3,,0.125,,"],
            File.ReadAllLines(path));
        Assert.Equal(["history.csv"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void An_evaluation_with_an_unknown_metric_is_refused()
    {
        var history = new History(["loss"]);
        var e = Assert.Throws<ArgumentException>(() => history.AddEvaluation(new FitEvaluation(1, 0, new Dictionary<string, double> { ["bleu"] = 1 }, false)));
        Assert.Contains("'bleu' that is not one of this history's metrics (loss)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redirected_output_gets_a_line_every_n_steps_or_seconds()
    {
        var clock = new ManualClock();
        var output = new StringWriter(CultureInfo.InvariantCulture);
        IFitCallback lines = new ConsoleLinesCallback(output, everySteps: 2, interval: TimeSpan.FromSeconds(10), clock);

        lines.OnFitBegin(new FitStart(5, 3, 0, ["loss"]));
        for (int step = 1; step <= 5; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(step == 1 ? 1 : 2));
            lines.OnStepEnd(new FitStep(step, (step - 1) / 3, 1f / step, 0.001f, step * 4L));
            if (step == 3)
            {
                clock.Advance(TimeSpan.FromSeconds(20)); // a pause: it slows the throughput and lengthens the ETA of later lines
            }
        }

        var history = new History(["loss"]);
        history.AddStep(1, 1f);
        history.BestValue = 0.25;
        history.BestStep = 5;
        lines.OnEvaluation(new FitEvaluation(5, 1, new Dictionary<string, double> { ["loss"] = 0.25 }, true));
        lines.OnFitEnd(history);

        // Lines at steps 2 and 4 (every 2 steps) and 5 (the last); 10 s never pass between two lines. Step 2 at 3 s: 4
        // examples since the end of step 1 (1 s) in 2 s, ETA 3 s / 2 steps × 3 left = 4.5 s; step 4 at 27 s: 12 examples
        // in 26 s, ETA 27 / 4 × 1 = 6.75 s; step 5 at 29 s: 16 in 28 s.
        Assert.Equal(
        [
            "fit: steps 1..5, 3 per epoch, metrics loss",
            "step 2/5 epoch 0 loss 0.5000 lr 0.001 ex/s 2.0 eta 0:00:04",
            "step 4/5 epoch 1 loss 0.2500 lr 0.001 ex/s 0.5 eta 0:00:06",
            "step 5/5 epoch 1 loss 0.2000 lr 0.001 ex/s 0.6 eta 0:00:00",
            "eval step 5 epoch 1: loss 0.2500 (best)",
            "fit: Completed after 1 steps in 0:00:29, best 0.2500 at step 5",
        ], output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public void An_interval_alone_writes_a_line_when_that_much_time_has_passed()
    {
        var clock = new ManualClock();
        var output = new StringWriter(CultureInfo.InvariantCulture);
        IFitCallback lines = new ConsoleLinesCallback(output, everySteps: 0, interval: TimeSpan.FromSeconds(10), clock);
        lines.OnFitBegin(new FitStart(100, 10, 0, ["loss"]));
        var stepsWithLines = new List<long>();
        for (int step = 1; step <= 30; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(3));
            int before = output.ToString().Length;
            lines.OnStepEnd(new FitStep(step, 0, 1f, 0.1f, step));
            if (output.ToString().Length > before)
            {
                stepsWithLines.Add(step);
            }
        }

        // 3 s per step: the 10 s interval is passed at steps 4 (12 s), 8 (24 s), 12, ... counted from the last line.
        Assert.Equal(new long[] { 4, 8, 12, 16, 20, 24, 28 }, stepsWithLines);
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
