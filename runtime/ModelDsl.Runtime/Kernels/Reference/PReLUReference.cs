using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook <c>nn.PReLU</c>, generic over the element type; the plain loops that <see cref="PReLU"/> is tested against.</summary>
public static class PReLUReference
{
    /// <summary><c>output = input &gt; 0 ? input : weight[c] · input</c> (<c>weight[0]</c> when there is one slope).</summary>
    /// <param name="output">Result <c>[rows, channels]</c>.</param>
    /// <param name="input">Input <c>[rows, channels]</c>.</param>
    /// <param name="weight">Slopes <c>[1]</c> or <c>[channels]</c>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="channels">Channels (the last dimension).</param>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<T> weight, int rows, int channels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        PReLU.CheckShapes(rows, channels, weight.Length);
        Guard.Length(output, (long)rows * channels);
        Guard.Length(input, (long)rows * channels);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < channels; c++)
            {
                T x = input[(r * channels) + c];
                T a = weight[weight.Length == 1 ? 0 : c];
                output[(r * channels) + c] = x > T.Zero ? x : a * x;
            }
        }
    }

    /// <summary><c>dInput += input &gt; 0 ? dOutput : weight[c] · dOutput</c>; <c>dWeight[c] += dOutput · input</c> where <c>input ≤ 0</c>.</summary>
    /// <param name="dInput">Gradient of the input, accumulated.</param>
    /// <param name="dWeight">Gradient of the slopes, accumulated.</param>
    /// <param name="dOutput">Gradient of the output.</param>
    /// <param name="input">The forward's input.</param>
    /// <param name="weight">The forward's slopes.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="channels">Channels.</param>
    public static void Backward<T>(Span<T> dInput, Span<T> dWeight, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input, ReadOnlySpan<T> weight, int rows, int channels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        PReLU.CheckShapes(rows, channels, weight.Length);
        Guard.Length(dInput, (long)rows * channels);
        Guard.Length(dOutput, (long)rows * channels);
        Guard.Length(input, (long)rows * channels);
        Guard.Length(dWeight, weight.Length);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < channels; c++)
            {
                int i = (r * channels) + c;
                int s = weight.Length == 1 ? 0 : c;
                if (input[i] > T.Zero)
                {
                    dInput[i] += dOutput[i];
                }
                else
                {
                    dInput[i] += weight[s] * dOutput[i];
                    dWeight[s] += dOutput[i] * input[i];
                }
            }
        }
    }
}
