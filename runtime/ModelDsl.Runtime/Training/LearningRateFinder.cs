using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using ModelDsl.Data;

namespace ModelDsl.Training;

/// <summary>The settings of <see cref="LearningRateFinder.Run"/> (fastai's <c>lr_find</c> defaults).</summary>
public sealed record LearningRateFinderOptions
{
    /// <summary>The rate of the first step.</summary>
    public float MinLearningRate { get; init; } = 1e-7f;

    /// <summary>The rate of the last step.</summary>
    public float MaxLearningRate { get; init; } = 10f;

    /// <summary>Steps of the sweep (at least 2), the rate rising by the same factor at each.</summary>
    public int Steps { get; init; } = 100;

    /// <summary>The weight of the past in the smoothed loss (an exponential moving average with bias correction), in [0, 1).</summary>
    public double Smoothing { get; init; } = 0.98;

    /// <summary>The sweep stops after a step whose smoothed loss exceeds this many times the best one (or whose loss is not finite).</summary>
    public double DivergenceFactor { get; init; } = 4;
}

/// <summary>
/// The losses of a learning-rate sweep: the rate of each step, the batch's loss and its smoothed value, and the suggested rate.
/// </summary>
/// <param name="LearningRates">The rate of each step taken, increasing.</param>
/// <param name="Losses">The training loss of each step.</param>
/// <param name="SmoothedLosses">The exponential moving average of the losses, bias-corrected (fastai's smoothing).</param>
/// <param name="Diverged">Whether the sweep stopped early because the loss diverged.</param>
/// <param name="SuggestedLearningRate">
/// The rate where the smoothed loss falls fastest against log(rate), among the steps up to its minimum (fastai's "steep"
/// suggestion); <see cref="MinimumLossLearningRate"/> / 10 when fewer than three steps lie before the minimum.
/// </param>
/// <param name="MinimumLossLearningRate">The rate of the smallest smoothed loss (divide by 10 for fastai's other suggestion).</param>
public sealed record LearningRateCurve(
    IReadOnlyList<float> LearningRates, IReadOnlyList<float> Losses, IReadOnlyList<double> SmoothedLosses, bool Diverged,
    float SuggestedLearningRate, float MinimumLossLearningRate)
{
    /// <summary>
    /// The curve as CSV: <c>learning_rate,loss,smoothed_loss</c>, one line per step, numbers in the invariant culture and round-trip
    /// format, lines ending with <c>\n</c>.
    /// </summary>
    public string ToCsv()
    {
        var text = new StringBuilder("learning_rate,loss,smoothed_loss\n");
        for (int i = 0; i < LearningRates.Count; i++)
        {
            text.Append(string.Create(CultureInfo.InvariantCulture, $"{LearningRates[i]:R},{Losses[i]:R},{SmoothedLosses[i]:R}\n"));
        }

        return text.ToString();
    }
}

/// <summary>
/// The learning-rate range test (Leslie Smith, "Cyclical Learning Rates for Training Neural Networks", 2017; fastai's
/// <c>lr_find</c>): trains for a few steps with the rate rising exponentially from a minimum to a maximum, records the loss, stops
/// when it diverges, and puts the trainer back as it was, bit for bit.
/// </summary>
public static class LearningRateFinder
{
    /// <summary>
    /// Sweeps the rate over <paramref name="batches"/> (batch <c>Steps + k</c> at step <c>k</c>, as <c>Fit</c> would read them) and
    /// restores the trainer: parameters, state buffers, gradients, optimizer state, step count, dropout seed and last rate are
    /// copied before the first step and put back afterwards, even when a step throws. The rate of step <c>i</c> of <c>n</c> is
    /// <c>min · (max / min)^(i / (n - 1))</c>, used for every parameter group times its scale (the schedule and
    /// <see cref="TrainerBase.LearningRateMultiplier"/> are ignored during the sweep); frozen members stay frozen.
    /// </summary>
    /// <param name="trainer">A generated trainer.</param>
    /// <param name="batches">Training batches.</param>
    /// <param name="options">The sweep's settings (fastai's defaults when null).</param>
    /// <typeparam name="TBatch">The model's generated <c>Batch</c>.</typeparam>
    /// <returns>The curve and the suggested rate.</returns>
    /// <exception cref="ArgumentException">The trainer is not a generated one (no <see cref="TrainerBase"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">Rates not finite, positive and increasing; fewer than 2 steps; a smoothing outside [0, 1).</exception>
    public static LearningRateCurve Run<TBatch>(ITrainer<TBatch> trainer, IBatchSource<TBatch> batches, LearningRateFinderOptions? options = null)
        where TBatch : IBatch, new()
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(batches);
        options ??= new LearningRateFinderOptions();
        if (trainer is not TrainerBase core)
        {
            throw new ArgumentException($"LearningRateFinder: {trainer.GetType().Name} is not a generated trainer (TrainerBase), so its state cannot be restored.", nameof(trainer));
        }

