using System;

namespace ModelDsl.Kernels;

/// <summary>
/// Mean absolute error (L1), PyTorch's <c>F.l1_loss(prediction, target, reduction='mean')</c>: <c>mean(|p - t|)</c> over all
/// elements; the gradient is <c>sign(p - t) / count</c> (0 where they are equal, as <c>torch.sign</c>). The reference version is
/// <see cref="Reference.LossesReference.MeanAbsoluteErrorForward{T}"/>.
/// </summary>
/// <remarks>The sum is accumulated in double in a fixed order, so the loss is deterministic.</remarks>
public static class MeanAbsoluteError
{
    /// <summary>Returns <c>Σ |prediction[i] - target[i]| / count</c>.</summary>
    /// <param name="prediction">Predictions <c>[count]</c>.</param>
    /// <param name="target">Targets <c>[count]</c>.</param>
    /// <param name="count">Number of elements (any shape, flattened).</param>
    /// <returns>The mean absolute error.</returns>
    public static float Forward(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int count)
    {
        Guard.Positive(count);
        Guard.Length(prediction, count);
        Guard.Length(target, count);
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += Math.Abs((double)prediction[i] - target[i]);
        }

        return (float)(sum / count);
    }

    /// <summary>Adds <c>dLoss · sign(prediction[i] - target[i]) / count</c> into <paramref name="dPrediction"/>.</summary>
    /// <param name="dPrediction">Gradient of the predictions <c>[count]</c>; accumulated.</param>
    /// <param name="dLoss">Gradient of the mean loss.</param>
    /// <param name="prediction">The forward's predictions.</param>
    /// <param name="target">The forward's targets.</param>
    /// <param name="count">Number of elements.</param>
    public static void Backward(Span<float> dPrediction, float dLoss, ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int count)
    {
        Guard.Positive(count);
        Guard.Length(dPrediction, count);
        Guard.Length(prediction, count);
        Guard.Length(target, count);
        float step = dLoss / count;
        for (int i = 0; i < count; i++)
        {
            float difference = prediction[i] - target[i];
            dPrediction[i] += difference > 0f ? step : difference < 0f ? -step : 0f;
        }
    }
}
