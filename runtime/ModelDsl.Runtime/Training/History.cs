using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace ModelDsl.Training;

/// <summary>
/// What a <c>Fit</c> run recorded: the training loss of every step, and every evaluation's metrics. Read the series to
/// plot curves (<see cref="TrainingLoss()"/>, per loss <see cref="TrainingLoss(string)"/>, <see cref="Metric"/>), or write everything as one CSV file
/// (<see cref="WriteCsv"/>).
/// </summary>
/// <remarks>
/// Space for the steps is taken when the run starts, so recording a step allocates nothing.
/// </remarks>
public sealed class History
{
    private long[] _steps;
    private float[] _losses;
    private float[] _parts = [];
    private readonly string[] _lossNames = [];
    private readonly List<FitEvaluation> _evaluations = [];

    /// <summary>Creates an empty history with room for <paramref name="capacity"/> steps (it grows past that).</summary>
    /// <param name="metricNames">The evaluated metrics, <c>loss</c> first.</param>
    /// <param name="capacity">Steps to make room for.</param>
    public History(IReadOnlyList<string> metricNames, int capacity = 0)
    {
        ArgumentNullException.ThrowIfNull(metricNames);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        MetricNames = [.. metricNames];
        _steps = new long[capacity];
        _losses = new float[capacity];
    }