        float min = options.MinLearningRate, max = options.MaxLearningRate;
        if (!(min > 0f) || !float.IsFinite(max) || !(max > min))
        {
            throw new ArgumentOutOfRangeException(nameof(options), string.Create(CultureInfo.InvariantCulture,
                $"LearningRateFinder: the rates must be finite with 0 < MinLearningRate < MaxLearningRate; got {min} and {max}."));
        }

        if (options.Steps < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Steps, "LearningRateFinder: Steps must be at least 2.");
        }

        if (!(options.Smoothing >= 0 && options.Smoothing < 1) || !(options.DivergenceFactor > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), string.Create(CultureInfo.InvariantCulture,
                $"LearningRateFinder: Smoothing must be in [0, 1) and DivergenceFactor above 1; got {options.Smoothing} and {options.DivergenceFactor}."));
        }

        var rates = new List<float>(options.Steps);
        var losses = new List<float>(options.Steps);
        var smoothed = new List<double>(options.Steps);
        bool diverged = false;
        var batch = new TBatch();
        TrainerBase.TrainerSnapshot snapshot = core.CaptureSnapshot();
        try
        {
            double average = 0, best = double.PositiveInfinity, beta = options.Smoothing;
            for (int i = 0; i < options.Steps; i++)
            {
                float rate = (float)(min * Math.Pow((double)max / min, (double)i / (options.Steps - 1)));
                core.LearningRateOverride = rate;
                batches.Fill(batch, trainer.Steps);
                float loss = trainer.Step(batch);
                average = (beta * average) + ((1 - beta) * loss);
                double smooth = average / (1 - Math.Pow(beta, i + 1));
                rates.Add(rate);
                losses.Add(loss);
                smoothed.Add(smooth);
                if (!double.IsFinite(smooth) || smooth > options.DivergenceFactor * best)
                {
                    diverged = true;
                    break;
                }

                best = Math.Min(best, smooth);
            }
        }
        finally
        {
            core.LearningRateOverride = null;
            core.RestoreSnapshot(snapshot);
        }

        (float suggested, float atMinimum) = Suggest(rates, smoothed);
        return new LearningRateCurve(rates, losses, smoothed, diverged, suggested, atMinimum);
    }

    /// <summary>The steepest descent of the smoothed loss against log(rate) before its minimum, and the rate of the minimum.</summary>
    private static (float Suggested, float AtMinimum) Suggest(List<float> rates, List<double> smoothed)
    {
        int minimum = 0;
        for (int i = 1; i < smoothed.Count; i++)
        {
            if (double.IsFinite(smoothed[i]) && !(smoothed[i] >= smoothed[minimum]))
            {
                minimum = i;
            }
        }

        if (minimum < 2)
        {
            return (rates[minimum] / 10f, rates[minimum]);
        }

        int steepest = 0;
        double steepestSlope = double.PositiveInfinity;
        for (int i = 0; i < minimum; i++)
        {
            double slope = (smoothed[i + 1] - smoothed[i]) / (Math.Log(rates[i + 1]) - Math.Log(rates[i]));
            if (slope < steepestSlope)
            {
                steepestSlope = slope;
                steepest = i;
            }
        }

        return (rates[steepest], rates[minimum]);
    }
}
