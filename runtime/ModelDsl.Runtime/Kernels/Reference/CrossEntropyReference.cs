using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook version of <see cref="CrossEntropy"/>, generic over the element type, for tests: the smoothed target
/// distribution <c>q = (1 - ε)·onehot(t) + ε/C</c> is written out and the loss is <c>-Σ_c q_c log p_c</c>.
/// </summary>
public static class CrossEntropyReference
{
    /// <summary>Fills <c>logProbs</c> and returns the mean over non-ignored rows of <c>-Σ_c q_c log p_c</c> (0 when all are ignored).</summary>
    public static T Forward<T>(Span<T> logProbs, ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int rows, int classes,
        T labelSmoothing, int ignoreIndex = CrossEntropy.DefaultIgnoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(targets, rows);
        SoftmaxReference.LogForward(logProbs, logits, rows, classes);
        T total = T.Zero;
        int count = 0;
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == ignoreIndex)
            {
                continue;
            }

            Guard.InRange(targets[r], classes, "targets");
            for (int c = 0; c < classes; c++)
            {
                total -= TargetProbability(c, targets[r], classes, labelSmoothing) * logProbs[r * classes + c];
            }

            count++;
        }

        return count == 0 ? T.Zero : total / T.CreateChecked(count);
    }

    /// <summary><c>dLogits[r, c] += dLoss · (p_c - q_c) / count</c> for non-ignored rows.</summary>
    public static void Backward<T>(Span<T> dLogits, T dLoss, ReadOnlySpan<T> logProbs, ReadOnlySpan<int> targets, int rows, int classes,
        T labelSmoothing, int ignoreIndex = CrossEntropy.DefaultIgnoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dLogits, (long)rows * classes);
        Guard.Length(logProbs, (long)rows * classes);
        Guard.Length(targets, rows);
        int count = 0;
        for (int r = 0; r < rows; r++)
        {
            count += targets[r] == ignoreIndex ? 0 : 1;
        }

        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == ignoreIndex)
            {
                continue;
            }

            for (int c = 0; c < classes; c++)
            {
                T p = T.Exp(logProbs[r * classes + c]);
                T q = TargetProbability(c, targets[r], classes, labelSmoothing);
                dLogits[r * classes + c] += dLoss * (p - q) / T.CreateChecked(count);
            }
        }
    }

    private static T TargetProbability<T>(int c, int target, int classes, T labelSmoothing)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        (c == target ? T.One - labelSmoothing : T.Zero) + labelSmoothing / T.CreateChecked(classes);
}
