using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook layer normalization over the last axis of <c>[rows, width]</c>, generic over the element
/// type; the plain loops that <see cref="LayerNorm"/> is tested against.
/// </summary>
public static class LayerNormReference
{
    /// <summary>
    /// <c>y = (x - mean) / sqrt(var + eps) · weight + bias</c> per row, with the biased variance;
    /// saves <c>mean</c> and <c>rstd = 1 / sqrt(var + eps)</c> per row.
    /// </summary>
    /// <param name="output">Normalized values <c>[rows, width]</c>.</param>
    /// <param name="mean">Saved row means <c>[rows]</c>.</param>
    /// <param name="rstd">Saved reciprocal standard deviations <c>[rows]</c>.</param>
    /// <param name="input">Input <c>[rows, width]</c>.</param>
    /// <param name="weight">Scale <c>[width]</c>.</param>
    /// <param name="bias">Shift <c>[width]</c>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="width">Normalized width.</param>
    /// <param name="eps">Added to the variance inside the square root.</param>
    public static void Forward<T>(
        Span<T> output, Span<T> mean, Span<T> rstd,
        ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        int rows, int width, double eps = 1e-5)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.NonNegative(rows);
        Guard.Positive(width);
        long size = (long)rows * width;
        Guard.Length(output, size);
        Guard.Length(mean, rows);
        Guard.Length(rstd, rows);
        Guard.Length(input, size);
        Guard.Length(weight, width);
        Guard.Length(bias, width);

        T n = T.CreateChecked(width);
        T epsilon = T.CreateChecked(eps);
        for (int r = 0; r < rows; r++)
        {
            int row = r * width;
            T sum = T.Zero;
            for (int j = 0; j < width; j++)
            {
                sum += input[row + j];
            }

            T m = sum / n;
            T squares = T.Zero;
            for (int j = 0; j < width; j++)
            {
                T d = input[row + j] - m;
                squares += d * d;
            }

            T variance = squares / n;
            T s = T.One / T.Sqrt(variance + epsilon);
            mean[r] = m;
            rstd[r] = s;
            for (int j = 0; j < width; j++)
            {
                output[row + j] = (input[row + j] - m) * s * weight[j] + bias[j];
            }
        }
    }

    /// <summary>
    /// Accumulates the input, weight and bias gradients:
    /// <c>dx += rstd · (g - mean(g) - xhat · mean(g · xhat))</c> with <c>g = dy · weight</c>,
    /// <c>dWeight += Σ dy · xhat</c>, <c>dBias += Σ dy</c>.
    /// </summary>
    /// <param name="dInput">Gradient of the input <c>[rows, width]</c>, accumulated.</param>
    /// <param name="dWeight">Gradient of the weight <c>[width]</c>, accumulated.</param>
    /// <param name="dBias">Gradient of the bias <c>[width]</c>, accumulated.</param>
    /// <param name="dOutput">Gradient of the output <c>[rows, width]</c>.</param>
    /// <param name="input">The forward input <c>[rows, width]</c>.</param>
    /// <param name="weight">The forward weight <c>[width]</c>.</param>
    /// <param name="mean">Saved row means <c>[rows]</c>.</param>
    /// <param name="rstd">Saved reciprocal standard deviations <c>[rows]</c>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="width">Normalized width.</param>
    public static void Backward<T>(
        Span<T> dInput, Span<T> dWeight, Span<T> dBias,
        ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        int rows, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.NonNegative(rows);
        Guard.Positive(width);
        long size = (long)rows * width;
        Guard.Length(dInput, size);
        Guard.Length(dWeight, width);
        Guard.Length(dBias, width);
        Guard.Length(dOutput, size);
        Guard.Length(input, size);
        Guard.Length(weight, width);
        Guard.Length(mean, rows);
        Guard.Length(rstd, rows);

        T n = T.CreateChecked(width);
        for (int r = 0; r < rows; r++)
        {
            int row = r * width;
            T m = mean[r], s = rstd[r];
            T sumG = T.Zero, sumGX = T.Zero;
            for (int j = 0; j < width; j++)
            {
                T xhat = (input[row + j] - m) * s;
                T g = dOutput[row + j] * weight[j];
                sumG += g;
                sumGX += g * xhat;
                dWeight[j] += dOutput[row + j] * xhat;
                dBias[j] += dOutput[row + j];
            }

            T meanG = sumG / n, meanGX = sumGX / n;
            for (int j = 0; j < width; j++)
            {
                T xhat = (input[row + j] - m) * s;
                T g = dOutput[row + j] * weight[j];
                dInput[row + j] += s * (g - meanG - xhat * meanGX);
            }
        }
    }
}
