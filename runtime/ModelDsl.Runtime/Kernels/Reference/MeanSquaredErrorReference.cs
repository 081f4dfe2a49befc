using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook version of <see cref="MeanSquaredError"/>, generic over the element type, for tests.</summary>
public static class MeanSquaredErrorReference
{
    /// <summary><c>Σ (p - t)² / count</c>.</summary>
    public static T Forward<T>(ReadOnlySpan<T> prediction, ReadOnlySpan<T> target, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(prediction, count);
        Guard.Length(target, count);
        T sum = T.Zero;
        for (int i = 0; i < count; i++)
        {
            T diff = prediction[i] - target[i];
            sum += diff * diff;
        }

        return sum / T.CreateChecked(count);
    }

    /// <summary><c>dPrediction[i] += dLoss · 2(p - t) / count</c>.</summary>
    public static void Backward<T>(Span<T> dPrediction, T dLoss, ReadOnlySpan<T> prediction, ReadOnlySpan<T> target, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dPrediction, count);
        Guard.Length(prediction, count);
        Guard.Length(target, count);
        for (int i = 0; i < count; i++)
        {
            dPrediction[i] += dLoss * T.CreateChecked(2) * (prediction[i] - target[i]) / T.CreateChecked(count);
        }
    }
}
