using System;
using System.Globalization;
using ModelDsl.Optim;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// <see cref="DateModel"/> (Transformer encoder-decoder) as a <see cref="Translator"/>: Adam with 200 warm-up steps to
/// 2e-3, cosine decay to 1e-4, gradients clipped to norm 1.
/// </summary>
public sealed class TransformerTranslator : Translator<DateModel.Batch>
{
    private readonly DateModel.StepDecoder _decoder;

    /// <summary>Creates the model (seed 7), its trainer and a decoder for <c>MaxBatch × maxWidth</c> rows.</summary>
    /// <param name="steps">Planned training steps (the schedule's length).</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="maxWidth">Largest beam width.</param>
    public TransformerTranslator(int steps, int threads, int maxWidth)
        : this(new DateModel(seed: 7), Math.Max(RequirePositive(steps), 201), threads, DateModel.MaxBatch * RequirePositive(maxWidth))
    {
    }

    private TransformerTranslator(DateModel model, int totalSteps, int threads, int maxRows)
        : this(model.CreateTrainer(new Adam(2e-3f), threads, new WarmupCosineSchedule(2e-3f, warmupSteps: 200, totalSteps, floor: 1e-4f), clipNorm: 1f),
            model.CreateDecoder(maxRows, threads))
    {
    }

    private TransformerTranslator(DateModel.Trainer trainer, DateModel.StepDecoder decoder)
        : base(ModelKind.Transformer,
            string.Create(CultureInfo.InvariantCulture, $"Transformer encoder-decoder, D {DateModel.D}, 2 + 2 layers, 4 heads; Adam, warmup 200 + cosine, peak 2e-3"),
            DateModel.ParameterCount, DateModel.SourceLength, DateModel.TargetLength, attention: "cross-attention (last decoder layer, mean of heads)", target: 0.99,
            trainer, decoder) =>
        _decoder = decoder;

    /// <inheritdoc/>
    public override int DecodedSourceLength(int row) => _decoder.SourceLength(row);

    /// <inheritdoc/>
    protected override ReadOnlySpan<float> DecoderCrossAttention(int row, int step) => _decoder.CrossAttention(row, step);
}
