using System;
using System.Numerics;
using ModelDsl.Randomness;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook <c>nn.RReLU</c>, generic over the element type; the plain loops that <see cref="RRelu"/> is tested against.</summary>
public static class RReluReference
{
    /// <summary>
    /// <c>slope = training ? (x ≤ 0 ? lower + (upper - lower)·u_i : 1) : (x &gt; 0 ? 1 : (lower + upper) / 2)</c>, the draw
    /// <c>u_i = CounterRandom.Uniform(seed, stream, offset + i)</c> and the slope computed in float; <c>output = x · slope</c>.
    /// </summary>
    /// <param name="output">Result.</param>
    /// <param name="slopes">Saved slopes.</param>
    /// <param name="input">Input.</param>
    /// <param name="lower">Lower bound of the slope.</param>
    /// <param name="upper">Upper bound of the slope.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="stream">Random stream.</param>
    /// <param name="offset">Counter of element 0.</param>
    /// <param name="training">Random slopes, or the mean slope.</param>
    public static void Forward<T>(Span<T> output, Span<T> slopes, ReadOnlySpan<T> input, float lower, float upper, ulong seed, ulong stream, ulong offset, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        RRelu.CheckBounds(lower, upper);
        Guard.Length(output, input.Length);
        Guard.Length(slopes, input.Length);
        float mean = (float)(((double)lower + upper) / 2);
        for (int i = 0; i < input.Length; i++)
        {
            T x = input[i];
            float slope = training
                ? (x <= T.Zero ? lower + ((upper - lower) * CounterRandom.Uniform(seed, stream, offset + (ulong)i)) : 1f)
                : (x > T.Zero ? 1f : mean);
            slopes[i] = T.CreateChecked(slope);
            output[i] = x * slopes[i];
        }
    }

    /// <summary><c>dInput += dOutput · slopes</c>.</summary>
    /// <param name="dInput">Gradient of the input, accumulated.</param>
    /// <param name="dOutput">Gradient of the output.</param>
    /// <param name="slopes">The forward's slopes.</param>
    public static void Backward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> slopes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dOutput, dInput.Length);
        Guard.Length(slopes, dInput.Length);
        for (int i = 0; i < dInput.Length; i++)
        {
            dInput[i] += dOutput[i] * slopes[i];
        }
    }
}
