using System;
using System.Numerics.Tensors;

namespace ModelDsl.Kernels;

/// <summary>The residual connection <c>output = input + branch</c> of a Transformer sublayer.</summary>
public static class Residual
{
    /// <summary><c>output = input + branch</c>, element-wise.</summary>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> branch)
    {
        using var profile = KernelProfile.Time(KernelFamily.Copy);
        Guard.Length(input, output.Length);
        Guard.Length(branch, output.Length);
        TensorPrimitives.Add(input, branch, output);
    }

    /// <summary>Both operands receive the output gradient: <c>dInput += dOutput</c>, <c>dBranch += dOutput</c>.</summary>
    public static void Backward(Span<float> dInput, Span<float> dBranch, ReadOnlySpan<float> dOutput)
    {
        using var profile = KernelProfile.Time(KernelFamily.Copy);
        Guard.Length(dInput, dOutput.Length);
        Guard.Length(dBranch, dOutput.Length);
        TensorPrimitives.Add(dInput, dOutput, dInput);
        TensorPrimitives.Add(dBranch, dOutput, dBranch);
    }
}
