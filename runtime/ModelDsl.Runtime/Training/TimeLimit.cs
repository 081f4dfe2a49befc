using System;
using System.Globalization;

namespace ModelDsl.Training;

/// <summary>
/// A <c>Fit</c> callback that stops training once a wall-clock budget is spent (PyTorch Lightning's <c>max_time</c>):
/// after the step during which the time ran out, with the evaluation that step is due for, so the run still ends with
/// a measured model. <see cref="FitStopReason.Callback"/> is the history's stop reason, and <see cref="Reached"/> says
/// that this callback was the one.
/// <code>
/// var options = new FitOptions { Steps = 3000, Callbacks = [new TimeLimit(TimeSpan.FromMinutes(5))] };
/// </code>
/// </summary>
/// <remarks>
/// The clock starts when the fit begins and is a <see cref="TimeProvider"/>, so tests drive it. <see cref="OnStepEnd"/>
/// reads a timestamp and allocates nothing.
/// </remarks>
public sealed class TimeLimit : IFitCallback
{
    private readonly TimeProvider _clock;
    private long _start;
    private bool _started;

    /// <summary>Stops a fit after <paramref name="budget"/> of wall-clock time.</summary>
    /// <param name="budget">The time training may take, positive.</param>
    /// <param name="clock">The clock; null for the system's.</param>
    /// <exception cref="ArgumentOutOfRangeException">The budget is zero or negative.</exception>
    public TimeLimit(TimeSpan budget, TimeProvider? clock = null)
    {
        if (budget <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(budget), budget, string.Create(CultureInfo.InvariantCulture,
                $"A time limit must be positive; {budget} was given."));
        }

        Budget = budget;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The time training may take.</summary>
    public TimeSpan Budget { get; }

    /// <summary>Whether the budget ran out during the last fit (so this callback stopped it).</summary>
    public bool Reached { get; private set; }

    /// <inheritdoc/>
    public bool StopRequested => Reached;

    /// <inheritdoc/>
    public void OnFitBegin(FitStart start)
    {
        _start = _clock.GetTimestamp();
        _started = true;
        Reached = false;
    }

    /// <inheritdoc/>
    public void OnStepEnd(in FitStep step)
    {
        if (!_started)
        {
            throw new InvalidOperationException("TimeLimit: OnStepEnd before OnFitBegin; give the callback to FitOptions.Callbacks.");
        }

        Reached |= _clock.GetElapsedTime(_start) >= Budget;
    }
}
