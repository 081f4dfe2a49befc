using System;

namespace ModelDsl.Optim;

/// <summary>
/// A learning rate as a function of the step number. <c>step</c> is the same 1-based count passed to
/// <see cref="Optimizer.Step(Span{float}, ReadOnlySpan{float}, Span{float}, float, long)"/>;
/// step 0 (before training) is accepted too. The formula is evaluated in double.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for step <paramref name="step"/> (zero or greater).</summary>
    public float At(long step)
    {
        if (step < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, FormattableString.Invariant($"{nameof(step)} must be zero or greater; got {step}."));
        }

        return (float)Evaluate(step);
    }

    /// <summary>
    /// The rate this schedule is built around (its constant, peak or initial rate), or null when it derives every
    /// rate from other quantities (<see cref="InverseSquareRootSchedule"/>). The learning rate lives in one place: a
    /// trainer given a schedule with a base rate and an optimizer whose <see cref="Optimizer.LearningRate"/> differs
    /// throws, since the schedule, not the optimizer, sets the rate of every step.
    /// </summary>
    public virtual float? BaseRate => null;

    /// <summary>The formula, for a step already checked to be zero or greater.</summary>
    protected abstract double Evaluate(long step);

    /// <summary>Throws unless <paramref name="value"/> is at least <paramref name="minimum"/>.</summary>
    private protected static void AtLeast(long value, long minimum, string name)
    {
        if (value < minimum)
        {
            throw new ArgumentOutOfRangeException(name, value, FormattableString.Invariant($"{name} must be at least {minimum}; got {value}."));
        }
    }
}

/// <summary>The same rate at every step: <c>lr</c>.</summary>
public sealed class ConstantSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="learningRate">The rate, finite and zero or greater.</param>
    public ConstantSchedule(float learningRate)
    {
        Hyper.NonNegative(learningRate);
        LearningRate = learningRate;
    }

    /// <summary>The rate.</summary>
    public float LearningRate { get; }

    /// <inheritdoc/>
    public override float? BaseRate => LearningRate;

    /// <inheritdoc/>
    protected override double Evaluate(long step) => LearningRate;
}

/// <summary>Linear warmup then constant: <c>lr * min(1, step / warmupSteps)</c> (0 at step 0, <c>lr</c> from step <c>warmupSteps</c> on).</summary>
public sealed class LinearWarmupSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="learningRate">The rate reached at the end of warmup.</param>
    /// <param name="warmupSteps">Steps of warmup, at least 1.</param>
    public LinearWarmupSchedule(float learningRate, long warmupSteps)
    {
        Hyper.NonNegative(learningRate);
        AtLeast(warmupSteps, 1, nameof(warmupSteps));
        LearningRate = learningRate;
        WarmupSteps = warmupSteps;
    }

    /// <summary>The rate after warmup.</summary>
    public float LearningRate { get; }

    /// <inheritdoc/>
    public override float? BaseRate => LearningRate;

    /// <summary>Steps of warmup.</summary>
    public long WarmupSteps { get; }

    /// <inheritdoc/>
    protected override double Evaluate(long step) =>
        step >= WarmupSteps ? LearningRate : (double)LearningRate * step / WarmupSteps;
}

