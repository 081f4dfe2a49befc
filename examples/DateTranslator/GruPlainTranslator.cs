using System;
using System.Globalization;
using ModelDsl.Decoding;
using ModelDsl.Optim;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// <see cref="GruPlainModel"/> (bidirectional GRU encoder, GRU decoder from its final state, no attention) as a
/// <see cref="Translator"/>: Adam with 100 warm-up steps to 3e-3, cosine decay to 1e-4, gradients clipped to norm 1.
/// </summary>
public sealed class GruPlainTranslator : Translator
{
    private readonly GruPlainModel.Batch _batch = new();
    private readonly GruPlainModel.Trainer _trainer;
    private readonly GruPlainModel.StepDecoder _decoder;

    /// <summary>Creates the model (seed 7), its trainer and a decoder for <c>MaxBatch × maxWidth</c> rows.</summary>
    /// <param name="steps">Planned training steps (the schedule's length).</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="maxWidth">Largest beam width.</param>
    public GruPlainTranslator(int steps, int threads, int maxWidth)
        : base(ModelKind.GruPlain,
            string.Create(CultureInfo.InvariantCulture, $"GRU, no attention, embedding {GruPlainModel.E}, bidirectional encoder 2 x {GruPlainModel.H}, decoder {GruPlainModel.H}; Adam, warmup 100 + cosine, peak 3e-3"),
            GruPlainModel.ParameterCount, GruPlainModel.MaxBatch, GruPlainModel.SourceLength, GruPlainModel.TargetLength,
            attention: null, target: null)
    {
        Guard.Positive(steps);
        Guard.Positive(maxWidth);
        var model = new GruPlainModel(seed: 7);
        _trainer = model.CreateTrainer(
            new Adam(3e-3f), threads, new WarmupCosineSchedule(3e-3f, warmupSteps: 100, totalSteps: Math.Max(steps, 101), floor: 1e-4f), clipNorm: 1f);
        _decoder = model.CreateDecoder(maxRows: GruPlainModel.MaxBatch * maxWidth, threads);
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
    protected override ReadOnlySpan<float> DecoderCrossAttention(int row, int step) =>
        throw new NotSupportedException("GruPlainModel has no attention.");

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
