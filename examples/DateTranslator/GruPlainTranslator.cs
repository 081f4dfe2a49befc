using System;
using System.Globalization;
using ModelDsl.Optim;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// <see cref="GruPlainModel"/> (bidirectional GRU encoder, GRU decoder from its final state, no attention) as a
/// <see cref="Translator"/>: Adam with 100 warm-up steps to 3e-3, cosine decay to 1e-4, gradients clipped to norm 1.
/// </summary>
public sealed class GruPlainTranslator : Translator<GruPlainModel.Batch>
{
    private readonly GruPlainModel.StepDecoder _decoder;

    /// <summary>Creates the model (seed 7), its trainer and a decoder for <c>MaxBatch × maxWidth</c> rows.</summary>
    /// <param name="steps">Planned training steps (the schedule's length).</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="maxWidth">Largest beam width.</param>
    public GruPlainTranslator(int steps, int threads, int maxWidth)
        : this(new GruPlainModel(seed: 7), Math.Max(RequirePositive(steps), 101), threads, GruPlainModel.MaxBatch * RequirePositive(maxWidth))
    {
    }

    private GruPlainTranslator(GruPlainModel model, int totalSteps, int threads, int maxRows)
        : this(model.CreateTrainer(new Adam(3e-3f), threads, new WarmupCosineSchedule(3e-3f, warmupSteps: 100, totalSteps, floor: 1e-4f), clipNorm: 1f),
            model.CreateDecoder(maxRows, threads))
    {
    }

    private GruPlainTranslator(GruPlainModel.Trainer trainer, GruPlainModel.StepDecoder decoder)
        : base(ModelKind.GruPlain,
            string.Create(CultureInfo.InvariantCulture, $"GRU, no attention, embedding {GruPlainModel.E}, bidirectional encoder 2 x {GruPlainModel.H}, decoder {GruPlainModel.H}; Adam, warmup 100 + cosine, peak 3e-3"),
            GruPlainModel.ParameterCount, GruPlainModel.SourceLength, GruPlainModel.TargetLength, attention: null, target: null,
            trainer, decoder) =>
        _decoder = decoder;

    /// <inheritdoc/>
    public override int DecodedSourceLength(int row) => _decoder.SourceLength(row);

    /// <inheritdoc/>
    protected override ReadOnlySpan<float> DecoderCrossAttention(int row, int step) =>
        throw new NotSupportedException("GruPlainModel has no attention.");
}
