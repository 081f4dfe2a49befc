using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Cross-entropy on logits, fused with log-softmax, with PyTorch's <c>F.cross_entropy(logits, targets,
/// ignore_index, label_smoothing, reduction='mean')</c> semantics. The reference version is
/// <see cref="Reference.CrossEntropyReference"/>.
/// </summary>
/// <remarks>
/// <para>Per row <c>i</c> with target <c>t</c> and <c>log p = log_softmax(logits[i, :])</c>:
/// <c>loss_i = (1 - ε)·(-log p_t) + ε·mean_c(-log p_c)</c>. The loss is the mean of <c>loss_i</c> over the rows
/// whose target is not <c>ignoreIndex</c> (PyTorch's mean reduction without class weights). Log-softmax is
/// <c>x - max - log(Σ exp(x - max))</c>, so logits of ±1e4 give finite losses and gradients.</para>
/// <para>Gradient: <c>∂loss/∂logits[i, c] = (p_c - (1 - ε)·[c = t] - ε/C) / count</c> for counted rows, 0 for
/// ignored rows.</para>
/// <para>When every row is ignored, PyTorch returns NaN (0/0). Here the loss is 0 and the gradient is zero:
/// a batch with nothing to learn from contributes nothing, and one such batch cannot poison the
/// parameters with NaN.</para>
/// <para>Targets are checked before anything is computed: a target outside <c>[0, classes)</c> that is not
/// <c>ignoreIndex</c> throws an <see cref="ArgumentOutOfRangeException"/> naming the row and the value.
/// The loss is summed in double in row order, so it does not depend on the thread count.</para>
/// </remarks>
[SkipLocalsInit]
public static unsafe partial class CrossEntropy
{
    /// <summary>PyTorch's default <c>ignore_index</c>.</summary>
    public const int DefaultIgnoreIndex = -100;

    private struct BackwardJob
    {
        public float* DLogits;
        public float* LogProbs;
        public int* Targets;
        public int Classes;
        public int IgnoreIndex;
        public float TargetWeight;   // scale · (1 - ε)
        public float Scale;          // dLoss / count
        public float Offset;         // scale · ε / C
    }

    /// <summary>Computes the log-probabilities of every row and returns the mean cross-entropy.</summary>
    /// <param name="logProbs">Output: <c>log_softmax(logits)</c> <c>[rows, classes]</c>, saved for <see cref="Backward"/>.</param>
    /// <param name="logits">Unnormalized scores <c>[rows, classes]</c>.</param>
    /// <param name="targets">Class index per row <c>[rows]</c>, in <c>[0, classes)</c> or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="rows">Number of rows (batch × positions).</param>
    /// <param name="classes">Number of classes <c>C</c>.</param>
    /// <param name="labelSmoothing">ε in <c>[0, 1]</c>: the target distribution is <c>(1 - ε)·onehot + ε/C</c>.</param>
    /// <param name="ignoreIndex">Target value of rows that take no part in the loss (PyTorch default -100).</param>
    /// <param name="pool">Threads for the log-softmax; null runs on the caller.</param>
    /// <returns>The mean loss over counted rows; 0 when every row is ignored.</returns>
    public static float Forward(Span<float> logProbs, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int rows, int classes,
        float labelSmoothing = 0f, int ignoreIndex = DefaultIgnoreIndex, WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Loss);
        Check(targets, rows, classes, labelSmoothing, ignoreIndex);
        Guard.Length(logProbs, (long)rows * classes);
        Guard.Length(logits, (long)rows * classes);
        Softmax.LogForward(logProbs, logits, rows, classes, pool);

        double total = 0;
        int count = 0;
        for (int r = 0; r < rows; r++)
        {
            int target = targets[r];
            if (target == ignoreIndex)
            {
                continue;
            }

            var row = logProbs.Slice(r * classes, classes);
            double loss = -(double)row[target];
            if (labelSmoothing != 0f)
            {
                double smooth = -(double)TensorPrimitives.Sum(row) / classes;
                loss = (1.0 - labelSmoothing) * loss + labelSmoothing * smooth;
            }

            total += loss;
            count++;
        }

