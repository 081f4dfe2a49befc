using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using ModelDsl.Tests.Support;
using ModelDsl.Training;

namespace ModelDsl.Reports.Tests;

/// <summary>
/// The plain lines <see cref="FitProgress"/> writes when output is redirected, driven by a manual clock. Expected lines are
/// worked out by hand from the documented rules (a line per tenth of the run and at least every 10 s, one per evaluation,
/// a closing line; the average is s += 0.05 (loss - s) from the first loss).
/// </summary>
public sealed class FitProgressTests
{
    private static readonly TimeSpan StepTime = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void Redirected_output_gets_a_line_per_tenth_one_per_evaluation_and_a_closing_line()
    {
        var clock = new ManualClock();
        var output = new StringWriter { NewLine = "\n" };
        var progress = new FitProgress("fit", output, time: clock);
        Assert.False(progress.Interactive); // a writer was given

        progress.OnFitBegin(new FitStart(TotalSteps: 100, StepsPerEpoch: 50, StartStep: 0, MetricNames: ["loss", "accuracy"]));
        for (long step = 1; step <= 100; step++)
        {
            clock.Advance(StepTime);
            // 8 examples per step; the first loss is 1, the rest 0.5: the average after step k is 0.5 + 0.5 * 0.95^(k-1).
            progress.OnStepEnd(new FitStep(step, (step - 1) / 50, step == 1 ? 1f : 0.5f, 1e-3f, 8 * step));
            if (step == 50)
            {
                progress.OnEvaluation(new FitEvaluation(50, 0, new Dictionary<string, double> { ["accuracy"] = 0.75, ["loss"] = 0.4 }, IsBest: true));
            }
        }

        progress.OnFitEnd(new History(["loss", "accuracy"]));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("fit: 100 steps (50 per epoch); metrics loss, accuracy", lines[0]);
        // Step 10: 0.95^9 = 0.6302 -> avg 0.8151; (80 - 8) examples in the 0.9 s since step 1 -> 80 ex/s; 1 s for 10 %, 9 s to go.
        Assert.Equal("fit step 10/100 ( 10%)  epoch 0  loss 0.5000 (avg 0.8151)  80 ex/s  elapsed 0:01  remaining 0:09", lines[1]);
        Assert.Equal([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], StepsOf(lines));
        Assert.Equal("fit evaluation at step 50 (epoch 0): val loss 0.4000, val accuracy 0.7500 (best)", lines[6]);
        // Step 60: 0.95^59 = 0.0485 -> avg 0.5242; epoch (60 - 1) / 50 = 1; the evaluated accuracy is shown from now on.
        Assert.Equal("fit step 60/100 ( 60%)  epoch 1  loss 0.5000 (avg 0.5242)  val accuracy 0.7500  80 ex/s  elapsed 0:06  remaining 0:04", lines[7]);
        // Step 100: 0.95^99 = 0.0062 -> avg 0.5031.
        Assert.Equal("fit step 100/100 (100%)  epoch 1  loss 0.5000 (avg 0.5031)  val accuracy 0.7500  80 ex/s  elapsed 0:10  remaining 0:00", lines[11]);
        Assert.Equal("fit: done after step 100 in 0:10", lines[12]);
        Assert.Equal(13, lines.Length);
    }

    [Fact]
    public void Several_losses_are_shown_after_the_total()
    {
        var clock = new ManualClock();
        var output = new StringWriter { NewLine = "\n" };
        var progress = new FitProgress("bert", output, time: clock);
        progress.OnFitBegin(new FitStart(10, 10, 0, ["loss", "loss_Mlm", "loss_Nsp"]) { LossNames = ["Mlm", "Nsp"] });
        float[] parts = new float[2];
        for (long step = 1; step <= 10; step++)
        {
            clock.Advance(StepTime);
            parts[0] = 3f - (0.1f * step);
            parts[1] = 0.75f;
            // The fit loop hands a view of its own buffer: the callback must copy the values, not keep the view.
            progress.OnStepEnd(new FitStep(step, 0, parts[0] + (0.5f * parts[1]), 1e-3f, 8 * step) { Losses = parts });
        }

        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // Step 1: Mlm 2.9, Nsp 0.75, total 2.9 + 0.375 = 3.275; no examples per second yet.
        Assert.StartsWith("bert step 1/10 ( 10%)  epoch 0  loss 3.2750 (avg 3.2750)  [Mlm 2.9000, Nsp 0.7500]  0 ex/s", lines[1], StringComparison.Ordinal);
        Assert.Contains("[Mlm 2.0000, Nsp 0.7500]", lines[10], StringComparison.Ordinal);
    }

    [Fact]
    public void A_slow_run_gets_a_line_at_least_every_interval_and_its_last_step_at_the_end()
    {
        var clock = new ManualClock();
        var output = new StringWriter { NewLine = "\n" };
        var progress = new FitProgress("slow", output, time: clock);
        progress.OnFitBegin(new FitStart(1000, 1000, 0, ["loss"]));
        for (long step = 1; step <= 31; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(4)); // 4 s a step: 10 s pass after every third step; a tenth is 100 steps away
            progress.OnStepEnd(new FitStep(step, 0, 2f, 1e-3f, step));
        }

        progress.OnFitEnd(new History(["loss"]));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Every third step by time, then step 31 (not yet shown) when the run ends.
        Assert.Equal([3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 31], StepsOf(lines));
        Assert.Equal("slow: done after step 31 in 2:04", lines[^1]);
    }

    [Fact]
    public void A_resumed_run_counts_its_tenths_from_the_resumed_step()
    {
        var clock = new ManualClock();
        var output = new StringWriter { NewLine = "\n" };
        var progress = new FitProgress("resumed", output, time: clock);
        progress.OnFitBegin(new FitStart(100, 50, StartStep: 40, ["loss"]));
        for (long step = 41; step <= 100; step++)
        {
            clock.Advance(StepTime);
            progress.OnStepEnd(new FitStep(step, (step - 1) / 50, 1f, 1e-3f, 8 * step));
        }

        progress.OnFitEnd(new History(["loss"]));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("resumed: 60 steps (50 per epoch, resuming after step 40); metrics loss", lines[0]);
        // 60 steps to run: a tenth is 6 steps.
        Assert.Equal([46, 52, 58, 64, 70, 76, 82, 88, 94, 100], StepsOf(lines));
        Assert.StartsWith("resumed step 46/100 ( 10%)  epoch 0  loss 1.0000 (avg 1.0000)", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_step_that_prints_nothing_allocates_nothing()
    {
        var clock = new ManualClock();
        var progress = new FitProgress("quiet", TextWriter.Null, time: clock);
        progress.OnFitBegin(new FitStart(1_000_000, 1000, 0, ["loss"]));
        var step = new FitStep(1, 0, 1f, 1e-3f, 8);
        progress.OnStepEnd(in step); // the first step
        step = new FitStep(2, 0, 1f, 1e-3f, 16);
        // The clock stands still and the step stays below a tenth: no line is due.
        Assert.Equal(0, Allocations.Measure(() => progress.OnStepEnd(in step)));
    }

    [Fact]
    public void Rejects_a_non_positive_interval()
    {
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => new FitProgress(plainInterval: TimeSpan.Zero));
        Assert.Equal("plainInterval", error.ParamName);
    }

    private static long[] StepsOf(string[] lines) =>
        [.. lines.Select(line => Regex.Match(line, @"^\w+ step (\d+)/")).Where(match => match.Success).Select(match => long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
}
