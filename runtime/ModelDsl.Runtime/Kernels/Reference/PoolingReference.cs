using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook pooling loops, generic so gradient checks can run in float64.</summary>
public static class PoolingReference
{
    /// <summary>See <see cref="Pooling.Forward"/>.</summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<int> lengths,
        int batch, int length, int width, PoolingKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            int valid = lengths.IsEmpty ? length : lengths[b];
            for (int d = 0; d < width; d++)
            {
                T value = T.Zero;
                if (valid > 0)
                {
                    if (kind == PoolingKind.Mean)
                    {
                        for (int t = 0; t < valid; t++)
                        {
                            value += input[(b * length + t) * width + d];
                        }

                        value /= T.CreateChecked(valid);
                    }
                    else
                    {
                        int t = kind == PoolingKind.First ? 0 : valid - 1;
                        value = input[(b * length + t) * width + d];
                    }
                }

                output[b * width + d] = value;
            }
        }
    }

    /// <summary>See <see cref="Pooling.Backward"/>.</summary>
    public static void Backward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, ReadOnlySpan<int> lengths,
        int batch, int length, int width, PoolingKind kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            int valid = lengths.IsEmpty ? length : lengths[b];
            for (int t = 0; t < valid; t++)
            {
                bool contributes = kind == PoolingKind.Mean || t == (kind == PoolingKind.First ? 0 : valid - 1);
                if (!contributes)
                {
                    continue;
                }

                T weight = kind == PoolingKind.Mean ? T.One / T.CreateChecked(valid) : T.One;
                for (int d = 0; d < width; d++)
                {
                    dInput[(b * length + t) * width + d] += weight * dOutput[b * width + d];
                }
            }
        }
    }
}
