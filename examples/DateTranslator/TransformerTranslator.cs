using System;
using System.Globalization;
using ModelDsl.Decoding;
using ModelDsl.Optim;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// <see cref="DateModel"/> (Transformer encoder-decoder) as a <see cref="Translator"/>: Adam with 200 warm-up steps to
/// 2e-3, cosine decay to 1e-4, gradients clipped to norm 1.
/// </summary>
public sealed class TransformerTranslator : Translator
{
    private readonly DateModel.Batch _batch = new();
    private readonly DateModel.Trainer _trainer;
    private readonly DateModel.StepDecoder _decoder;

    /// <summary>Creates the model (seed 7), its trainer and a decoder for <c>MaxBatch × maxWidth</c> rows.</summary>
    /// <param name="steps">Planned training steps (the schedule's length).</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="maxWidth">Largest beam width.</param>
    public TransformerTranslator(int steps, int threads, int maxWidth)
        : base(ModelKind.Transformer,
            string.Create(CultureInfo.InvariantCulture, $"Transformer encoder-decoder, D {DateModel.D}, 2 + 2 layers, 4 heads; Adam, warmup 200 + cosine, peak 2e-3"),
            DateModel.ParameterCount, DateModel.MaxBatch, DateModel.SourceLength, DateModel.TargetLength, attention: "cross-attention (last decoder layer, mean of heads)", target: 0.99)
    {
        Guard.Positive(steps);
        Guard.Positive(maxWidth);
        var model = new DateModel(seed: 7);
        _trainer = model.CreateTrainer(
            new Adam(2e-3f), threads, new WarmupCosineSchedule(2e-3f, warmupSteps: 200, totalSteps: Math.Max(steps, 201), floor: 1e-4f), clipNorm: 1f);
        _decoder = model.CreateDecoder(maxRows: DateModel.MaxBatch * maxWidth, threads);
    }

    /// <inheritdoc/>
    public override IIncrementalDecoder Decoder => _decoder;

    /// <inheritdoc/>
    public override int DecodedSourceLength(int row) => _decoder.SourceLength(row);

    /// <inheritdoc/>
    protected override void SetSource(int row, ReadOnlySpan<int> ids) => _batch.SetSource(row, ids);

    /// <inheritdoc/>
    protected override void SetTarget(int row, ReadOnlySpan<int> ids) => _batch.SetTarget(row, ids);

    /// <inheritdoc/>
    protected override void SetLabels(int row, ReadOnlySpan<int> labels) => _batch.SetLabels(row, labels);

    /// <inheritdoc/>
    protected override void SetCount(int count) => _batch.Count = count;

    /// <inheritdoc/>
    protected override float TrainStep() => _trainer.Step(_batch);

    /// <inheritdoc/>
    protected override void BeginDecoder(int width) => _decoder.Begin(_batch, width);

    /// <inheritdoc/>
    protected override ReadOnlySpan<float> DecoderCrossAttention(int row, int step) => _decoder.CrossAttention(row, step);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _decoder.Dispose();
            _trainer.Dispose();
        }
    }
}
