using System;

namespace ModelDsl.Kernels;

/// <summary>
/// Cross-entropy against soft labels (a probability distribution per row, e.g. mixup or averaged annotations), PyTorch's
/// <c>F.cross_entropy(logits, probabilities)</c>: <c>loss = -(1/rows) Σ_r Σ_c q[r, c] · log_softmax(x[r])[c]</c>;
/// <c>d x[r, c] = (softmax(x[r])[c] · Σ_c q[r, c] - q[r, c]) / rows</c>. Log-softmax as x - max - log Σ exp(x - max), finite for
/// logits of ±1e4. The reference version is <see cref="Reference.LossesReference.SoftCrossEntropyForward{T}"/>.
/// </summary>
/// <remarks>Sums in double, rows in order: the loss is deterministic.</remarks>
public static class SoftCrossEntropy
{
    /// <summary>Writes <c>log_softmax(logits)</c> to <paramref name="logProbs"/> and returns the mean cross-entropy against <paramref name="targets"/>.</summary>
    /// <param name="logProbs">Saved for the backward <c>[rows, classes]</c>.</param>
    /// <param name="logits">Logits <c>[rows, classes]</c>.</param>
    /// <param name="targets">Target probabilities <c>[rows, classes]</c>.</param>
    /// <param name="rows">Rows (the mean's denominator).</param>
    /// <param name="classes">Classes per row.</param>
    /// <returns>The mean loss.</returns>
    public static float Forward(Span<float> logProbs, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int rows, int classes)
    {
        Check(logProbs, logits, targets, rows, classes);
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            int o = r * classes;
            SoftTargetMath.LogSoftmax(logProbs.Slice(o, classes), logits.Slice(o, classes), 1f);
            for (int c = 0; c < classes; c++)
            {
                sum -= (double)targets[o + c] * logProbs[o + c];
            }
        }

        return (float)(sum / rows);
    }

    /// <summary>Adds <c>dLoss · (softmax · Σ q - q) / rows</c> into <paramref name="dLogits"/>.</summary>
    /// <param name="dLogits">Gradient of the logits <c>[rows, classes]</c>; accumulated.</param>
    /// <param name="dLoss">Gradient of the mean loss.</param>
    /// <param name="logProbs">The forward's log-probabilities.</param>
    /// <param name="targets">The forward's target probabilities.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="classes">Classes per row.</param>
    public static void Backward(Span<float> dLogits, float dLoss, ReadOnlySpan<float> logProbs, ReadOnlySpan<float> targets, int rows, int classes)
    {
        Check(dLogits, logProbs, targets, rows, classes);
        float scale = dLoss / rows;
        for (int r = 0; r < rows; r++)
        {
            int o = r * classes;
            float mass = 0f;
            for (int c = 0; c < classes; c++)
            {
                mass += targets[o + c];
            }

            for (int c = 0; c < classes; c++)
            {
                dLogits[o + c] += scale * ((MathF.Exp(logProbs[o + c]) * mass) - targets[o + c]);
            }
        }
    }

    private static void Check(ReadOnlySpan<float> first, ReadOnlySpan<float> second, ReadOnlySpan<float> targets, int rows, int classes,
        [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(first))] string? firstName = null,
        [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(second))] string? secondName = null)
    {
        Guard.Positive(rows);
        Guard.Positive(classes);
        long n = (long)rows * classes;
        Guard.Length(first, n, firstName);
        Guard.Length(second, n, secondName);
        Guard.Length(targets, n);
    }
}