    /// <summary>
    /// The names of the per-loss training values each step records (the trainer's <see cref="TrainerBase.LossNames"/>, when its objective
    /// weighs several losses); empty otherwise. The CSV has a <c>train_{name}</c> column for each, after <c>train_loss</c>.
    /// </summary>
    public IReadOnlyList<string> LossNames
    {
        get => _lossNames;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _lossNames = [.. value];
            _parts = new float[_steps.Length * _lossNames.Length];
        }
    }

    /// <summary>The evaluated metrics, in column order (<c>loss</c> first).</summary>
    public IReadOnlyList<string> MetricNames { get; }

    /// <summary>Steps recorded.</summary>
    public int StepCount { get; private set; }

    /// <summary>The recorded steps' numbers (from 1; after a resume they start past the checkpoint's step).</summary>
    public ReadOnlySpan<long> StepNumbers => _steps.AsSpan(0, StepCount);

    /// <summary>The recorded steps' training losses, aligned with <see cref="StepNumbers"/>.</summary>
    public ReadOnlySpan<float> StepLosses => _losses.AsSpan(0, StepCount);

    /// <summary>Every evaluation, in order.</summary>
    public IReadOnlyList<FitEvaluation> Evaluations => _evaluations;

    /// <summary>Why the run ended.</summary>
    public FitStopReason StopReason { get; internal set; }

    /// <summary>The step of the best evaluation of the monitored metric, or 0 when nothing was evaluated.</summary>
    public long BestStep { get; internal set; }

    /// <summary>The best value of the monitored metric, or NaN when nothing was evaluated.</summary>
    public double BestValue { get; internal set; } = double.NaN;

    /// <summary>Records one step's training loss (allocates only past the capacity given at construction).</summary>
    /// <param name="step">The step's number.</param>
    /// <param name="loss">Its training loss.</param>
    public void AddStep(long step, float loss) => AddStep(step, loss, []);

    /// <summary>Records one step's training loss and its per-loss values (allocates only past the capacity given at construction).</summary>
    /// <param name="step">The step's number.</param>
    /// <param name="loss">Its training loss (the weighted total).</param>
    /// <param name="losses">One value per <see cref="LossNames"/> entry (empty when there are none).</param>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have one value per loss name.</exception>
    public void AddStep(long step, float loss, ReadOnlySpan<float> losses)
    {
        if (losses.Length != _lossNames.Length)
        {
            throw new ArgumentException($"Step {step} has {losses.Length} per-loss values; this history records {_lossNames.Length} ({string.Join(", ", _lossNames)}).", nameof(losses));
        }

        if (StepCount == _steps.Length)
        {
            int grown = Math.Max(16, _steps.Length * 2);
            Array.Resize(ref _steps, grown);
            Array.Resize(ref _losses, grown);
            Array.Resize(ref _parts, grown * _lossNames.Length);
        }

        _steps[StepCount] = step;
        _losses[StepCount] = loss;
        losses.CopyTo(_parts.AsSpan(StepCount * _lossNames.Length));
        StepCount++;
    }

    /// <summary>One loss's training value per step, as a curve named <c>train_{name}</c> (x: step, y: the unweighted loss).</summary>
    /// <param name="name">One of <see cref="LossNames"/>.</param>
    /// <exception cref="ArgumentException">No such loss.</exception>
    public HistorySeries TrainingLoss(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int index = Array.IndexOf(_lossNames, name);
        if (index < 0)
        {
            throw new ArgumentException($"No loss '{name}' in this history; it records {(_lossNames.Length == 0 ? "none" : string.Join(", ", _lossNames))}.", nameof(name));
        }

        var x = new double[StepCount];
        var y = new double[StepCount];
        for (int i = 0; i < StepCount; i++)
        {
            x[i] = _steps[i];
            y[i] = _parts[(i * _lossNames.Length) + index];
        }

        return new HistorySeries("train_" + name, x, y);
    }

    /// <summary>Records one evaluation.</summary>
    /// <param name="evaluation">The evaluation; its metrics must be named in <see cref="MetricNames"/>.</param>
    /// <exception cref="ArgumentException">A metric is not one of <see cref="MetricNames"/>.</exception>
    public void AddEvaluation(FitEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        foreach (string name in evaluation.Metrics.Keys)
        {
            if (!Contains(MetricNames, name))
            {
                throw new ArgumentException($"The evaluation at step {evaluation.Step} has a metric '{name}' that is not one of this history's metrics ({string.Join(", ", MetricNames)}).", nameof(evaluation));
            }
        }

        _evaluations.Add(evaluation);
    }

    /// <summary>The training loss per step, as a curve (x: step, y: loss).</summary>
    public HistorySeries TrainingLoss()
    {
        var x = new double[StepCount];
        var y = new double[StepCount];
        for (int i = 0; i < StepCount; i++)
        {
            x[i] = _steps[i];
            y[i] = _losses[i];
        }

        return new HistorySeries("train_loss", x, y);
    }

    /// <summary>An evaluated metric per evaluation, as a curve (x: step, y: value); the validation loss is <c>loss</c>.</summary>
    /// <param name="name">One of <see cref="MetricNames"/>.</param>
    /// <exception cref="ArgumentException">No such metric.</exception>
    public HistorySeries Metric(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Contains(MetricNames, name))
        {
            throw new ArgumentException($"No metric '{name}' in this history; it has {string.Join(", ", MetricNames)}.", nameof(name));
        }

        var x = new List<double>(_evaluations.Count);
        var y = new List<double>(_evaluations.Count);
        foreach (FitEvaluation evaluation in _evaluations)
        {
            if (evaluation.Metrics.TryGetValue(name, out double value))
            {
                x.Add(evaluation.Step);
                y.Add(value);
            }
        }

        return new HistorySeries(name, [.. x], [.. y]);
    }

    /// <summary>
    /// The history as CSV text: a header <c>step,epoch,train_loss,val_{metric}...</c>, then one row per step (the metric
    /// columns empty where no evaluation ran after that step). Numbers in the invariant culture, round-trippable.
    /// </summary>
    public string ToCsv()
    {
        var text = new StringBuilder();
        text.Append("step,epoch,train_loss");
        foreach (string name in _lossNames)
        {
            text.Append(",train_").Append(name);
        }

        foreach (string name in MetricNames)
        {
            text.Append(",val_").Append(name);
        }

        text.Append('\n');
        var evaluationAt = new Dictionary<long, FitEvaluation>();
        foreach (FitEvaluation evaluation in _evaluations)
        {
            evaluationAt[evaluation.Step] = evaluation;
        }

        var written = new HashSet<long>();
        for (int i = 0; i < StepCount; i++)
        {
            long step = _steps[i];
            evaluationAt.TryGetValue(step, out FitEvaluation? evaluation);
            text.Append(step.ToString(CultureInfo.InvariantCulture)).Append(',');
            text.Append(evaluation is null ? string.Empty : evaluation.Epoch.ToString(CultureInfo.InvariantCulture)).Append(',');
            text.Append(_losses[i].ToString("R", CultureInfo.InvariantCulture));
            for (int j = 0; j < _lossNames.Length; j++)
            {
                text.Append(',').Append(_parts[(i * _lossNames.Length) + j].ToString("R", CultureInfo.InvariantCulture));
            }

            AppendMetrics(text, evaluation);
            text.Append('\n');
            written.Add(step);
        }

        // An evaluation with no recorded step (a run evaluated before its first step, after a resume) still gets a row.
        foreach (FitEvaluation evaluation in _evaluations)
        {
            if (!written.Contains(evaluation.Step))
            {
                text.Append(evaluation.Step.ToString(CultureInfo.InvariantCulture)).Append(',')
                    .Append(evaluation.Epoch.ToString(CultureInfo.InvariantCulture)).Append(',').Append(',', _lossNames.Length);
                AppendMetrics(text, evaluation);
                text.Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/> atomically (a temporary file renamed over it).</summary>
    /// <param name="path">The CSV file to write.</param>
    public void WriteCsv(string path) => AtomicText.Write(path, ToCsv());

    private void AppendMetrics(StringBuilder text, FitEvaluation? evaluation)
    {
        foreach (string name in MetricNames)
        {
            text.Append(',');
            if (evaluation is not null && evaluation.Metrics.TryGetValue(name, out double value))
            {
                text.Append(value.ToString("R", CultureInfo.InvariantCulture));
            }
        }
    }

    private static bool Contains(IReadOnlyList<string> names, string name)
    {
        foreach (string candidate in names)
        {
            if (string.Equals(candidate, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>One curve of a <see cref="History"/>: x values (steps) and y values, of equal length.</summary>
/// <param name="Name">The curve's name: <c>train_loss</c> or a metric's name.</param>
/// <param name="Steps">The x values: step numbers.</param>
/// <param name="Values">The y values.</param>
public sealed record HistorySeries(string Name, double[] Steps, double[] Values);

/// <summary>Why a <c>Fit</c> run ended.</summary>
public enum FitStopReason
{
    /// <summary>It ran all its steps or epochs.</summary>
    Completed,

    /// <summary>The monitored metric did not improve for <c>Patience</c> evaluations.</summary>
    EarlyStopping,

    /// <summary>A callback's <see cref="IFitCallback.StopRequested"/> was true.</summary>
    Callback,
}

/// <summary>Writes text files atomically: a temporary file in the same folder, flushed, then renamed over the target.</summary>
internal static class AtomicText
{
    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/> atomically.</summary>
    internal static void Write(string path, string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(text);
        string full = Path.GetFullPath(path);
        IO.TemporaryFiles.RemoveStale(full);
        string temporary = IO.TemporaryFiles.For(full);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                byte[] bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
            IO.TemporaryFiles.FlushDirectory(Path.GetDirectoryName(full)!);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
