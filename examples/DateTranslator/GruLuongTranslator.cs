using System;
using System.Globalization;
using ModelDsl.Decoding;
using ModelDsl.Optim;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// <see cref="GruLuongModel"/> (bidirectional GRU encoder, GRU decoder with Luong "general" attention) as a
/// <see cref="Translator"/>: Adam with 100 warm-up steps to 3e-3, cosine decay to 1e-4, gradients clipped to norm 1.
/// </summary>
public sealed class GruLuongTranslator : Translator
{
    private readonly GruLuongModel.Batch _batch = new();
    private readonly GruLuongModel.Trainer _trainer;
    private readonly GruLuongModel.StepDecoder _decoder;

    /// <summary>Creates the model (seed 7), its trainer and a decoder for <c>MaxBatch × maxWidth</c> rows.</summary>
    /// <param name="steps">Planned training steps (the schedule's length).</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="maxWidth">Largest beam width.</param>
    public GruLuongTranslator(int steps, int threads, int maxWidth)
        : base(ModelKind.GruLuong,
            string.Create(CultureInfo.InvariantCulture, $"GRU + Luong general attention, embedding {GruLuongModel.E}, bidirectional encoder 2 x {GruLuongModel.H}, decoder {GruLuongModel.H}; Adam, warmup 100 + cosine, peak 3e-3"),
            GruLuongModel.ParameterCount, GruLuongModel.MaxBatch, GruLuongModel.SourceLength, GruLuongModel.TargetLength,
            attention: "Luong general attention", target: 0.97)
    {
        Guard.Positive(steps);
        Guard.Positive(maxWidth);
        var model = new GruLuongModel(seed: 7);
        _trainer = model.CreateTrainer(
            new Adam(3e-3f), threads, new WarmupCosineSchedule(3e-3f, warmupSteps: 100, totalSteps: Math.Max(steps, 101), floor: 1e-4f), clipNorm: 1f);
        _decoder = model.CreateDecoder(maxRows: GruLuongModel.MaxBatch * maxWidth, threads);
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
