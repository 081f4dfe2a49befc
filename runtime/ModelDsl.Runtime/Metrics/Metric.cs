using System;
using ModelDsl.Data;
using ModelDsl.Training;

namespace ModelDsl.Metrics;

/// <summary>
/// A quantity <c>Fit</c> evaluates on the validation data: reset before each evaluation, updated after each validation
/// batch's forward pass (<c>Evaluate</c>), read at the end. Subclass it for a metric of your own (a decoded exact match,
/// a BLEU score).
/// </summary>
public abstract class Metric
{
    /// <summary>The metric's name in the history and the CSV (lower case, no spaces: <c>accuracy</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Whether a larger value is better (for early stopping and the best checkpoint). Default true.</summary>
    public virtual bool HigherIsBetter => true;

    /// <summary>Forgets the previous evaluation.</summary>
    public abstract void Reset();

    /// <summary>Takes in one validation batch, just after <paramref name="trainer"/>'s <c>Evaluate</c> on it.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="trainer">The trainer, holding that batch's outputs.</param>
    /// <param name="loss">The batch's loss.</param>
    public abstract void Update<TBatch>(TBatch batch, ITrainer<TBatch> trainer, float loss)
        where TBatch : IBatch;

    /// <summary>The value over the batches since <see cref="Reset"/>.</summary>
    public abstract double Result { get; }

    /// <summary>The batch's generic setters and the trainer's predictions, or an exception naming what is missing.</summary>
    protected (IBatchRows Batch, IClassifierTrainer<TBatch> Trainer, BatchTarget Target) Classifier<TBatch>(TBatch batch, ITrainer<TBatch> trainer)
        where TBatch : IBatch
    {
        if (batch is not IBatchRows rows || trainer is not IClassifierTrainer<TBatch> classifier)
        {
            throw new InvalidOperationException($"The metric '{Name}' needs a classifier (a cross-entropy head) and a generated batch; {trainer.GetType().Name} is not one.");
        }

        BatchTarget target = rows.Layout.RequireTarget();
        if (!target.IsClass)
        {
            throw new InvalidOperationException($"The metric '{Name}' needs class labels; {rows.Layout.Model}.Batch has a {target.Kind} target.");
        }

        return (rows, classifier, target);
    }
}

/// <summary>The share of rows whose predicted class is the label (pooled heads), or of labelled positions (per-position heads).</summary>
public sealed class Accuracy : Metric
{
    private long _right;
    private long _total;

    /// <inheritdoc/>
    public override string Name => "accuracy";

    /// <inheritdoc/>
    public override double Result => _total == 0 ? double.NaN : (double)_right / _total;

    /// <inheritdoc/>
    public override void Reset() => (_right, _total) = (0, 0);

    /// <inheritdoc/>
    public override void Update<TBatch>(TBatch batch, ITrainer<TBatch> trainer, float loss)
    {
        var (rows, classifier, target) = Classifier(batch, trainer);
        for (int row = 0; row < batch.Count; row++)
        {
            ReadOnlySpan<int> labels = rows.LabelsOf(row);
            for (int position = 0; position < labels.Length; position++)
            {
                if (labels[position] == target.IgnoreIndex)
                {
                    continue;
                }

                int predicted = target.PerPosition ? classifier.Predict(row, position) : classifier.Predict(row);
                _right += predicted == labels[position] ? 1 : 0;
                _total++;
            }
        }
    }
}

/// <summary>
/// The share of labelled positions predicted right, for per-position heads (teacher-forced: each position sees the true
/// previous tokens). The same count as <see cref="Accuracy"/> on such a head, under the name <c>token_accuracy</c>.
/// </summary>
public sealed class TokenAccuracy : Metric
{
    private readonly Accuracy _inner = new();

    /// <inheritdoc/>
    public override string Name => "token_accuracy";

    /// <inheritdoc/>
    public override double Result => _inner.Result;

    /// <inheritdoc/>
    public override void Reset() => _inner.Reset();

    /// <inheritdoc/>
    public override void Update<TBatch>(TBatch batch, ITrainer<TBatch> trainer, float loss)
    {
        var (_, _, target) = Classifier(batch, trainer);
        if (!target.PerPosition)
        {
            throw new InvalidOperationException("The metric 'token_accuracy' needs a per-position head; use Accuracy for a pooled one.");
        }

        _inner.Update(batch, trainer, loss);
    }
}

/// <summary>
/// The share of rows whose every labelled position is predicted right, under teacher forcing (each position sees the
/// true previous tokens). A decoded exact match (greedy or beam search) is a metric of your own over the model's
/// <c>StepDecoder</c>.
/// </summary>
public sealed class ExactMatch : Metric
{
    private long _right;
    private long _total;

    /// <inheritdoc/>
    public override string Name => "exact_match";

    /// <inheritdoc/>
    public override double Result => _total == 0 ? double.NaN : (double)_right / _total;

    /// <inheritdoc/>
    public override void Reset() => (_right, _total) = (0, 0);

    /// <inheritdoc/>
    public override void Update<TBatch>(TBatch batch, ITrainer<TBatch> trainer, float loss)
    {
        var (rows, classifier, target) = Classifier(batch, trainer);
        for (int row = 0; row < batch.Count; row++)
        {
            ReadOnlySpan<int> labels = rows.LabelsOf(row);
            bool all = true;
            for (int position = 0; position < labels.Length && all; position++)
            {
                if (labels[position] != target.IgnoreIndex)
                {
                    int predicted = target.PerPosition ? classifier.Predict(row, position) : classifier.Predict(row);
                    all = predicted == labels[position];
                }
            }

            _right += all ? 1 : 0;
            _total++;
        }
    }
}

/// <summary>
/// <c>exp</c> of the mean validation loss per labelled token (each batch's mean loss weighted by its labelled positions,
/// or by its rows for a pooled head). With label smoothing the loss, and so this, includes the smoothing term.
/// </summary>
public sealed class Perplexity : Metric
{
    private double _sum;
    private long _weight;

    /// <inheritdoc/>
    public override string Name => "perplexity";

    /// <inheritdoc/>
    public override bool HigherIsBetter => false;

    /// <inheritdoc/>
    public override double Result => _weight == 0 ? double.NaN : Math.Exp(_sum / _weight);

    /// <inheritdoc/>
    public override void Reset() => (_sum, _weight) = (0, 0);

    /// <inheritdoc/>
    public override void Update<TBatch>(TBatch batch, ITrainer<TBatch> trainer, float loss)
    {
        long weight = 0;
        if (batch is IBatchRows rows && rows.Layout.Target is { IsClass: true } target)
        {
            for (int row = 0; row < batch.Count; row++)
            {
                foreach (int label in rows.LabelsOf(row))
                {
                    weight += label == target.IgnoreIndex ? 0 : 1;
                }
            }
        }
        else
        {
            weight = batch.Count;
        }

        _sum += (double)loss * weight;
        _weight += weight;
    }
}
