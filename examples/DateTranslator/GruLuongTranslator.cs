using System;
using System.Globalization;
using ModelDsl.Optim;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// <see cref="GruLuongModel"/> (bidirectional GRU encoder, GRU decoder with Luong "general" attention) as a
/// <see cref="Translator"/>: Adam with 100 warm-up steps to 3e-3, cosine decay to 1e-4, gradients clipped to norm 1.
/// </summary>
public sealed class GruLuongTranslator : Translator<GruLuongModel.Batch>
{
    private readonly GruLuongModel.StepDecoder _decoder;

    /// <summary>Creates the model (seed 7), its trainer and a decoder for <c>MaxBatch × maxWidth</c> rows.</summary>
    /// <param name="steps">Planned training steps (the schedule's length).</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="maxWidth">Largest beam width.</param>
    public GruLuongTranslator(int steps, int threads, int maxWidth)
        : this(new GruLuongModel(seed: 7), Math.Max(RequirePositive(steps), 101), threads, GruLuongModel.MaxBatch * RequirePositive(maxWidth))
    {
    }

    private GruLuongTranslator(GruLuongModel model, int totalSteps, int threads, int maxRows)
        : this(model.CreateTrainer(new Adam(3e-3f), threads, new WarmupCosineSchedule(3e-3f, warmupSteps: 100, totalSteps, floor: 1e-4f), clipNorm: 1f),
            model.CreateDecoder(maxRows, threads))
    {
    }

    private GruLuongTranslator(GruLuongModel.Trainer trainer, GruLuongModel.StepDecoder decoder)
        : base(ModelKind.GruLuong,
            string.Create(CultureInfo.InvariantCulture, $"GRU + Luong general attention, embedding {GruLuongModel.E}, bidirectional encoder 2 x {GruLuongModel.H}, decoder {GruLuongModel.H}; Adam, warmup 100 + cosine, peak 3e-3"),
            GruLuongModel.ParameterCount, GruLuongModel.SourceLength, GruLuongModel.TargetLength, attention: "Luong general attention", target: 0.97,
            trainer, decoder) =>
        _decoder = decoder;

    /// <inheritdoc/>
    public override int DecodedSourceLength(int row) => _decoder.SourceLength(row);

    /// <inheritdoc/>
    protected override ReadOnlySpan<float> DecoderCrossAttention(int row, int step) => _decoder.CrossAttention(row, step);
}
