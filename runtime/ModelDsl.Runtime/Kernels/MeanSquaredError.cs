using System;

namespace ModelDsl.Kernels;

/// <summary>
/// Mean squared error, PyTorch's <c>F.mse_loss(prediction, target, reduction='mean')</c>:
/// <c>mean((p - t)²)</c> over all elements. The reference version is <see cref="Reference.MeanSquaredErrorReference"/>.
/// </summary>
/// <remarks>The sum of squares is accumulated in double in a fixed order, so the loss is deterministic.</remarks>
public static class MeanSquaredError
{
    /// <summary>Returns <c>Σ (prediction[i] - target[i])² / count</c>.</summary>
    /// <param name="prediction">Predictions <c>[count]</c>.</param>
    /// <param name="target">Targets <c>[count]</c>.</param>
    /// <param name="count">Number of elements (any shape, flattened).</param>
    /// <returns>The mean squared error.</returns>
    public static float Forward(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int count)
    {
        Guard.Positive(count);
        Guard.Length(prediction, count);
        Guard.Length(target, count);
        return (float)(FusedOps.SumSquaredDifference(prediction, target) / count);
    }

    /// <summary>Adds <c>dLoss · 2(prediction[i] - target[i]) / count</c> into <paramref name="dPrediction"/>.</summary>
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
        FusedOps.AddScaledDifference(dPrediction, prediction, target, 2f * dLoss / count);
    }
}
