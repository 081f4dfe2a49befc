using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook batch normalization over the rows of <c>[rows, channels]</c> (PyTorch's <c>BatchNorm1d</c>),
/// generic over the element type; the plain loops that <see cref="BatchNorm"/> is tested against.
/// </summary>
public static class BatchNormReference
{
    /// <summary>
    /// Training: normalizes with the batch mean and biased variance and updates the running statistics
    /// with <paramref name="momentum"/> (the variance with the unbiased batch variance). Evaluation:
    /// normalizes with the running statistics. Saves the mean and <c>1 / sqrt(var + eps)</c> used.
    /// </summary>
    /// <param name="output">Normalized values <c>[rows, channels]</c>.</param>
    /// <param name="savedMean">Mean used per channel <c>[channels]</c>.</param>
    /// <param name="savedRstd">Reciprocal standard deviation used per channel <c>[channels]</c>.</param>
    /// <param name="runningMean">Running mean <c>[channels]</c>.</param>
    /// <param name="runningVar">Running variance <c>[channels]</c>.</param>
    /// <param name="input">Input <c>[rows, channels]</c>.</param>
    /// <param name="weight">Scale <c>[channels]</c>.</param>
    /// <param name="bias">Shift <c>[channels]</c>.</param>
    /// <param name="rows">Number of rows N.</param>
    /// <param name="channels">Number of channels C.</param>
    /// <param name="training">Batch statistics (<see langword="true"/>) or running statistics.</param>
    /// <param name="momentum">Weight of the batch statistics in the running update.</param>
    /// <param name="eps">Added to the variance inside the square root.</param>
    public static void Forward<T>(
        Span<T> output, Span<T> savedMean, Span<T> savedRstd,
        Span<T> runningMean, Span<T> runningVar,
        ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        int rows, int channels, bool training, double momentum = 0.1, double eps = 1e-5)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Positive(rows);
        Guard.Positive(channels);
        long size = (long)rows * channels;
        Guard.Length(output, size);
        Guard.Length(savedMean, channels);
        Guard.Length(savedRstd, channels);
        Guard.Length(runningMean, channels);
        Guard.Length(runningVar, channels);
        Guard.Length(input, size);
        Guard.Length(weight, channels);
        Guard.Length(bias, channels);
        BatchNorm.CheckOptions(rows, training, (float)momentum, (float)eps);

        T n = T.CreateChecked(rows);
        T epsilon = T.CreateChecked(eps);
        T mom = T.CreateChecked(momentum);
        for (int c = 0; c < channels; c++)
        {
            T mean, variance;
            if (training)
            {
                T sum = T.Zero;
                for (int r = 0; r < rows; r++)
                {
                    sum += input[r * channels + c];
                }

                mean = sum / n;
                T squares = T.Zero;
                for (int r = 0; r < rows; r++)
                {
                    T d = input[r * channels + c] - mean;
                    squares += d * d;
                }

                variance = squares / n;
                T unbiased = squares / (n - T.One);
                runningMean[c] = (T.One - mom) * runningMean[c] + mom * mean;
                runningVar[c] = (T.One - mom) * runningVar[c] + mom * unbiased;
            }
            else
            {
                mean = runningMean[c];
                variance = runningVar[c];
            }

            T rstd = T.One / T.Sqrt(variance + epsilon);
            savedMean[c] = mean;
            savedRstd[c] = rstd;
            for (int r = 0; r < rows; r++)
            {
                int i = r * channels + c;
                output[i] = (input[i] - mean) * rstd * weight[c] + bias[c];
            }
        }
    }

    /// <summary>
    /// Accumulates the gradients. Training (through the batch statistics):
    /// <c>dx += w · rstd · (dy - mean(dy) - xhat · mean(dy · xhat))</c>; evaluation: <c>dx += w · rstd · dy</c>.
    /// Both: <c>dWeight += Σ dy · xhat</c>, <c>dBias += Σ dy</c>.
    /// </summary>
    /// <param name="dInput">Gradient of the input <c>[rows, channels]</c>, accumulated.</param>
    /// <param name="dWeight">Gradient of the weight <c>[channels]</c>, accumulated.</param>
    /// <param name="dBias">Gradient of the bias <c>[channels]</c>, accumulated.</param>
    /// <param name="dOutput">Gradient of the output <c>[rows, channels]</c>.</param>
    /// <param name="input">The forward input <c>[rows, channels]</c>.</param>
    /// <param name="weight">The forward weight <c>[channels]</c>.</param>
    /// <param name="savedMean">Mean saved by the forward pass <c>[channels]</c>.</param>
    /// <param name="savedRstd">Reciprocal standard deviation saved by the forward pass <c>[channels]</c>.</param>
    /// <param name="rows">Number of rows N.</param>
    /// <param name="channels">Number of channels C.</param>
    /// <param name="training">The mode the forward pass ran in.</param>
    public static void Backward<T>(
        Span<T> dInput, Span<T> dWeight, Span<T> dBias,
        ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> savedMean, ReadOnlySpan<T> savedRstd,
        int rows, int channels, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Positive(rows);
        Guard.Positive(channels);
        long size = (long)rows * channels;
        Guard.Length(dInput, size);
        Guard.Length(dWeight, channels);
        Guard.Length(dBias, channels);
        Guard.Length(dOutput, size);
        Guard.Length(input, size);
        Guard.Length(weight, channels);
        Guard.Length(savedMean, channels);
        Guard.Length(savedRstd, channels);

        T n = T.CreateChecked(rows);
        for (int c = 0; c < channels; c++)
        {
            T mean = savedMean[c], rstd = savedRstd[c];
            T sumDy = T.Zero, sumDyX = T.Zero;
            for (int r = 0; r < rows; r++)
            {
                int i = r * channels + c;
                T xhat = (input[i] - mean) * rstd;
                sumDy += dOutput[i];
                sumDyX += dOutput[i] * xhat;
            }

            dBias[c] += sumDy;
            dWeight[c] += sumDyX;
            for (int r = 0; r < rows; r++)
            {
                int i = r * channels + c;
                if (training)
                {
                    T xhat = (input[i] - mean) * rstd;
                    dInput[i] += weight[c] * rstd * (dOutput[i] - sumDy / n - xhat * sumDyX / n);
                }
                else
                {
                    dInput[i] += weight[c] * rstd * dOutput[i];
                }
            }
        }
    }
}
