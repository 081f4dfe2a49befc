using System;
using System.Numerics.Tensors;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Fully connected layer with PyTorch's layout: <c>output = f(input · weightᵀ + bias)</c>, weight
/// <c>[outFeatures, inFeatures]</c>. The bias add and the activation run in the GEMM epilogue on each
/// tile while it is in cache.
/// </summary>
public static unsafe class Linear
{
    /// <summary>Floats of scratch <see cref="Backward"/> needs: <c>rows · outFeatures</c> with an activation, else 0.</summary>
    /// <param name="rows">Rows of the input.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="activation">The fused activation.</param>
    public static int ScratchLength(int rows, int outFeatures, ActivationKind activation) =>
        activation == ActivationKind.None ? 0 : checked(rows * outFeatures);

    /// <summary>Forward pass.</summary>
    /// <param name="output">(rows, outFeatures) result <c>f(input · weightᵀ + bias)</c>.</param>
    /// <param name="input">(rows, inFeatures).</param>
    /// <param name="weight">(outFeatures, inFeatures).</param>
    /// <param name="bias">(outFeatures), or empty for a layer without bias.</param>
    /// <param name="rows">Rows (batch × positions).</param>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="activation">Activation applied in the epilogue.</param>
    /// <param name="preActivation">(rows, outFeatures) saved <c>input · weightᵀ + bias</c> for backward; required
    /// when <paramref name="activation"/> is not <see cref="ActivationKind.None"/>, empty otherwise.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Forward(
        Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int rows, int inFeatures, int outFeatures,
        ActivationKind activation = ActivationKind.None, Span<float> preActivation = default, WorkerPool? pool = null)
    {
        Guard.Positive(rows);
        Guard.Positive(inFeatures);
        Guard.Positive(outFeatures);
        long outLength = (long)rows * outFeatures;
        Guard.Length(output, outLength);
        Guard.Length(input, (long)rows * inFeatures);
        Guard.Length(weight, (long)outFeatures * inFeatures);
        if (!bias.IsEmpty)
        {
            Guard.Length(bias, outFeatures);
        }

        Guard.Length(preActivation, activation == ActivationKind.None ? 0 : outLength);
        fixed (float* pOut = output)
        fixed (float* pIn = input)
        fixed (float* pW = weight)
        fixed (float* pBias = bias)
        fixed (float* pPre = preActivation)
        {
            Gemm.MultiplyWithEpilogue(
                pOut, pIn, false, pW, true, rows, outFeatures, inFeatures,
                bias.IsEmpty ? null : pBias, activation, preActivation.IsEmpty ? null : pPre, pool);
        }
    }

    /// <summary>
    /// Backward pass, accumulating: <c>dInput += dPre · weight</c>, <c>dWeight += dPreᵀ · input</c>,
    /// <c>dBias += Σ_rows dPre</c>, where <c>dPre = dOutput ⊙ f'(preActivation)</c>.
    /// </summary>
    /// <param name="dInput">(rows, inFeatures), or empty when the input's gradient is not needed.</param>
    /// <param name="dWeight">(outFeatures, inFeatures).</param>
    /// <param name="dBias">(outFeatures), or empty for a layer without bias.</param>
    /// <param name="dOutput">(rows, outFeatures) gradient of the loss with respect to the output.</param>
    /// <param name="input">(rows, inFeatures) forward input.</param>
    /// <param name="weight">(outFeatures, inFeatures).</param>
    /// <param name="rows">Rows (batch × positions).</param>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="activation">Activation used in forward.</param>
    /// <param name="preActivation">(rows, outFeatures) saved by forward; empty without activation.</param>
    /// <param name="scratch"><see cref="ScratchLength"/> floats for <c>dPre</c>; empty without activation.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Backward(
        Span<float> dInput, Span<float> dWeight, Span<float> dBias,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        int rows, int inFeatures, int outFeatures,
        ActivationKind activation = ActivationKind.None, ReadOnlySpan<float> preActivation = default,
        Span<float> scratch = default, WorkerPool? pool = null)
    {
        Guard.Positive(rows);
        Guard.Positive(inFeatures);
        Guard.Positive(outFeatures);
        long outLength = (long)rows * outFeatures;
        if (!dInput.IsEmpty)
        {
            Guard.Length(dInput, (long)rows * inFeatures);
        }

        Guard.Length(dWeight, (long)outFeatures * inFeatures);
        if (!dBias.IsEmpty)
        {
            Guard.Length(dBias, outFeatures);
        }

        Guard.Length(dOutput, outLength);
        Guard.Length(input, (long)rows * inFeatures);
        Guard.Length(weight, (long)outFeatures * inFeatures);
        Guard.Length(preActivation, activation == ActivationKind.None ? 0 : outLength);
        Guard.Length(scratch, ScratchLength(rows, outFeatures, activation));

        ReadOnlySpan<float> dPre = activation == ActivationKind.None ? dOutput : scratch;
        if (activation != ActivationKind.None || !dBias.IsEmpty)
        {
            // (rows, out) dPre = dOut ⊙ f'(pre) and dBias += Σ_rows dPre, in one pass split by columns: each column's
            // sum runs over the rows in order whatever the split, so the bits do not depend on the thread count.
            using var profile = KernelProfile.Time(activation == ActivationKind.None ? KernelFamily.BiasGradient : KernelFamily.Activation);
            fixed (float* pDPre = scratch)
            fixed (float* pDOut = dOutput)
            fixed (float* pPre = preActivation)
            fixed (float* pDBias = dBias)
            {
                var job = new EpilogueJob
                {
                    DPre = activation == ActivationKind.None ? null : pDPre, DOut = pDOut, Pre = pPre,
                    DBias = dBias.IsEmpty ? null : pDBias, Rows = rows, Width = outFeatures, Activation = activation,
                };
                int units = (outFeatures + EpilogueColumns - 1) / EpilogueColumns;
                job.Parts = pool is null || outLength < RowParallel.MinimumParallelElements ? 1 : Math.Min(pool.ThreadCount, units);
                if (job.Parts == 1)
                {
                    EpiloguePart(&job, 0);
                }
                else
                {
                    pool!.Run(job.Parts, &EpiloguePart, &job);
                }
            }
        }

        if (!dInput.IsEmpty)
        {
            // (rows, in) += (rows, out) · (out, in)
            Gemm.Multiply(dInput, dPre, false, weight, false, rows, inFeatures, outFeatures, 1f, 1f, pool);
        }

        // (out, in) += (rows, out)ᵀ · (rows, in)
        Gemm.Multiply(dWeight, dPre, true, input, false, outFeatures, inFeatures, rows, 1f, 1f, pool);
    }

    /// <summary>Columns per unit of the backward epilogue's split: a multiple of the 8-lane activation vector.</summary>
    private const int EpilogueColumns = 16;

    private struct EpilogueJob
    {
        public float* DPre, DOut, Pre, DBias;
        public int Rows, Width, Parts;
        public ActivationKind Activation;
    }

    /// <summary>
    /// Part <paramref name="part"/> of the backward epilogue: a range of whole <see cref="EpilogueColumns"/>-wide units, every
    /// row in order; <c>dPre = dOut ⊙ f'(pre)</c> when there is an activation (<see cref="EpilogueJob.DPre"/> not null), then the
    /// bias gradient from <c>dPre</c> (or <c>dOut</c>).
    /// </summary>
    private static void EpiloguePart(void* context, int part)
    {
        var job = (EpilogueJob*)context;
        int units = (job->Width + EpilogueColumns - 1) / EpilogueColumns;
        var (first, last) = ParallelRange.Chunk(units, job->Parts, part);
        int c0 = first * EpilogueColumns, c1 = Math.Min(job->Width, last * EpilogueColumns), n = c1 - c0;
        if (n <= 0)
        {
            return;
        }

        for (int r = 0; r < job->Rows; r++)
        {
            nint offset = ((nint)r * job->Width) + c0;
            float* gradient = job->DOut + offset;
            if (job->DPre != null)
            {
                LinearActivation.Backward(job->DPre + offset, gradient, job->Pre + offset, n, job->Activation);
                gradient = job->DPre + offset;
            }

            if (job->DBias != null)
            {
                TensorPrimitives.Add(new ReadOnlySpan<float>(job->DBias + c0, n), new ReadOnlySpan<float>(gradient, n), new Span<float>(job->DBias + c0, n));
            }
        }
    }
}
