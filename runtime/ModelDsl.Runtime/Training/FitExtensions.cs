using ModelDsl.Data;

namespace ModelDsl.Training;

/// <summary>The training loop around a generated trainer's <c>Step</c>: <c>trainer.Fit(train, validation, options)</c>.</summary>
public static class FitExtensions
{
    /// <summary>
    /// Trains <paramref name="trainer"/> on <paramref name="train"/> for <see cref="FitOptions.Steps"/> steps or
    /// <see cref="FitOptions.Epochs"/> epochs, evaluating on <paramref name="validation"/> as the options say, keeping the
    /// best and latest checkpoints, stopping early on a metric that no longer improves or when a callback asks, and
    /// returns what happened. Between evaluations each step allocates nothing (unless a callback does).
    /// </summary>
    /// <param name="trainer">A generated trainer.</param>
    /// <param name="train">The training batches (e.g. a shuffled <see cref="BatchLoader{TBatch, TExample}"/>).</param>
    /// <param name="validation">The validation batches (not shuffled), or null for no evaluation.</param>
    /// <param name="options">Length, evaluation, metrics, early stopping, checkpoints, callbacks.</param>
    /// <returns>The training loss of every step and every evaluation's metrics.</returns>
    public static History Fit<TBatch>(this ITrainer<TBatch> trainer, IBatchSource<TBatch> train, IBatchSource<TBatch>? validation, FitOptions options)
        where TBatch : IBatch, new()
    {
        var loop = new FitLoop<TBatch>(trainer, train, validation, options);
        return loop.Run();
    }
}
