using System;
using System.Numerics.Tensors;

namespace ModelDsl.Kernels;

/// <summary>
/// The element-wise sum of two tensors of one shape (<c>[Add(...)]</c>): <c>output = left + right</c>; the backward hands the output's
/// gradient to both (<c>+=</c>), skipping an empty gradient span (an input that takes no gradient).
/// </summary>
public static class Sum
{
    /// <summary>Writes <c>left[i] + right[i]</c> into <paramref name="output"/>.</summary>
    /// <param name="output"><c>[count]</c>, overwritten.</param>
    /// <param name="left"><c>[count]</c>.</param>
    /// <param name="right"><c>[count]</c>.</param>
    /// <param name="count">Elements.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> left, ReadOnlySpan<float> right, int count)
    {
        Guard.Positive(count);
        Guard.Length(output, count);
        Guard.Length(left, count);
        Guard.Length(right, count);
        TensorPrimitives.Add(left, right, output);
    }

    /// <summary>Adds <paramref name="dOutput"/> into <paramref name="dLeft"/> and <paramref name="dRight"/>; an empty span takes nothing.</summary>
    /// <param name="dLeft"><c>[count]</c> accumulated, or empty.</param>
    /// <param name="dRight"><c>[count]</c> accumulated, or empty.</param>
    /// <param name="dOutput"><c>[count]</c>.</param>
    /// <param name="count">Elements.</param>
    public static void Backward(Span<float> dLeft, Span<float> dRight, ReadOnlySpan<float> dOutput, int count)
    {
        Guard.Positive(count);
        Guard.Length(dOutput, count);
        if (!dLeft.IsEmpty)
        {
            Guard.Length(dLeft, count);
            TensorPrimitives.Add(dLeft, dOutput, dLeft);
        }

        if (!dRight.IsEmpty)
        {
            Guard.Length(dRight, count);
            TensorPrimitives.Add(dRight, dOutput, dRight);
        }
    }
}
