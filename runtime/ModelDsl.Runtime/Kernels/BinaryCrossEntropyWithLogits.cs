using System;

namespace ModelDsl.Kernels;

/// <summary>
/// Binary cross-entropy on logits, PyTorch's <c>F.binary_cross_entropy_with_logits(logits, targets, reduction='mean')</c>: each
/// element is an independent two-class problem (multi-label heads, negative sampling) with a target in [0, 1];
/// <c>loss = mean(max(x, 0) - x·t + log(1 + exp(-|x|)))</c>, finite for any logit, and <c>d x = (sigmoid(x) - t) / count</c>.
/// The reference version is <see cref="Reference.LossesReference.BinaryCrossEntropyWithLogitsForward{T}"/>.
/// </summary>
/// <remarks>The sum is accumulated in double in a fixed order, so the loss is deterministic.</remarks>
public static class BinaryCrossEntropyWithLogits
{
    /// <summary>Returns the mean binary cross-entropy of <paramref name="logits"/> against <paramref name="target"/>.</summary>
    /// <param name="logits">Logits <c>[count]</c>.</param>
    /// <param name="target">Targets <c>[count]</c>, probabilities in [0, 1] (usually 0 or 1).</param>
    /// <param name="count">Number of elements (any shape, flattened).</param>
    /// <returns>The mean loss.</returns>
    public static float Forward(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, int count)
    {
        Guard.Positive(count);
        Guard.Length(logits, count);
        Guard.Length(target, count);
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            double x = logits[i];
            sum += Math.Max(x, 0) - (x * target[i]) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
        }

        return (float)(sum / count);
    }

    /// <summary>Adds <c>dLoss · (sigmoid(logits[i]) - target[i]) / count</c> into <paramref name="dLogits"/>.</summary>
    /// <param name="dLogits">Gradient of the logits <c>[count]</c>; accumulated.</param>
    /// <param name="dLoss">Gradient of the mean loss.</param>
    /// <param name="logits">The forward's logits.</param>
    /// <param name="target">The forward's targets.</param>
    /// <param name="count">Number of elements.</param>
    public static void Backward(Span<float> dLogits, float dLoss, ReadOnlySpan<float> logits, ReadOnlySpan<float> target, int count)
    {
        Guard.Positive(count);
        Guard.Length(dLogits, count);
        Guard.Length(logits, count);
        Guard.Length(target, count);
        float scale = dLoss / count;
        for (int i = 0; i < count; i++)
        {
            float x = logits[i];
            float sigmoid = x >= 0f ? 1f / (1f + MathF.Exp(-x)) : MathF.Exp(x) / (1f + MathF.Exp(x));
            dLogits[i] += scale * (sigmoid - target[i]);
        }
    }
}
