using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelDsl.Training;

/// <summary>Whether a lower or a higher monitored value is better (PyTorch's <c>mode</c>).</summary>
public enum PlateauMode
{
    /// <summary>Lower is better (a loss, a perplexity): <c>mode="min"</c>.</summary>
    Min,

    /// <summary>Higher is better (an accuracy): <c>mode="max"</c>.</summary>
    Max,
}

/// <summary>How the threshold of a significant improvement is measured (PyTorch's <c>threshold_mode</c>).</summary>
public enum PlateauThresholdMode
{
    /// <summary><c>"rel"</c>: better than <c>best × (1 ∓ threshold)</c>.</summary>
    Relative,

    /// <summary><c>"abs"</c>: better than <c>best ∓ threshold</c>.</summary>
    Absolute,
}

/// <summary>The settings of <see cref="ReduceLearningRateOnPlateau"/>, with PyTorch's defaults.</summary>
public sealed record PlateauOptions
{
    /// <summary>The evaluated metric to watch (<c>loss</c>, the validation loss, by default).</summary>
    public string Monitor { get; init; } = "loss";

    /// <summary>Whether lower or higher values are better.</summary>
    public PlateauMode Mode { get; init; } = PlateauMode.Min;

    /// <summary>The rate is multiplied by this on a plateau; in (0, 1).</summary>
    public double Factor { get; init; } = 0.1;

    /// <summary>Evaluations without improvement tolerated; the rate drops at the next one.</summary>
    public int Patience { get; init; } = 10;

    /// <summary>The least improvement that counts, relative or absolute (<see cref="ThresholdMode"/>).</summary>
    public double Threshold { get; init; } = 1e-4;

    /// <summary>How <see cref="Threshold"/> is applied.</summary>
    public PlateauThresholdMode ThresholdMode { get; init; } = PlateauThresholdMode.Relative;

    /// <summary>Evaluations after a reduction during which bad evaluations are not counted.</summary>
    public int Cooldown { get; init; }

    /// <summary>The rate never drops below this.</summary>
    public double MinLearningRate { get; init; }

    /// <summary>A reduction smaller than this is not applied.</summary>
    public double Epsilon { get; init; } = 1e-8;
}

/// <summary>
/// PyTorch's <c>torch.optim.lr_scheduler.ReduceLROnPlateau</c> as a <c>Fit</c> callback: after each evaluation it reads the monitored
/// metric and, once it has not improved for more than <see cref="PlateauOptions.Patience"/> evaluations, multiplies the learning rate
/// by <see cref="PlateauOptions.Factor"/> (not below <see cref="PlateauOptions.MinLearningRate"/>), then waits
/// <see cref="PlateauOptions.Cooldown"/> evaluations. The same arithmetic as PyTorch 1.13's, in double, so the rates are PyTorch's bit
/// for bit (a test replays a metric sequence against PyTorch's rates).
/// </summary>
/// <remarks>
/// The rate it tracks starts at the optimizer's rate and reaches the trainer as <see cref="TrainerBase.LearningRateMultiplier"/>
/// (the tracked rate over the initial one): without a schedule the trainer's rate is the tracked rate; with one, the reductions
/// multiply the scheduled rate and the parameter groups' rates alike (PyTorch reduces each group's rate; with groups of scaled
/// rates this is the same until a group reaches its own <c>min_lr</c>, which here is one bound on the base rate). Call
/// <see cref="Step"/> yourself outside <c>Fit</c>.
/// </remarks>
public sealed class ReduceLearningRateOnPlateau : IFitCallback
{
    private readonly TrainerBase? _trainer;
    private readonly double _initial;

    /// <summary>Reduces <paramref name="trainer"/>'s rate, starting from its optimizer's rate.</summary>
    /// <param name="trainer">The trainer <c>Fit</c> runs.</param>
    /// <param name="options">The settings (PyTorch's defaults when null).</param>
    public ReduceLearningRateOnPlateau(TrainerBase trainer, PlateauOptions? options = null)
        : this(trainer?.OptimizerLearningRate ?? throw new ArgumentNullException(nameof(trainer)), options)
    {
        _trainer = trainer;
    }

