using System;
using System.Globalization;
using ModelDsl.Optim;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// <see cref="DateCopyModel"/> (the Transformer with a pointer-generator head) as a <see cref="Translator"/>, trained exactly as
/// <see cref="TransformerTranslator"/> (seed 7): Adam with 200 warm-up steps to
/// 2e-3, cosine decay to 1e-4, gradients clipped to norm 1.
/// </summary>
public sealed class TransformerCopyTranslator : Translator<DateCopyModel.Batch>
{
    private readonly DateCopyModel.StepDecoder _decoder;

    /// <summary>Creates the model (seed 7), its trainer and a decoder for <c>MaxBatch × maxWidth</c> rows.</summary>
    /// <param name="steps">Planned training steps (the schedule's length).</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="maxWidth">Largest beam width.</param>
    public TransformerCopyTranslator(int steps, int threads, int maxWidth)
        : this(new DateCopyModel(seed: 7), Math.Max(RequirePositive(steps), 201), threads, DateCopyModel.MaxBatch * RequirePositive(maxWidth))
    {
    }

    private TransformerCopyTranslator(DateCopyModel model, int totalSteps, int threads, int maxRows)
        : this(model.CreateTrainer(new Adam(2e-3f), threads, new WarmupCosineSchedule(2e-3f, warmupSteps: 200, totalSteps, floor: 1e-4f), clipNorm: 1f),
            model.CreateDecoder(maxRows, threads))
    {
    }

    private TransformerCopyTranslator(DateCopyModel.Trainer trainer, DateCopyModel.StepDecoder decoder)
        : base(ModelKind.TransformerCopy,
            string.Create(CultureInfo.InvariantCulture, $"Transformer encoder-decoder + pointer-generator head, D {DateCopyModel.D}, 2 + 2 layers, 4 heads; Adam, warmup 200 + cosine, peak 2e-3"),
            DateCopyModel.ParameterCount, DateCopyModel.SourceLength, DateCopyModel.TargetLength, attention: "cross-attention (last decoder layer, mean of heads)", target: 0.99,
            trainer, decoder) =>
        _decoder = decoder;

    /// <inheritdoc/>
    public override int DecodedSourceLength(int row) => _decoder.SourceLength(row);

    /// <inheritdoc/>
    protected override ReadOnlySpan<float> DecoderCrossAttention(int row, int step) => _decoder.CrossAttention(row, step);
}
