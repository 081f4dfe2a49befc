using System.Collections.Generic;
using ModelDsl.Metrics;

namespace ModelDsl.Training;

/// <summary>
/// How <see cref="FitExtensions.Fit"/> trains: how long, when it evaluates and with which metrics, when it stops early,
/// which checkpoints it keeps and where it resumes from. The learning-rate schedule and gradient clipping are the
/// trainer's own (given to <c>CreateTrainer</c>); every step of <c>Fit</c> uses them.
/// </summary>
public sealed record FitOptions
{
    /// <summary>Passes over the training data (used when <see cref="Steps"/> is 0).</summary>
    public int Epochs { get; init; }

    /// <summary>The step number to train up to (counted from the first step ever, so a resumed run ends where the uninterrupted one would); 0 to use <see cref="Epochs"/>.</summary>
    public long Steps { get; init; }

    /// <summary>Evaluate on the validation data every this many steps; 0 evaluates at the end of each epoch. The last step is always evaluated.</summary>
    public long EvaluateEvery { get; init; }

    /// <summary>The metrics evaluated besides the validation loss (<c>loss</c>), e.g. <c>[new Accuracy()]</c>.</summary>
    public IReadOnlyList<Metric> Metrics { get; init; } = [];

    /// <summary>The metric that decides the best evaluation and early stopping: <c>loss</c> (the default) or a metric's name.</summary>
    public string Monitor { get; init; } = "loss";

    /// <summary>Stop when <see cref="Monitor"/> has not improved for this many evaluations in a row; 0 never stops early.</summary>
    public int Patience { get; init; }

    /// <summary>The least change of <see cref="Monitor"/> that counts as an improvement.</summary>
    public double MinDelta { get; init; }

    /// <summary>Where the checkpoint of the best evaluation is written (atomically, each time the best improves), or null.</summary>
    public string? BestCheckpointPath { get; init; }

    /// <summary>With <see cref="BestCheckpointPath"/>: reload the best checkpoint when training ends (parameters, optimizer state and <c>Steps</c>).</summary>
    public bool RestoreBest { get; init; }

    /// <summary>Where the latest checkpoint is written (atomically) after every evaluation and when training ends, or null; resume from it with <see cref="ResumeFrom"/>.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>A checkpoint to resume from before the first step (it must exist); training continues bit for bit where it was written.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>User code called as training goes.</summary>
    public IReadOnlyList<IFitCallback> Callbacks { get; init; } = [];
}
