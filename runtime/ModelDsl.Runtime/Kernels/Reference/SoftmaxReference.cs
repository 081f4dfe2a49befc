using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook version of <see cref="Softmax"/>, generic over the element type, for tests.</summary>
public static class SoftmaxReference
{
    /// <summary>Computes <c>output[r, c] = exp(x[r, c] - m_r) / Σ_k exp(x[r, k] - m_r)</c>, <c>m_r</c> the row maximum.</summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, int rows, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(output, input, rows, width);
        for (int r = 0; r < rows; r++)
        {
            T max = RowMax(input, r, width);
            T sum = T.Zero;
            for (int c = 0; c < width; c++)
            {
                sum += T.Exp(input[r * width + c] - max);
            }

            for (int c = 0; c < width; c++)
            {
                output[r * width + c] = T.Exp(input[r * width + c] - max) / sum;
            }
        }
    }

    /// <summary>Computes <c>output[r, c] = x[r, c] - m_r - log(Σ_k exp(x[r, k] - m_r))</c>.</summary>
    public static void LogForward<T>(Span<T> output, ReadOnlySpan<T> input, int rows, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(output, input, rows, width);
        for (int r = 0; r < rows; r++)
        {
            T max = RowMax(input, r, width);
            T sum = T.Zero;
            for (int c = 0; c < width; c++)
            {
                sum += T.Exp(input[r * width + c] - max);
            }

            T logSum = T.Log(sum);
            for (int c = 0; c < width; c++)
            {
                output[r * width + c] = input[r * width + c] - max - logSum;
            }
        }
    }

    /// <summary>Adds <c>Σ_j dy_j · ∂y_j/∂x_c = Σ_j dy_j · y_j (δ_jc - y_c)</c> into <c>dInput</c>, from the full Jacobian.</summary>
    public static void Backward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> output, int rows, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward(dInput, dOutput, output, rows, width);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < width; c++)
            {
                T sum = T.Zero;
                T yc = output[r * width + c];
                for (int j = 0; j < width; j++)
                {
                    T yj = output[r * width + j];
                    T jacobian = j == c ? yj * (T.One - yc) : -yj * yc;
                    sum += dOutput[r * width + j] * jacobian;
                }

                dInput[r * width + c] += sum;
            }
        }
    }

    /// <summary>Adds <c>Σ_j dy_j · (δ_jc - softmax_c)</c> into <c>dInput</c>, with <c>softmax = exp(output)</c>.</summary>
    public static void LogBackward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> output, int rows, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBackward(dInput, dOutput, output, rows, width);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < width; c++)
            {
                T sum = T.Zero;
                T pc = T.Exp(output[r * width + c]);
                for (int j = 0; j < width; j++)
                {
                    T jacobian = (j == c ? T.One : T.Zero) - pc;
                    sum += dOutput[r * width + j] * jacobian;
                }

                dInput[r * width + c] += sum;
            }
        }
    }

    private static T RowMax<T>(ReadOnlySpan<T> input, int r, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = input[r * width];
        for (int c = 1; c < width; c++)
        {
            max = T.Max(max, input[r * width + c]);
        }

        return max;
    }

    private static void Check<T>(Span<T> output, ReadOnlySpan<T> input, int rows, int width)
    {
        Guard.Positive(rows);
        Guard.Positive(width);
        Guard.Length(output, (long)rows * width);
        Guard.Length(input, (long)rows * width);
    }

    private static void CheckBackward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> output, int rows, int width)
    {
        Guard.Positive(rows);
        Guard.Positive(width);
        Guard.Length(dInput, (long)rows * width);
        Guard.Length(dOutput, (long)rows * width);
        Guard.Length(output, (long)rows * width);
    }
}
