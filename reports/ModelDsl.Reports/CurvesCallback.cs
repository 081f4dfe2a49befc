using System;
using System.Collections.Generic;
using ModelDsl.Training;

namespace ModelDsl.Reports;

/// <summary>
/// A <c>Fit</c> callback that writes the run's curves and table when training ends (<see cref="TrainingCurves.Write"/>):
/// <code>
/// History history = trainer.Fit(train, validation, options with { Callbacks = [new FitProgress(), new CurvesCallback("runs/sentiment")] });
/// // runs/sentiment/training-loss.png, training-accuracy.png, training.csv
/// </code>
/// </summary>
/// <param name="folder">Where the files go (created if missing).</param>
/// <param name="name">The files' common prefix.</param>
/// <param name="logLoss">Draw the loss picture on a log scale (<see cref="TrainingCurves.Write"/>).</param>
public sealed class CurvesCallback(string folder, string name = "training", bool logLoss = false) : IFitCallback
{
    private readonly string _folder = string.IsNullOrEmpty(folder) ? throw new ArgumentException("A folder is needed.", nameof(folder)) : folder;
    private readonly string _name = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A name is needed.", nameof(name)) : name;

    /// <summary>The files the last run wrote (empty before a run ends).</summary>
    public IReadOnlyList<string> Written { get; private set; } = [];

    /// <inheritdoc/>
    public void OnFitEnd(History history) => Written = TrainingCurves.Write(history, _folder, _name, logLoss);
}
