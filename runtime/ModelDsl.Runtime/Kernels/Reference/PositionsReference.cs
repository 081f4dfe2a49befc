using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook versions of <see cref="SinusoidalPositions"/> and <see cref="LearnedPositions"/>, generic over the
/// element type, for tests.
/// </summary>
public static class PositionsReference
{
    /// <summary>
    /// <c>table[pos, 2i] = sin(pos · ω_i)</c>, <c>table[pos, 2i+1] = cos(pos · ω_i)</c> with
    /// <c>ω_i = exp(-ln(10000) · 2i / width)</c> (the same frequencies, written as PyTorch tutorials do).
    /// </summary>
    public static void FillSinusoidal<T>(Span<T> table, int maxLength, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(table, (long)maxLength * width);
        for (int pos = 0; pos < maxLength; pos++)
        {
            for (int i = 0; 2 * i < width; i++)
            {
                T frequency = T.Exp(-T.Log(T.CreateChecked(10000)) * T.CreateChecked(2 * i) / T.CreateChecked(width));
                T angle = T.CreateChecked(pos) * frequency;
                table[pos * width + 2 * i] = T.Sin(angle);
                if (2 * i + 1 < width)
                {
                    table[pos * width + 2 * i + 1] = T.Cos(angle);
                }
            }
        }
    }

    /// <summary><c>output[b, t, d] = input[b, t, d] + table[t, d]</c>.</summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<T> table, int batch, int length, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(output, (long)batch * length * width);
        Guard.Length(input, (long)batch * length * width);
        Guard.AtLeast(table, (long)length * width);
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < length; t++)
            {
                for (int d = 0; d < width; d++)
                {
                    int at = (b * length + t) * width + d;
                    output[at] = input[at] + table[t * width + d];
                }
            }
        }
    }

    /// <summary><c>dInput += dOutput</c>; <c>dTable[t, d] += Σ_b dOutput[b, t, d]</c> (learned positions).</summary>
    public static void Backward<T>(Span<T> dInput, Span<T> dTable, ReadOnlySpan<T> dOutput, int batch, int length, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dInput, (long)batch * length * width);
        Guard.Length(dOutput, (long)batch * length * width);
        Guard.AtLeast(dTable, (long)length * width);
        for (int t = 0; t < length; t++)
        {
            for (int d = 0; d < width; d++)
            {
                T sum = T.Zero;
                for (int b = 0; b < batch; b++)
                {
                    int at = (b * length + t) * width + d;
                    dInput[at] += dOutput[at];
                    sum += dOutput[at];
                }

                dTable[t * width + d] += sum;
            }
        }
    }
}
