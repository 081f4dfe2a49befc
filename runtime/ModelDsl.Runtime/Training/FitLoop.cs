using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using ModelDsl.Data;
using ModelDsl.Metrics;

namespace ModelDsl.Training;

/// <summary>
/// One <c>Fit</c> run: its batches, metrics and history, made once, then a step at a time. Internal so tests can measure
/// one step (<see cref="TrainStep"/>) on its own.
/// </summary>
internal sealed class FitLoop<TBatch>
    where TBatch : IBatch, new()
{
    private readonly ITrainer<TBatch> _trainer;
    private readonly TrainerBase? _base;
    private readonly IBatchSource<TBatch> _train;
    private readonly IBatchSource<TBatch>? _validation;
    private readonly FitOptions _options;
    private readonly TBatch _batch = new();
    private readonly TBatch? _validationBatch;
    private readonly IFitCallback[] _callbacks;
    private readonly Metric[] _metrics;
    private readonly Metric? _monitored;
    private readonly bool _higherIsBetter;
    private readonly string[] _lossNames;
    private readonly float[] _stepLosses;
    private readonly double[] _validationLosses;
    private int _badEvaluations;
    private bool _bestSaved;

    internal FitLoop(ITrainer<TBatch> trainer, IBatchSource<TBatch> train, IBatchSource<TBatch>? validation, FitOptions options)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        _trainer = trainer;
        _base = trainer as TrainerBase;
        _train = train;
        _validation = validation;
        _options = options;
        _callbacks = [.. options.Callbacks];
        _metrics = [.. options.Metrics];
        if (options.Steps < 0 || options.Epochs < 0 || (options.Steps == 0 && options.Epochs == 0))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"FitOptions: give a positive Steps or Epochs (Steps {options.Steps}, Epochs {options.Epochs})."), nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.EvaluateEvery);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Patience);
        _lossNames = _base is null ? [] : [.. _base.LossNames];
        _stepLosses = new float[_lossNames.Length];
        _validationLosses = new double[_lossNames.Length];
        var names = new List<string> { "loss" };
        foreach (string lossName in _lossNames)
        {
            names.Add(LossMetric(lossName)); // the validation mean of each loss, beside the total
        }

        foreach (Metric metric in _metrics)
        {
            if (names.Contains(metric.Name))
            {
                throw new ArgumentException($"FitOptions.Metrics: two metrics are named '{metric.Name}'.", nameof(options));
            }

            names.Add(metric.Name);
        }

        if (!names.Contains(options.Monitor))
        {
            throw new ArgumentException($"FitOptions.Monitor '{options.Monitor}' is not an evaluated metric ({string.Join(", ", names)}).", nameof(options));
        }

        _monitored = Array.Find(_metrics, m => m.Name == options.Monitor);
        _higherIsBetter = _monitored?.HigherIsBetter ?? false;
        if (validation is null && (options.Patience > 0 || options.BestCheckpointPath is not null))
        {
            throw new ArgumentException("FitOptions: early stopping (Patience) and the best checkpoint need validation data.", nameof(validation));
        }

        if (options.RestoreBest && options.BestCheckpointPath is null)
        {
            throw new ArgumentException("FitOptions.RestoreBest needs a BestCheckpointPath.", nameof(options));
        }

        if (options.ResumeFrom is { } resume)
        {
            if (!File.Exists(resume))
            {
                throw new FileNotFoundException($"FitOptions.ResumeFrom: no checkpoint at '{resume}'.", resume);
            }

            trainer.LoadCheckpoint(resume);
        }

        _validationBatch = validation is null ? default : new TBatch();
        StartStep = trainer.Steps;
        TotalSteps = options.Steps > 0 ? options.Steps : checked(options.Epochs * train.BatchesPerEpoch);
        MetricNames = names;
        History = new History(names, (int)Math.Clamp(TotalSteps - StartStep, 0, int.MaxValue)) { LossNames = _lossNames };
    }

    /// <summary>The evaluated metric holding one loss's validation mean: <c>loss_{name}</c> (CSV column <c>val_loss_{name}</c>).</summary>
    internal static string LossMetric(string lossName) => "loss_" + lossName;

    internal long StartStep { get; }

    internal long TotalSteps { get; }

    internal IReadOnlyList<string> MetricNames { get; }

    internal History History { get; }

    internal bool Stopped { get; private set; }

    internal History Run()
    {
        var start = new FitStart(TotalSteps, _train.BatchesPerEpoch, StartStep, MetricNames) { LossNames = _lossNames };
        foreach (IFitCallback callback in _callbacks)
        {
            callback.OnFitBegin(start);
        }

        History.StopReason = FitStopReason.Completed;
        while (!Stopped && _trainer.Steps < TotalSteps)
        {
            bool stop = TrainStep();
            long step = _trainer.Steps;
            bool due = _options.EvaluateEvery > 0 ? step % _options.EvaluateEvery == 0 : step % _train.BatchesPerEpoch == 0;
            if (due || stop || step >= TotalSteps)
            {
                Evaluate();
            }

            if (stop && History.StopReason == FitStopReason.Completed)
            {
                History.StopReason = FitStopReason.Callback;
                Stopped = true;
            }
        }

        if (_options.CheckpointPath is { } last)
        {
            _trainer.SaveCheckpoint(last);
        }

        if (_options.RestoreBest && _bestSaved)
        {
            _trainer.LoadCheckpoint(_options.BestCheckpointPath!);
        }

        foreach (IFitCallback callback in _callbacks)
        {
            callback.OnFitEnd(History);
        }

        return History;
    }

    /// <summary>One step: the next batch, <c>Step</c>, the history, the callbacks. Returns whether a callback asks to stop. Allocates nothing.</summary>
    internal bool TrainStep()
    {
        long index = _trainer.Steps;
        _train.Fill(_batch, index);
        float loss = _trainer.Step(_batch);
        long step = _trainer.Steps;
        if (_stepLosses.Length > 0)
        {
            _base!.LastLosses.CopyTo(_stepLosses);
        }

        History.AddStep(step, loss, _stepLosses);
        var info = new FitStep(step, (step - 1) / _train.BatchesPerEpoch, loss, _base?.LearningRate ?? float.NaN, _train.ExamplesBefore(step))
        {
            Losses = _stepLosses,
        };
        bool stop = false;
        for (int i = 0; i < _callbacks.Length; i++)
        {
            _callbacks[i].OnStepEnd(in info);
            stop |= _callbacks[i].StopRequested;
        }

        return stop;
    }

    /// <summary>Evaluates every metric on the validation data, records it, keeps the checkpoints and decides early stopping.</summary>
    internal void Evaluate()
    {
        if (_validation is null)
        {
            return;
        }

        foreach (Metric metric in _metrics)
        {
            metric.Reset();
        }

        double lossSum = 0;
        long rows = 0;
        Array.Clear(_validationLosses);
        for (long b = 0; b < _validation.BatchesPerEpoch; b++)
        {
            int count = _validation.Fill(_validationBatch!, b);
            float loss = _trainer.Evaluate(_validationBatch!);
            lossSum += (double)loss * count;
            rows += count;
            for (int i = 0; i < _validationLosses.Length; i++)
            {
                _validationLosses[i] += (double)_base!.LastLosses[i] * count;
            }

            foreach (Metric metric in _metrics)
            {
                metric.Update(_validationBatch!, _trainer, loss);
            }
        }

        var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = lossSum / rows };
        for (int i = 0; i < _lossNames.Length; i++)
        {
            values[LossMetric(_lossNames[i])] = _validationLosses[i] / rows;
        }

        foreach (Metric metric in _metrics)
        {
            values[metric.Name] = metric.Result;
        }

        long step = _trainer.Steps;
        double value = values[_options.Monitor];
        bool isBest = !double.IsNaN(value) && (double.IsNaN(History.BestValue)
            || (_higherIsBetter ? value > History.BestValue + _options.MinDelta : value < History.BestValue - _options.MinDelta));
        if (isBest)
        {
            History.BestValue = value;
            History.BestStep = step;
            _badEvaluations = 0;
            if (_options.BestCheckpointPath is { } best)
            {
                _trainer.SaveCheckpoint(best);
                _bestSaved = true;
            }
        }
        else
        {
            _badEvaluations++;
        }

        if (_options.CheckpointPath is { } last)
        {
            _trainer.SaveCheckpoint(last);
        }

        var evaluation = new FitEvaluation(step, Math.Max(0, step - 1) / _train.BatchesPerEpoch, values, isBest);
        History.AddEvaluation(evaluation);
        foreach (IFitCallback callback in _callbacks)
        {
            callback.OnEvaluation(evaluation);
        }

        if (_options.Patience > 0 && _badEvaluations >= _options.Patience)
        {
            History.StopReason = FitStopReason.EarlyStopping;
            Stopped = true;
        }
    }
}
