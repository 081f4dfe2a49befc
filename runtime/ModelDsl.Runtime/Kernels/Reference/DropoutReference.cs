using System;
using System.Numerics;
using ModelDsl.Randomness;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook inverted dropout, generic over the element type; the plain loops that <see cref="Dropout"/>
/// is tested against. Element <c>i</c> is kept when <c>CounterRandom.Uniform(seed, stream, offset + i) &gt;= p</c>.
/// </summary>
public static class DropoutReference
{
    /// <summary>Keeps element <c>i</c> (scaled by <c>1 / (1 - p)</c>) or zeroes it; identity when not training.</summary>
    /// <param name="output">Result, as long as <paramref name="input"/>.</param>
    /// <param name="mask">Saved mask: 1 = kept, 0 = dropped.</param>
    /// <param name="input">Input values.</param>
    /// <param name="p">Drop probability in <c>[0, 1]</c>.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="stream">Random stream.</param>
    /// <param name="offset">Counter of element 0.</param>
    /// <param name="training"><see langword="false"/> makes this the identity.</param>
    public static void Forward<T>(Span<T> output, Span<byte> mask, ReadOnlySpan<T> input,
        float p, ulong seed, ulong stream, ulong offset, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(output, input.Length);
        Guard.Length(mask, input.Length);
        Dropout.CheckProbability(p);
        for (int i = 0; i < input.Length; i++)
        {
            if (!training)
            {
                mask[i] = 1;
                output[i] = input[i];
                continue;
            }

            bool keep = CounterRandom.Uniform(seed, stream, offset + (ulong)i) >= p;
            mask[i] = keep ? (byte)1 : (byte)0;
            output[i] = keep ? input[i] / (T.One - T.CreateChecked(p)) : T.Zero;
        }
    }

    /// <summary>Adds <c>dOutput · mask / (1 - p)</c> (or all of <c>dOutput</c> when not training) into <paramref name="dInput"/>.</summary>
    /// <param name="dInput">Gradient of the input, accumulated.</param>
    /// <param name="dOutput">Gradient of the output.</param>
    /// <param name="mask">The saved mask.</param>
    /// <param name="p">The drop probability of the forward pass.</param>
    /// <param name="training">The mode of the forward pass.</param>
    public static void Backward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, ReadOnlySpan<byte> mask, float p, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dOutput, dInput.Length);
        Guard.Length(mask, dInput.Length);
        Dropout.CheckProbability(p);
        for (int i = 0; i < dInput.Length; i++)
        {
            if (!training)
            {
                dInput[i] += dOutput[i];
            }
            else if (mask[i] != 0)
            {
                dInput[i] += dOutput[i] / (T.One - T.CreateChecked(p));
            }
        }
    }
}
