using System;
using System.Collections.Generic;

namespace ModelDsl.Training;

/// <summary>
/// User code that <c>Fit</c> calls as training goes: at the start, after every optimizer step, after every evaluation
/// and at the end. Every member has an empty default, so a callback implements only what it needs. A callback may stop
/// training (a time limit, a target reached) through <see cref="StopRequested"/>.
/// </summary>
/// <remarks>
/// <see cref="OnStepEnd"/> runs inside the loop that allocates nothing between evaluations: it gets the step by
/// reference and should not allocate either if the run is to stay at 0 bytes per step.
/// </remarks>
public interface IFitCallback
{
    /// <summary>Called once before the first step.</summary>
    /// <param name="start">The run's length, where it starts (after a resume) and the metrics it evaluates.</param>
    void OnFitBegin(FitStart start)
    {
    }

    /// <summary>Called after each optimizer step.</summary>
    /// <param name="step">The step just taken: its number, epoch, loss, learning rate and examples seen.</param>
    void OnStepEnd(in FitStep step)
    {
    }

    /// <summary>Called after each evaluation on the validation data.</summary>
    /// <param name="evaluation">The step, epoch, metric values (validation <c>loss</c> included) and whether it is the best so far.</param>
    void OnEvaluation(FitEvaluation evaluation)
    {
    }

    /// <summary>Called once when training ends, whatever ended it.</summary>
    /// <param name="history">The training losses and evaluations of the run.</param>
    void OnFitEnd(History history)
    {
    }

    /// <summary>Read after every step; true stops training after that step (an evaluation is made first when one is due).</summary>
    bool StopRequested => false;
}

/// <summary>What <see cref="IFitCallback.OnFitBegin"/> is told.</summary>
/// <param name="TotalSteps">The step number training ends at, unless stopped early (counted from the first step ever, so a resumed run ends where the uninterrupted one would).</param>
/// <param name="StepsPerEpoch">Batches in one pass over the training data.</param>
/// <param name="StartStep">Steps already taken: 0 for a new run, more after a resume.</param>
/// <param name="MetricNames">The names of the evaluated metrics, <c>loss</c> first.</param>
public sealed record FitStart(long TotalSteps, long StepsPerEpoch, long StartStep, IReadOnlyList<string> MetricNames)
{
    /// <summary>The trainer's <see cref="TrainerBase.LossNames"/> (a model whose objective weighs several losses); empty otherwise.</summary>
    public IReadOnlyList<string> LossNames { get; init; } = [];
}

/// <summary>One optimizer step, as <see cref="IFitCallback.OnStepEnd"/> sees it.</summary>
/// <param name="Step">The step's number, from 1 (the trainer's <c>Steps</c> after it).</param>
/// <param name="Epoch">The epoch the step belongs to, from 0.</param>
/// <param name="Loss">The training batch's loss.</param>
/// <param name="LearningRate">The learning rate the step used.</param>
/// <param name="Examples">Training examples seen so far, this step's included.</param>
public readonly record struct FitStep(long Step, long Epoch, float Loss, float LearningRate, long Examples)
{
    /// <summary>
    /// The step's per-loss values (<see cref="TrainerBase.LastLosses"/>, unweighted, in <see cref="FitStart.LossNames"/> order; empty for a
    /// model with one unweighted loss). A view of the fit loop's buffer, overwritten by the next step: copy what you keep.
    /// </summary>
    public ReadOnlyMemory<float> Losses { get; init; }
}

/// <summary>One evaluation, as <see cref="IFitCallback.OnEvaluation"/> sees it.</summary>
/// <param name="Step">The step after which the evaluation ran.</param>
/// <param name="Epoch">The epoch of that step, from 0.</param>
/// <param name="Metrics">Metric name to value; the validation loss is <c>loss</c>.</param>
/// <param name="IsBest">Whether the monitored metric is the best so far (the best checkpoint, if kept, was just written).</param>
public sealed record FitEvaluation(long Step, long Epoch, IReadOnlyDictionary<string, double> Metrics, bool IsBest);
