using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace ModelDsl.Training;

/// <summary>
/// Plain progress lines for output that is not a live console (CI logs, files): one line every <c>everySteps</c> steps
/// or every <c>interval</c> of time, whichever comes first, one line per evaluation, and a closing line. The clock is a
/// <see cref="TimeProvider"/> so tests control it. Writing a line allocates; steps without a line do not.
/// </summary>
/// <example><c>step 200/1000 epoch 1 loss 0.4123 lr 0.0003 ex/s 812.4 eta 0:00:58</c>; with several losses the loss is followed by
/// each one's value, <c>loss 1.9123 (Mlm 2.4110, Nsp 0.6452)</c>.</example>
public sealed class ConsoleLinesCallback : IFitCallback
{
    private readonly TextWriter _writer;
    private readonly long _everySteps;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _clock;
    private long _totalSteps;
    private long _startStep;
    private long _startExamples = -1;
    private long _startTicks;
    private long _lastLineTicks;
    private long _firstStepTicks;
    private string[] _lossNames = [];

    /// <summary>Writes to <paramref name="writer"/> (e.g. <see cref="Console.Out"/>).</summary>
    /// <param name="writer">Where the lines go.</param>
    /// <param name="everySteps">A line every this many steps (0: only by time).</param>
    /// <param name="interval">A line when this much time has passed since the last one (null: only by steps).</param>
    /// <param name="clock">The clock; null for the system's.</param>
    public ConsoleLinesCallback(TextWriter writer, long everySteps = 100, TimeSpan? interval = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfNegative(everySteps);
        if (everySteps == 0 && interval is null)
        {
            throw new ArgumentException("Give everySteps, an interval, or both: otherwise no progress line is ever written.", nameof(everySteps));
        }

        _writer = writer;
        _everySteps = everySteps;
        _interval = interval ?? TimeSpan.MaxValue;
        _clock = clock ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public void OnFitBegin(FitStart start)
    {
        ArgumentNullException.ThrowIfNull(start);
        _totalSteps = start.TotalSteps;
        _startStep = start.StartStep;
        _startTicks = _lastLineTicks = _clock.GetTimestamp();
        _lossNames = [.. start.LossNames];
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fit: steps {start.StartStep + 1}..{start.TotalSteps}, {start.StepsPerEpoch} per epoch, metrics {string.Join(", ", start.MetricNames)}"));
    }

    /// <inheritdoc/>
    public void OnStepEnd(in FitStep step)
    {
        long now = _clock.GetTimestamp();
        if (_startExamples < 0)
        {
            // Throughput counts from the end of the first step (whose examples have no start time of their own).
            _startExamples = step.Examples;
            _firstStepTicks = now;
        }

        TimeSpan sinceLine = _clock.GetElapsedTime(_lastLineTicks, now);
        bool byStep = _everySteps > 0 && step.Step % _everySteps == 0;
        if (!byStep && sinceLine < _interval && step.Step != _totalSteps)
        {
            return;
        }

        _lastLineTicks = now;
        double seconds = _clock.GetElapsedTime(_startTicks, now).TotalSeconds;
        double sinceFirst = _clock.GetElapsedTime(_firstStepTicks, now).TotalSeconds;
        long done = step.Step - _startStep;
        double examplesPerSecond = sinceFirst > 0 ? (step.Examples - _startExamples) / sinceFirst : double.NaN;
        string eta = seconds > 0 && done > 0 ? Format(TimeSpan.FromSeconds(seconds / done * (_totalSteps - step.Step))) : "?";
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {step.Step}/{_totalSteps} epoch {step.Epoch} loss {step.Loss:0.0000}{LossParts(_lossNames, step.Losses.Span)} lr {step.LearningRate:G4} ex/s {(double.IsNaN(examplesPerSecond) ? "?" : examplesPerSecond.ToString("0.0", CultureInfo.InvariantCulture))} eta {eta}"));
    }

    /// <inheritdoc/>
    public void OnEvaluation(FitEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"eval step {evaluation.Step} epoch {evaluation.Epoch}:");
        foreach (var (name, value) in evaluation.Metrics)
        {
            line.Append(CultureInfo.InvariantCulture, $" {name} {value:0.0000}");
        }

        _writer.WriteLine(evaluation.IsBest ? line.Append(" (best)").ToString() : line.ToString());
    }

    /// <inheritdoc/>
    public void OnFitEnd(History history)
    {
        ArgumentNullException.ThrowIfNull(history);
        string best = double.IsNaN(history.BestValue) ? string.Empty : string.Create(CultureInfo.InvariantCulture, $", best {history.BestValue:0.0000} at step {history.BestStep}");
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fit: {history.StopReason} after {history.StepCount} steps in {Format(_clock.GetElapsedTime(_startTicks))}{best}"));
    }

    /// <summary>The per-loss values of a step, <c> (Mlm 2.3026, Nsp 0.6931)</c>, or empty for a model with one loss.</summary>
    internal static string LossParts(string[] names, ReadOnlySpan<float> values)
    {
        if (names.Length == 0 || values.Length != names.Length)
        {
            return string.Empty;
        }

        var text = new StringBuilder(" (");
        for (int i = 0; i < names.Length; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(names[i]).Append(' ').Append(values[i].ToString("0.0000", CultureInfo.InvariantCulture));
        }

        return text.Append(')').ToString();
    }

    private static string Format(TimeSpan time) => time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
}
