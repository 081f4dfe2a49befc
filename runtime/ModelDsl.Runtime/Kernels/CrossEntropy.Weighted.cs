using System;
using System.Globalization;

namespace ModelDsl.Kernels;

/// <summary>
/// Cross-entropy with class weights, PyTorch's <c>F.cross_entropy(logits, targets, weight=w, ignore_index, label_smoothing)</c>
/// with mean reduction: the weighted mean <c>Σ_i w[t_i]·(-log p_i[t_i]) / Σ_i w[t_i]</c> over the counted rows, and with
/// label smoothing ε PyTorch's <c>(1 - ε)·that + ε/C · Σ_i Σ_c w_c·(-log p_i[c]) / Σ_i w[t_i]</c>. The reference version is
/// <see cref="Reference.LossesReference.WeightedCrossEntropyForward{T}"/>.
/// </summary>
public static partial class CrossEntropy
{
    /// <summary>Writes <c>log_softmax(logits)</c> to <paramref name="logProbs"/> and returns the class-weighted mean loss (0 when no weight counts).</summary>
    /// <param name="logProbs">Saved for the backward <c>[rows, classes]</c>.</param>
    /// <param name="logits">Logits <c>[rows, classes]</c>.</param>
    /// <param name="targets">Class index per row, or <paramref name="ignoreIndex"/>.</param>
    /// <param name="weights">Weight per class <c>[classes]</c>, each finite and &gt;= 0.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="classes">Classes.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="ignoreIndex">Target of rows that take no part.</param>
    /// <param name="pool">Threads for the log-softmax; null runs on the caller.</param>
    /// <returns>The weighted mean loss.</returns>
    public static float WeightedForward(Span<float> logProbs, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights,
        int rows, int classes, float labelSmoothing = 0f, int ignoreIndex = DefaultIgnoreIndex, Threading.WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Loss);
        Check(targets, rows, classes, labelSmoothing, ignoreIndex);
        CheckWeights(weights, classes);
        Guard.Length(logProbs, (long)rows * classes);
        Guard.Length(logits, (long)rows * classes);
        Softmax.LogForward(logProbs, logits, rows, classes, pool);
        double total = 0, weight = 0;
        for (int r = 0; r < rows; r++)
        {
            int target = targets[r];
            if (target == ignoreIndex)
            {
                continue;
            }

            ReadOnlySpan<float> row = logProbs.Slice(r * classes, classes);
            weight += weights[target];
            total -= (1.0 - labelSmoothing) * weights[target] * row[target];
            if (labelSmoothing != 0f)
            {
                double smooth = 0;
                for (int c = 0; c < classes; c++)
                {
                    smooth -= (double)weights[c] * row[c];
                }

                total += labelSmoothing * smooth / classes;
            }
        }

        return weight == 0 ? 0f : (float)(total / weight);
    }

    /// <summary>Adds <c>dLoss · ∂loss/∂logits</c> of <see cref="WeightedForward"/> into <paramref name="dLogits"/>.</summary>
    /// <param name="dLogits">Gradient of the logits <c>[rows, classes]</c>; accumulated. Ignored rows receive nothing.</param>
    /// <param name="dLoss">Gradient of the loss.</param>
    /// <param name="logProbs">The forward's log-probabilities.</param>
    /// <param name="targets">The forward's targets.</param>
    /// <param name="weights">The forward's class weights.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="classes">Classes.</param>
    /// <param name="labelSmoothing">The forward's ε.</param>
    /// <param name="ignoreIndex">The forward's ignore index.</param>
    public static void WeightedBackward(Span<float> dLogits, float dLoss, ReadOnlySpan<float> logProbs, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights,
        int rows, int classes, float labelSmoothing = 0f, int ignoreIndex = DefaultIgnoreIndex)
    {
        using var profile = KernelProfile.Time(KernelFamily.Loss);
        Check(targets, rows, classes, labelSmoothing, ignoreIndex);
        CheckWeights(weights, classes);
        Guard.Length(dLogits, (long)rows * classes);
        Guard.Length(logProbs, (long)rows * classes);
        double weight = 0, all = 0;
        for (int r = 0; r < rows; r++)
        {
            weight += targets[r] == ignoreIndex ? 0 : weights[targets[r]];
        }

        if (weight == 0)
        {
            return;
        }

        for (int c = 0; c < classes; c++)
        {
            all += weights[c];
        }

        float scale = (float)(dLoss / weight), smooth = labelSmoothing / classes, sum = (float)all;
        for (int r = 0; r < rows; r++)
        {
            int target = targets[r];
            if (target == ignoreIndex)
            {
                continue;
            }

            // (1 - ε) w_t (p_c - [c = t]) + ε/C (p_c Σw - w_c)
            Span<float> dx = dLogits.Slice(r * classes, classes);
            ReadOnlySpan<float> logp = logProbs.Slice(r * classes, classes);
            float hard = (1f - labelSmoothing) * weights[target];
            for (int c = 0; c < classes; c++)
            {
                float p = MathF.Exp(logp[c]);
                dx[c] += scale * ((hard * p) + (smooth * ((p * sum) - weights[c])));
            }

            dx[target] -= scale * hard;
        }
    }

    private static void CheckWeights(ReadOnlySpan<float> weights, int classes)
    {
        Guard.Length(weights, classes);
        for (int c = 0; c < classes; c++)
        {
            if (!(weights[c] >= 0f) || float.IsInfinity(weights[c]))
            {
                throw new ArgumentOutOfRangeException(nameof(weights), weights[c], string.Create(CultureInfo.InvariantCulture,
                    $"weights[{c}] = {weights[c]}: class weights must be finite and >= 0."));
            }
        }
    }
}