/// <summary>
/// Linear warmup, then cosine decay to a floor:
/// <code>
/// step &lt; warmup:   lr * step / warmup
/// otherwise:       floor + (lr - floor) * 0.5 * (1 + cos(π * min(1, (step - warmup) / (total - warmup))))
/// </code>
/// The rate is <c>lr</c> at <c>step = warmup</c> and <c>floor</c> from <c>step = total</c> on.
/// </summary>
public sealed class WarmupCosineSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="learningRate">The peak rate, reached at the end of warmup.</param>
    /// <param name="warmupSteps">Steps of warmup, zero or greater.</param>
    /// <param name="totalSteps">The step at which the floor is reached, greater than <paramref name="warmupSteps"/>.</param>
    /// <param name="floor">The final rate, in [0, learningRate].</param>
    public WarmupCosineSchedule(float learningRate, long warmupSteps, long totalSteps, float floor = 0f)
    {
        Hyper.NonNegative(learningRate);
        AtLeast(warmupSteps, 0, nameof(warmupSteps));
        AtLeast(totalSteps, warmupSteps + 1, nameof(totalSteps));
        Hyper.NonNegative(floor);
        if (floor > learningRate)
        {
            Hyper.Throw(nameof(floor), floor, FormattableString.Invariant($"must not exceed learningRate ({learningRate})"));
        }

        LearningRate = learningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        Floor = floor;
    }

    /// <summary>The peak rate.</summary>
    public float LearningRate { get; }

    /// <inheritdoc/>
    public override float? BaseRate => LearningRate;

    /// <summary>Steps of warmup.</summary>
    public long WarmupSteps { get; }

    /// <summary>The step at which the floor is reached.</summary>
    public long TotalSteps { get; }

    /// <summary>The final rate.</summary>
    public float Floor { get; }

    /// <inheritdoc/>
    protected override double Evaluate(long step)
    {
        if (step < WarmupSteps)
        {
            return (double)LearningRate * step / WarmupSteps;
        }

        if (step >= TotalSteps)
        {
            return Floor;
        }

        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return Floor + ((double)LearningRate - Floor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}

/// <summary>
/// The schedule of "Attention Is All You Need" (Vaswani et al., 2017, section 5.3):
/// <code>
/// factor * dModel^-0.5 * min(step^-0.5, step * warmup^-1.5)
/// </code>
/// Rises linearly to its peak <c>factor * (dModel * warmup)^-0.5</c> at <c>step = warmup</c>, then
/// decays as <c>step^-0.5</c>. The rate at step 0 is 0.
/// </summary>
public sealed class InverseSquareRootSchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule (the paper: <c>dModel = 512, warmupSteps = 4000, factor = 1</c>).</summary>
    /// <param name="modelWidth">The model width <c>d_model</c>, at least 1.</param>
    /// <param name="warmupSteps">Steps of warmup, at least 1.</param>
    /// <param name="factor">Multiplies the whole rate.</param>
    public InverseSquareRootSchedule(int modelWidth, long warmupSteps, float factor = 1f)
    {
        Guard.Positive(modelWidth);
        AtLeast(warmupSteps, 1, nameof(warmupSteps));
        Hyper.NonNegative(factor);
        ModelWidth = modelWidth;
        WarmupSteps = warmupSteps;
        Factor = factor;
    }

    /// <summary>The model width <c>d_model</c>.</summary>
    public int ModelWidth { get; }

    /// <summary>Steps of warmup.</summary>
    public long WarmupSteps { get; }

    /// <summary>Multiplies the whole rate.</summary>
    public float Factor { get; }

    /// <inheritdoc/>
    protected override double Evaluate(long step)
    {
        if (step == 0)
        {
            return 0;
        }

        double s = step;
        return Factor / Math.Sqrt(ModelWidth) * Math.Min(1 / Math.Sqrt(s), s * Math.Pow(WarmupSteps, -1.5));
    }
}

/// <summary>Step decay, as <c>torch.optim.lr_scheduler.StepLR</c>: <c>lr * gamma^floor(step / stepSize)</c>.</summary>
public sealed class StepDecaySchedule : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="learningRate">The initial rate.</param>
    /// <param name="stepSize">Steps between decays, at least 1.</param>
    /// <param name="gamma">The factor applied every <paramref name="stepSize"/> steps, in [0, 1] (PyTorch default 0.1).</param>
    public StepDecaySchedule(float learningRate, long stepSize, float gamma = 0.1f)
    {
        Hyper.NonNegative(learningRate);
        AtLeast(stepSize, 1, nameof(stepSize));
        if (!(gamma >= 0 && gamma <= 1))
        {
            Hyper.Throw(nameof(gamma), gamma, "must be in [0, 1]");
        }

        LearningRate = learningRate;
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>The initial rate.</summary>
    public float LearningRate { get; }

    /// <inheritdoc/>
    public override float? BaseRate => LearningRate;

    /// <summary>Steps between decays.</summary>
    public long StepSize { get; }

    /// <summary>The decay factor.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    protected override double Evaluate(long step) => LearningRate * Math.Pow(Gamma, step / StepSize);
}
