using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook final-state gathering, generic so gradient checks can run in float64; see <see cref="FinalStatePooling"/>.</summary>
public static class FinalStatePoolingReference
{
    /// <summary>See <see cref="FinalStatePooling.Forward"/>.</summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<int> lengths,
        int batch, int length, int hidden, int directions)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = hidden * directions;
        for (int b = 0; b < batch; b++)
        {
            int valid = lengths.IsEmpty ? length : lengths[b];
            for (int d = 0; d < width; d++)
            {
                // Column d < H is the forward direction (final at length − 1), d ≥ H the reverse one (final at 0).
                int t = d < hidden ? valid - 1 : 0;
                output[(b * width) + d] = valid == 0 ? T.Zero : input[(((b * length) + t) * width) + d];
            }
        }
    }

    /// <summary>See <see cref="FinalStatePooling.Backward"/>.</summary>
    public static void Backward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, ReadOnlySpan<int> lengths,
        int batch, int length, int hidden, int directions)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = hidden * directions;
        for (int b = 0; b < batch; b++)
        {
            int valid = lengths.IsEmpty ? length : lengths[b];
            if (valid == 0)
            {
                continue;
            }

            for (int d = 0; d < width; d++)
            {
                int t = d < hidden ? valid - 1 : 0;
                dInput[(((b * length) + t) * width) + d] += dOutput[(b * width) + d];
            }
        }
    }
}
