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

        ReadOnlySpan<float> dPre = dOutput;
        if (activation != ActivationKind.None)
        {
            // (rows, out) dPre = dOut ⊙ f'(pre), one pass.
            using var profile = KernelProfile.Time(KernelFamily.Activation);
            fixed (float* pDPre = scratch)
            fixed (float* pDOut = dOutput)
            fixed (float* pPre = preActivation)
            {
                for (int r = 0; r < rows; r++)
                {
                    nint offset = (nint)r * outFeatures;
                    LinearActivation.Backward(pDPre + offset, pDOut + offset, pPre + offset, outFeatures, activation);
                }
            }

            dPre = scratch;
        }

        if (!dBias.IsEmpty)
        {
            // Column sums in row order: a fixed reduction order.
            using var profile = KernelProfile.Time(KernelFamily.BiasGradient);
            for (int r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(dBias, dPre.Slice(r * outFeatures, outFeatures), dBias);
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
}
