using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook versions of <see cref="MeanAbsoluteError"/>, <see cref="BinaryCrossEntropyWithLogits"/>, <see cref="SoftCrossEntropy"/> and
/// <see cref="KLDivergence"/> and the class-weighted <see cref="CrossEntropy.WeightedForward"/>, generic over the element type, for tests: each loss written as its formula, each gradient as its
/// derivative (the gradient checks compare the two).
/// </summary>
public static class LossesReference
{
    /// <summary><c>Σ |p - t| / count</c>.</summary>
    public static T MeanAbsoluteErrorForward<T>(ReadOnlySpan<T> prediction, ReadOnlySpan<T> target, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int i = 0; i < count; i++)
        {
            sum += T.Abs(prediction[i] - target[i]);
        }

        return sum / T.CreateChecked(count);
    }

    /// <summary><c>dPrediction[i] += dLoss · sign(p - t) / count</c>.</summary>
    public static void MeanAbsoluteErrorBackward<T>(Span<T> dPrediction, T dLoss, ReadOnlySpan<T> prediction, ReadOnlySpan<T> target, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < count; i++)
        {
            dPrediction[i] += dLoss * T.CreateChecked(T.Sign(prediction[i] - target[i])) / T.CreateChecked(count);
        }
    }

    /// <summary><c>mean(-t log σ(x) - (1 - t) log(1 - σ(x)))</c>, written with σ directly (fine for the moderate logits of tests).</summary>
    public static T BinaryCrossEntropyWithLogitsForward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> target, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int i = 0; i < count; i++)
        {
            T sigmoid = T.One / (T.One + T.Exp(-logits[i]));
            sum -= (target[i] * T.Log(sigmoid)) + ((T.One - target[i]) * T.Log(T.One - sigmoid));
        }

        return sum / T.CreateChecked(count);
    }

    /// <summary><c>dLogits[i] += dLoss · (σ(x) - t) / count</c>.</summary>
    public static void BinaryCrossEntropyWithLogitsBackward<T>(Span<T> dLogits, T dLoss, ReadOnlySpan<T> logits, ReadOnlySpan<T> target, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < count; i++)
        {
            dLogits[i] += dLoss * ((T.One / (T.One + T.Exp(-logits[i]))) - target[i]) / T.CreateChecked(count);
        }
    }

    /// <summary><c>-(1/rows) Σ q log softmax(x)</c>.</summary>
    public static T SoftCrossEntropyForward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int rows, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var logProbs = new T[rows * classes];
        SoftmaxReference.LogForward<T>(logProbs, logits, rows, classes);
        T sum = T.Zero;
        for (int i = 0; i < rows * classes; i++)
        {
            sum -= targets[i] * logProbs[i];
        }

        return sum / T.CreateChecked(rows);
    }

    /// <summary><c>dLogits += dLoss · (softmax(x) Σ q - q) / rows</c>.</summary>
    public static void SoftCrossEntropyBackward<T>(Span<T> dLogits, T dLoss, ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int rows, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var probs = new T[rows * classes];
        SoftmaxReference.Forward<T>(probs, logits, rows, classes);
        for (int r = 0; r < rows; r++)
        {
            T mass = T.Zero;
            for (int c = 0; c < classes; c++)
            {
                mass += targets[(r * classes) + c];
            }

            for (int c = 0; c < classes; c++)
            {
                int i = (r * classes) + c;
                dLogits[i] += dLoss * ((probs[i] * mass) - targets[i]) / T.CreateChecked(rows);
            }
        }
    }

    /// <summary><c>T² / rows · Σ q (log q - log p)</c> with <c>p = softmax(x / T)</c>, <c>q = softmax(t / T)</c>.</summary>
    public static T KLDivergenceForward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> teacherLogits, int rows, int classes, T temperature)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (logP, logQ) = Softened(logits, teacherLogits, rows, classes, temperature);
        T sum = T.Zero;
        for (int i = 0; i < rows * classes; i++)
        {
            sum += T.Exp(logQ[i]) * (logQ[i] - logP[i]);
        }

        return sum * temperature * temperature / T.CreateChecked(rows);
    }

    /// <summary><c>dLogits += dLoss · T (p - q) / rows</c>.</summary>
    public static void KLDivergenceBackward<T>(Span<T> dLogits, T dLoss, ReadOnlySpan<T> logits, ReadOnlySpan<T> teacherLogits, int rows, int classes, T temperature)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (logP, logQ) = Softened(logits, teacherLogits, rows, classes, temperature);
        for (int i = 0; i < rows * classes; i++)
        {
            dLogits[i] += dLoss * temperature * (T.Exp(logP[i]) - T.Exp(logQ[i])) / T.CreateChecked(rows);
        }
    }

    /// <summary>
    /// <c>Σ_r Σ_c w_c q_rc (-log p_rc) / Σ_r w[t_r]</c> over counted rows, with <c>q = (1 - ε) onehot(t) + ε/C</c> (PyTorch's weighted mean).
    /// </summary>
    public static T WeightedCrossEntropyForward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, ReadOnlySpan<T> weights, int rows, int classes,
        T labelSmoothing, int ignoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var logP = new T[rows * classes];
        SoftmaxReference.LogForward<T>(logP, logits, rows, classes);
        T total = T.Zero, weight = T.Zero;
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == ignoreIndex)
            {
                continue;
            }

            weight += weights[targets[r]];
            for (int c = 0; c < classes; c++)
            {
                total -= weights[c] * Smoothed(c, targets[r], classes, labelSmoothing) * logP[(r * classes) + c];
            }
        }

        return weight == T.Zero ? T.Zero : total / weight;
    }

    /// <summary><c>dLogits[r, c] += dLoss · (p_c Σ_k w_k q_k - w_c q_c) / Σ_r w[t_r]</c>.</summary>
    public static void WeightedCrossEntropyBackward<T>(Span<T> dLogits, T dLoss, ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, ReadOnlySpan<T> weights,
        int rows, int classes, T labelSmoothing, int ignoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = new T[rows * classes];
        SoftmaxReference.Forward<T>(p, logits, rows, classes);
        T weight = T.Zero;
        for (int r = 0; r < rows; r++)
        {
            weight += targets[r] == ignoreIndex ? T.Zero : weights[targets[r]];
        }

        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == ignoreIndex)
            {
                continue;
            }

            T mass = T.Zero;
            for (int k = 0; k < classes; k++)
            {
                mass += weights[k] * Smoothed(k, targets[r], classes, labelSmoothing);
            }

            for (int c = 0; c < classes; c++)
            {
                int i = (r * classes) + c;
                dLogits[i] += dLoss * ((p[i] * mass) - (weights[c] * Smoothed(c, targets[r], classes, labelSmoothing))) / weight;
            }
        }
    }

    private static T Smoothed<T>(int c, int target, int classes, T labelSmoothing)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        (c == target ? T.One - labelSmoothing : T.Zero) + (labelSmoothing / T.CreateChecked(classes));

    private static (T[] LogP, T[] LogQ) Softened<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> teacherLogits, int rows, int classes, T temperature)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = new T[rows * classes];
        var t = new T[rows * classes];
        for (int i = 0; i < rows * classes; i++)
        {
            x[i] = logits[i] / temperature;
            t[i] = teacherLogits[i] / temperature;
        }

        var logP = new T[rows * classes];
        var logQ = new T[rows * classes];
        SoftmaxReference.LogForward<T>(logP, x, rows, classes);
        SoftmaxReference.LogForward<T>(logQ, t, rows, classes);
        return (logP, logQ);
    }
}