/// <summary>
/// Knowledge distillation's soft-target loss (Hinton et al., 2015): the KL divergence from the teacher's softened distribution
/// <c>q = softmax(t / T)</c> to the student's <c>p = softmax(x / T)</c>, scaled by <c>T²</c> so its gradient keeps its size as T
/// changes, averaged over rows. Exactly PyTorch's
/// <c>F.kl_div(F.log_softmax(x / T, -1), F.log_softmax(t / T, -1), reduction="batchmean", log_target=True) * T * T</c>;
/// <c>d x = T · (p - q) / rows</c>. The reference version is <see cref="Reference.LossesReference.KLDivergenceForward{T}"/>.
/// </summary>
/// <remarks>Sums in double, rows in order: the loss is deterministic.</remarks>
public static class KLDivergence
{
    /// <summary>Writes both softened log-distributions and returns <c>T² · Σ q (log q - log p) / rows</c>.</summary>
    /// <param name="logProbs">The student's <c>log_softmax(logits / T)</c> <c>[rows, classes]</c>, saved for the backward.</param>
    /// <param name="targetLogProbs">The teacher's <c>log_softmax(teacherLogits / T)</c> <c>[rows, classes]</c>, saved for the backward.</param>
    /// <param name="logits">The student's logits <c>[rows, classes]</c>.</param>
    /// <param name="teacherLogits">The teacher's logits <c>[rows, classes]</c>.</param>
    /// <param name="rows">Rows (the mean's denominator, PyTorch's <c>batchmean</c>).</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="temperature">The softening temperature T &gt; 0.</param>
    /// <returns>The mean loss.</returns>
    public static float Forward(Span<float> logProbs, Span<float> targetLogProbs, ReadOnlySpan<float> logits, ReadOnlySpan<float> teacherLogits,
        int rows, int classes, float temperature)
    {
        Check(rows, classes, temperature);
        long n = (long)rows * classes;
        Guard.Length(logProbs, n);
        Guard.Length(targetLogProbs, n);
        Guard.Length(logits, n);
        Guard.Length(teacherLogits, n);
        float inverse = 1f / temperature;
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            int o = r * classes;
            SoftTargetMath.LogSoftmax(logProbs.Slice(o, classes), logits.Slice(o, classes), inverse);
            SoftTargetMath.LogSoftmax(targetLogProbs.Slice(o, classes), teacherLogits.Slice(o, classes), inverse);
            for (int c = 0; c < classes; c++)
            {
                double logQ = targetLogProbs[o + c];
                sum += Math.Exp(logQ) * (logQ - logProbs[o + c]);
            }
        }

        return (float)(sum * temperature * temperature / rows);
    }

    /// <summary>Adds <c>dLoss · T · (p - q) / rows</c> into <paramref name="dLogits"/>.</summary>
    /// <param name="dLogits">Gradient of the student's logits <c>[rows, classes]</c>; accumulated.</param>
    /// <param name="dLoss">Gradient of the mean loss.</param>
    /// <param name="logProbs">The forward's student log-probabilities.</param>
    /// <param name="targetLogProbs">The forward's teacher log-probabilities.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="classes">Classes per row.</param>
    /// <param name="temperature">The forward's temperature.</param>
    public static void Backward(Span<float> dLogits, float dLoss, ReadOnlySpan<float> logProbs, ReadOnlySpan<float> targetLogProbs,
        int rows, int classes, float temperature)
    {
        Check(rows, classes, temperature);
        long n = (long)rows * classes;
        Guard.Length(dLogits, n);
        Guard.Length(logProbs, n);
        Guard.Length(targetLogProbs, n);
        float scale = dLoss * temperature / rows;
        for (int i = 0; i < n; i++)
        {
            dLogits[i] += scale * (MathF.Exp(logProbs[i]) - MathF.Exp(targetLogProbs[i]));
        }
    }

    private static void Check(int rows, int classes, float temperature)
    {
        Guard.Positive(rows);
        Guard.Positive(classes);
        if (!(temperature > 0f) || float.IsInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "KLDivergence: temperature must be a finite number > 0.");
        }
    }
}

/// <summary>The row operation the soft-target losses share.</summary>
internal static class SoftTargetMath
{
    /// <summary><c>output = log_softmax(input · scale)</c> over one row: x - max - log Σ exp(x - max), with the sum in double.</summary>
    public static void LogSoftmax(Span<float> output, ReadOnlySpan<float> input, float scale)
    {
        float max = float.NegativeInfinity;
        for (int c = 0; c < input.Length; c++)
        {
            max = Math.Max(max, input[c] * scale);
        }

        double sum = 0;
        for (int c = 0; c < input.Length; c++)
        {
            sum += Math.Exp((input[c] * scale) - max);
        }

        float log = max + (float)Math.Log(sum);
        for (int c = 0; c < input.Length; c++)
        {
            output[c] = (input[c] * scale) - log;
        }
    }
}