        return count == 0 ? 0f : (float)(total / count);
    }

    /// <summary>Adds <c>dLoss · ∂loss/∂logits</c> into <paramref name="dLogits"/>.</summary>
    /// <param name="dLogits">Gradient of the logits <c>[rows, classes]</c>; accumulated. Ignored rows receive nothing.</param>
    /// <param name="dLoss">Gradient of the mean loss (1 when the loss is the objective).</param>
    /// <param name="logProbs">The log-probabilities saved by <see cref="Forward"/>.</param>
    /// <param name="targets">The forward's targets <c>[rows]</c>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="labelSmoothing">The forward's ε.</param>
    /// <param name="ignoreIndex">The forward's ignore index.</param>
    /// <param name="pool">Threads to spread rows over; null runs on the caller.</param>
    public static void Backward(Span<float> dLogits, float dLoss, ReadOnlySpan<float> logProbs, ReadOnlySpan<int> targets, int rows, int classes,
        float labelSmoothing = 0f, int ignoreIndex = DefaultIgnoreIndex, WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Loss);
        Check(targets, rows, classes, labelSmoothing, ignoreIndex);
        Guard.Length(dLogits, (long)rows * classes);
        Guard.Length(logProbs, (long)rows * classes);
        int count = CountedRows(targets, ignoreIndex);
        if (count == 0)
        {
            return;
        }

        float scale = dLoss / count;
        fixed (float* d = dLogits, lp = logProbs)
        fixed (int* t = targets)
        {
            var job = new BackwardJob
            {
                DLogits = d,
                LogProbs = lp,
                Targets = t,
                Classes = classes,
                IgnoreIndex = ignoreIndex,
                Scale = scale,
                TargetWeight = scale * (1f - labelSmoothing),
                Offset = scale * labelSmoothing / classes,
            };
            RowParallel.Run(pool, rows, (long)rows * classes, &BackwardRows, &job);
        }
    }

    /// <summary>Number of rows whose target is not <paramref name="ignoreIndex"/>: the mean's denominator.</summary>
    /// <param name="targets">Targets.</param>
    /// <param name="ignoreIndex">The ignore index.</param>
    /// <returns>The count.</returns>
    public static int CountedRows(ReadOnlySpan<int> targets, int ignoreIndex = DefaultIgnoreIndex)
    {
        int count = 0;
        foreach (int target in targets)
        {
            count += target != ignoreIndex ? 1 : 0;
        }

        return count;
    }

    private static void BackwardRows(void* context, int start, int end)
    {
        const int Chunk = 256;
        var job = (BackwardJob*)context;
        int classes = job->Classes;
        Span<float> p = stackalloc float[Chunk];
        for (int r = start; r < end; r++)
        {
            int target = job->Targets[r];
            if (target == job->IgnoreIndex)
            {
                continue;
            }

            var dx = new Span<float>(job->DLogits + (long)r * classes, classes);
            var logp = new ReadOnlySpan<float>(job->LogProbs + (long)r * classes, classes);
            for (int c0 = 0; c0 < classes; c0 += Chunk)
            {
                var pc = p[..Math.Min(Chunk, classes - c0)];
                TensorPrimitives.Exp(logp.Slice(c0, pc.Length), pc);
                FusedOps.AddAxpb(dx.Slice(c0, pc.Length), pc, job->Scale, -job->Offset);
            }

            dx[target] -= job->TargetWeight;
        }
    }

    private static void Check(ReadOnlySpan<int> targets, int rows, int classes, float labelSmoothing, int ignoreIndex)
    {
        Guard.Positive(rows);
        Guard.Positive(classes);
        Guard.Length(targets, rows);
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing,
                string.Create(CultureInfo.InvariantCulture, $"labelSmoothing must be in [0, 1]; got {labelSmoothing}."));
        }

        for (int r = 0; r < targets.Length; r++)
        {
            int target = targets[r];
            if (target != ignoreIndex && (uint)target >= (uint)classes)
            {
                ThrowTarget(r, target, classes, ignoreIndex);
            }
        }
    }

    [DoesNotReturn]
    private static void ThrowTarget(int row, int target, int classes, int ignoreIndex) =>
        throw new ArgumentOutOfRangeException("targets", target, string.Create(CultureInfo.InvariantCulture,
            $"targets[{row}] = {target} is outside the classes [0, {classes}) and is not the ignore index ({ignoreIndex})."));
}