    /// <summary>Tracks a rate starting at <paramref name="initialLearningRate"/> without a trainer (call <see cref="Step"/>).</summary>
    /// <param name="initialLearningRate">The starting rate (PyTorch's group <c>lr</c>).</param>
    /// <param name="options">The settings (PyTorch's defaults when null).</param>
    public ReduceLearningRateOnPlateau(double initialLearningRate, PlateauOptions? options = null)
    {
        Options = options ?? new PlateauOptions();
        Check(initialLearningRate >= 0 && double.IsFinite(initialLearningRate), "the initial learning rate must be finite and zero or greater", initialLearningRate);
        Check(Options.Factor > 0 && Options.Factor < 1, "Factor must be in (0, 1)", Options.Factor);
        Check(Options.Patience >= 0, "Patience must be zero or greater", Options.Patience);
        Check(Options.Cooldown >= 0, "Cooldown must be zero or greater", Options.Cooldown);
        Check(Options.Threshold >= 0 && double.IsFinite(Options.Threshold), "Threshold must be finite and zero or greater", Options.Threshold);
        Check(Options.MinLearningRate >= 0 && double.IsFinite(Options.MinLearningRate), "MinLearningRate must be finite and zero or greater", Options.MinLearningRate);
        Check(Options.Epsilon >= 0 && double.IsFinite(Options.Epsilon), "Epsilon must be finite and zero or greater", Options.Epsilon);
        ArgumentNullException.ThrowIfNull(Options.Monitor);
        _initial = initialLearningRate;
        LearningRate = initialLearningRate;
        Best = Options.Mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>The settings.</summary>
    public PlateauOptions Options { get; }

    /// <summary>The current rate (PyTorch's <c>optimizer.param_groups[0]["lr"]</c>).</summary>
    public double LearningRate { get; private set; }

    /// <summary>The best monitored value so far (infinite before the first).</summary>
    public double Best { get; private set; }

    /// <summary>Evaluations since the last improvement (PyTorch's <c>num_bad_epochs</c>).</summary>
    public int BadEvaluations { get; private set; }

    /// <summary>Evaluations of cooldown left.</summary>
    public int CooldownLeft { get; private set; }

    /// <summary>How many times the rate was reduced.</summary>
    public int Reductions { get; private set; }

    /// <summary>
    /// One evaluation's value (PyTorch's <c>scheduler.step(metrics)</c>): updates the best value and the counters, and reduces the
    /// rate when the patience is exhausted. Returns whether the rate was reduced. A NaN value counts as no improvement.
    /// </summary>
    /// <param name="value">The monitored metric.</param>
    public bool Step(double value)
    {
        if (IsBetter(value))
        {
            Best = value;
            BadEvaluations = 0;
        }
        else
        {
            BadEvaluations++;
        }

        if (CooldownLeft > 0)
        {
            CooldownLeft--;
            BadEvaluations = 0; // bad evaluations during the cooldown are ignored
        }

        bool reduced = false;
        if (BadEvaluations > Options.Patience)
        {
            double old = LearningRate;
            double lowered = Math.Max(old * Options.Factor, Options.MinLearningRate);
            if (old - lowered > Options.Epsilon)
            {
                LearningRate = lowered;
                Reductions++;
                reduced = true;
            }

            CooldownLeft = Options.Cooldown;
            BadEvaluations = 0;
        }

        if (_trainer is not null && _initial > 0)
        {
            _trainer.LearningRateMultiplier = LearningRate / _initial;
        }

        return reduced;
    }

    /// <inheritdoc/>
    void IFitCallback.OnFitBegin(FitStart start)
    {
        if (!start.MetricNames.Contains(Options.Monitor))
        {
            throw new ArgumentException(
                $"ReduceLearningRateOnPlateau: the monitored metric '{Options.Monitor}' is not evaluated; the metrics are {string.Join(", ", start.MetricNames)}.");
        }
    }

    /// <inheritdoc/>
    void IFitCallback.OnEvaluation(FitEvaluation evaluation)
    {
        if (!evaluation.Metrics.TryGetValue(Options.Monitor, out double value))
        {
            throw new KeyNotFoundException(
                $"ReduceLearningRateOnPlateau: the evaluation at step {evaluation.Step} has no metric '{Options.Monitor}' ({string.Join(", ", evaluation.Metrics.Keys)}).");
        }

        Step(value);
    }

    private bool IsBetter(double value) => (Options.Mode, Options.ThresholdMode) switch
    {
        (PlateauMode.Min, PlateauThresholdMode.Relative) => value < Best * (1 - Options.Threshold),
        (PlateauMode.Min, _) => value < Best - Options.Threshold,
        (_, PlateauThresholdMode.Relative) => value > Best * (Options.Threshold + 1),
        _ => value > Best + Options.Threshold,
    };

    private static void Check(bool ok, string message, double value)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "ReduceLearningRateOnPlateau: " + message + "; got " + value.ToString("R", CultureInfo.InvariantCulture) + ".");
        }
    }
}
