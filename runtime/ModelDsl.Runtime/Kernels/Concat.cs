using System;

namespace ModelDsl.Kernels;

/// <summary>
/// Concatenation along the last axis: <c>output[r] = [left[r]; right[r]]</c> for <c>[rows, a]</c> and <c>[rows, b]</c>
/// (a bidirectional layer's forward and backward states).
/// </summary>
public static class Concat
{
    /// <summary>Writes <c>[left; right]</c> row by row into <paramref name="output"/>.</summary>
    /// <param name="output"><c>[rows, a + b]</c>, overwritten.</param>
    /// <param name="left"><c>[rows, a]</c>.</param>
    /// <param name="right"><c>[rows, b]</c>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="leftWidth">a.</param>
    /// <param name="rightWidth">b.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> left, ReadOnlySpan<float> right, int rows, int leftWidth, int rightWidth)
    {
        using var profile = KernelProfile.Time(KernelFamily.Copy);
        Check(rows, leftWidth, rightWidth);
        Guard.Length(output, (long)rows * (leftWidth + rightWidth));
        Guard.Length(left, (long)rows * leftWidth);
        Guard.Length(right, (long)rows * rightWidth);
        int width = leftWidth + rightWidth;
        for (int r = 0; r < rows; r++)
        {
            left.Slice(r * leftWidth, leftWidth).CopyTo(output.Slice(r * width, leftWidth));
            right.Slice(r * rightWidth, rightWidth).CopyTo(output.Slice((r * width) + leftWidth, rightWidth));
        }
    }

    /// <summary>Adds each output row's two parts into <paramref name="dLeft"/> and <paramref name="dRight"/> (<c>+=</c>).</summary>
    /// <param name="dLeft"><c>[rows, a]</c>, accumulated.</param>
    /// <param name="dRight"><c>[rows, b]</c>, accumulated.</param>
    /// <param name="dOutput"><c>[rows, a + b]</c>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="leftWidth">a.</param>
    /// <param name="rightWidth">b.</param>
    public static void Backward(Span<float> dLeft, Span<float> dRight, ReadOnlySpan<float> dOutput, int rows, int leftWidth, int rightWidth)
    {
        using var profile = KernelProfile.Time(KernelFamily.Copy);
        Check(rows, leftWidth, rightWidth);
        Guard.Length(dOutput, (long)rows * (leftWidth + rightWidth));
        Guard.Length(dLeft, (long)rows * leftWidth);
        Guard.Length(dRight, (long)rows * rightWidth);
        int width = leftWidth + rightWidth;
        for (int r = 0; r < rows; r++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(dLeft.Slice(r * leftWidth, leftWidth), dOutput.Slice(r * width, leftWidth), dLeft.Slice(r * leftWidth, leftWidth));
            System.Numerics.Tensors.TensorPrimitives.Add(dRight.Slice(r * rightWidth, rightWidth), dOutput.Slice((r * width) + leftWidth, rightWidth), dRight.Slice(r * rightWidth, rightWidth));
        }
    }

    private static void Check(int rows, int leftWidth, int rightWidth)
    {
        Guard.Positive(rows);
        Guard.Positive(leftWidth);
        Guard.Positive(rightWidth);
    }
}
