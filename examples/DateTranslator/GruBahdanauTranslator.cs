using System;
using System.Globalization;
using ModelDsl.Optim;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// <see cref="GruBahdanauModel"/> (bidirectional GRU encoder, GRU decoder with additive attention) as a
/// <see cref="Translator"/>: Adam with 100 warm-up steps to 3e-3, cosine decay to 1e-4, gradients clipped to norm 1.
/// </summary>
public sealed class GruBahdanauTranslator : Translator<GruBahdanauModel.Batch>
{
    private readonly GruBahdanauModel.StepDecoder _decoder;

    /// <summary>Creates the model (seed 7), its trainer and a decoder for <c>MaxBatch × maxWidth</c> rows.</summary>
    /// <param name="steps">Planned training steps (the schedule's length).</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="maxWidth">Largest beam width.</param>
    public GruBahdanauTranslator(int steps, int threads, int maxWidth)
        : this(new GruBahdanauModel(seed: 7), Math.Max(RequirePositive(steps), 101), threads, GruBahdanauModel.MaxBatch * RequirePositive(maxWidth))
    {
    }

    private GruBahdanauTranslator(GruBahdanauModel model, int totalSteps, int threads, int maxRows)
        : this(model.CreateTrainer(new Adam(3e-3f), threads, new WarmupCosineSchedule(3e-3f, warmupSteps: 100, totalSteps, floor: 1e-4f), clipNorm: 1f),
            model.CreateDecoder(maxRows, threads))
    {
    }

    private GruBahdanauTranslator(GruBahdanauModel.Trainer trainer, GruBahdanauModel.StepDecoder decoder)
        : base(ModelKind.GruBahdanau,
            string.Create(CultureInfo.InvariantCulture, $"GRU + Bahdanau attention, embedding {GruBahdanauModel.E}, bidirectional encoder 2 x {GruBahdanauModel.H}, decoder {GruBahdanauModel.H}; Adam, warmup 100 + cosine, peak 3e-3"),
            GruBahdanauModel.ParameterCount, GruBahdanauModel.SourceLength, GruBahdanauModel.TargetLength, attention: "Bahdanau attention", target: 0.97,
            trainer, decoder) =>
        _decoder = decoder;

    /// <inheritdoc/>
    public override int DecodedSourceLength(int row) => _decoder.SourceLength(row);

    /// <inheritdoc/>
    protected override ReadOnlySpan<float> DecoderCrossAttention(int row, int step) => _decoder.CrossAttention(row, step);
}
