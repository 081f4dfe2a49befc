using System;
using ModelDsl.Decoding;

namespace ModelDsl.Training;

/// <summary>
/// A model's generated <c>Batch</c>: fixed-size buffers for up to <see cref="MaxBatch"/> rows, filled through the
/// model's typed setters (<c>SetSource</c>, <c>SetLabels</c>, ...). Code that does not know the model (a training
/// loop, a data loader) uses this interface; the setters stay on the concrete type, where their names say the inputs.
/// </summary>
public interface IBatch
{
    /// <summary>Rows the buffers hold at most (the model's <c>MaxBatch</c>).</summary>
    int MaxBatch { get; }

    /// <summary>Rows in use, 0 to <see cref="MaxBatch"/>.</summary>
    int Count { get; set; }

    /// <summary>Empties every row (ids, lengths, labels, features) and sets <see cref="Count"/> to 0.</summary>
    void Clear();
}

/// <summary>
/// A generated <c>Batch</c> filled by index instead of by name, for code that serves any model (the data helpers of
/// <c>ModelDsl.Data</c>). Each member calls the model's own checked setter (<c>SetSource</c>, <c>SetLabels</c>, ...),
/// so a wrong length, token id or non-finite value throws the same message. Implemented explicitly, so these names never
/// clash with the model's inputs.
/// </summary>
public interface IBatchRows : IBatch
{
    /// <summary>The buffers' shapes: the inputs in declaration order (their index here) and the target.</summary>
    ModelDsl.Data.BatchLayout Layout { get; }

    /// <summary>Sets row <paramref name="row"/> of token input <paramref name="input"/> (pads the rest, records the length).</summary>
    void SetTokens(int input, int row, ReadOnlySpan<int> ids);

    /// <summary>Sets row <paramref name="row"/> of feature input <paramref name="input"/>.</summary>
    void SetFeatures(int input, int row, ReadOnlySpan<float> values);

    /// <summary>Sets the class label of row <paramref name="row"/> (a pooled cross-entropy head).</summary>
    void SetLabel(int row, int label);

    /// <summary>Sets the per-position labels of row <paramref name="row"/> (a per-position cross-entropy head).</summary>
    void SetLabels(int row, ReadOnlySpan<int> labels);

    /// <summary>Sets the regression targets of row <paramref name="row"/>.</summary>
    void SetTargets(int row, ReadOnlySpan<float> values);

    /// <summary>
    /// The labels of row <paramref name="row"/>: one for a pooled head, the row's labelled positions for a per-position
    /// head (as many as <see cref="SetLabels"/> was given).
    /// </summary>
    ReadOnlySpan<int> LabelsOf(int row);
}

/// <summary>
/// What every generated <c>Trainer</c> offers, whatever the model: one optimizer update, gradients without an
/// update, evaluation, checkpoints. Lets one training method serve several models:
/// <code>
/// static float Train&lt;TBatch&gt;(ITrainer&lt;TBatch&gt; trainer, TBatch batch, int steps) where TBatch : IBatch { ... }
/// </code>
/// </summary>
/// <typeparam name="TBatch">The model's generated <c>Batch</c>.</typeparam>
public interface ITrainer<in TBatch> : IDisposable
    where TBatch : IBatch
{
    /// <summary>Forward, backward and one optimizer update; returns the batch's loss.</summary>
    float Step(TBatch batch);

    /// <summary>Forward and backward without an update; returns the loss (gradients in <see cref="TrainerBase.Gradients"/>).</summary>
    float ComputeGradients(TBatch batch);

    /// <summary>Forward only, without dropout; returns the loss.</summary>
    float Evaluate(TBatch batch);

    /// <summary>Optimizer updates done so far.</summary>
    long Steps { get; }

    /// <summary>Writes parameters, optimizer state and position atomically to <paramref name="path"/>.</summary>
    void SaveCheckpoint(string path);

    /// <summary>Restores what <see cref="SaveCheckpoint"/> wrote; training then resumes bit for bit.</summary>
    void LoadCheckpoint(string path);
}

/// <summary>A trainer whose head is a classifier (cross-entropy): the predicted class of a row after the last pass.</summary>
/// <typeparam name="TBatch">The model's generated <c>Batch</c>.</typeparam>
public interface IClassifierTrainer<in TBatch> : ITrainer<TBatch>
    where TBatch : IBatch
{
    /// <summary>The arg-max class of <paramref name="row"/> after the last Step or Evaluate, for a pooled head <c>[B, C]</c>.</summary>
    /// <exception cref="InvalidOperationException">The head is per position: use <see cref="Predict(int, int)"/>.</exception>
    int Predict(int row);

    /// <summary>The arg-max class at <paramref name="position"/> of <paramref name="row"/>, for a per-position head <c>[B, T, C]</c>.</summary>
    /// <exception cref="InvalidOperationException">The head is pooled: use <see cref="Predict(int)"/>.</exception>
    int Predict(int row, int position);
}

/// <summary>
/// A model that decodes one token at a time (a seq2seq or decoder-only model): its generated <c>StepDecoder</c>
/// drives <see cref="GreedySearch"/>, <see cref="BeamSearch"/> and <see cref="Sampler"/> for any such model.
/// </summary>
/// <typeparam name="TBatch">The model's generated <c>Batch</c>.</typeparam>
/// <typeparam name="TDecoder">The model's generated <c>StepDecoder</c>.</typeparam>
public interface ISeq2SeqModel<TBatch, TDecoder>
    where TBatch : IBatch
    where TDecoder : IStepDecoder<TBatch>
{
    /// <summary>A decoder for up to <paramref name="maxRows"/> hypotheses (batch × beam width).</summary>
    TDecoder CreateDecoder(int maxRows, int threads = 1);
}

/// <summary>A generated <c>StepDecoder</c>: begun from a batch's sources, then stepped by a search.</summary>
/// <typeparam name="TBatch">The model's generated <c>Batch</c>.</typeparam>
public interface IStepDecoder<in TBatch> : IIncrementalDecoder, IDisposable
    where TBatch : IBatch
{
    /// <summary>Encodes the batch's sources once and prepares <c>batch.Count × width</c> rows of hypotheses.</summary>
    void Begin(TBatch batch, int width = 1);
}
