using System;
using System.Numerics.Tensors;

namespace ModelDsl.Kernels;

/// <summary>
/// The final state of a recurrent encoder's last layer read back from its output sequence, in PyTorch's <c>h_n</c> layout:
/// <c>torch.cat([h_n[-2], h_n[-1]], -1)</c> for a bidirectional encoder, <c>h_n[-1]</c> for a unidirectional one. The
/// output <c>[B, T, directions × H]</c> holds the forward direction in the first <c>H</c> columns and the reverse direction
/// in the last <c>H</c>. The forward direction ends at the row's last valid position <c>length[b] − 1</c>; the reverse
/// direction ends at position 0 (it has then read the whole row). A row of length 0 pools to a zero vector.
/// </summary>
public static class FinalStatePooling
{
    /// <summary>Gathers the final states of <paramref name="input"/> <c>[B, T, directions × H]</c> into <paramref name="output"/> <c>[B, directions × H]</c>.</summary>
    /// <param name="output">Final states <c>[B, directions × H]</c>, overwritten.</param>
    /// <param name="input">The encoder's output <c>[B, T, directions × H]</c>.</param>
    /// <param name="lengths">Valid length of each row (<c>[B]</c>, each in <c>[0, T]</c>); empty means all <c>T</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="length">T.</param>
    /// <param name="hidden">H, the width of one direction.</param>
    /// <param name="directions">1 (unidirectional) or 2 (bidirectional).</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<int> lengths,
        int batch, int length, int hidden, int directions)
    {
        Check(output, input, lengths, batch, length, hidden, directions);
        int width = hidden * directions;
        for (int b = 0; b < batch; b++)
        {
            int valid = lengths.IsEmpty ? length : lengths[b];
            var row = output.Slice(b * width, width);
            if (valid == 0)
            {
                row.Clear();
                continue;
            }

            int rowStart = b * length * width;
            // Forward direction: the last valid position; reverse direction: position 0.
            input.Slice(rowStart + ((valid - 1) * width), hidden).CopyTo(row[..hidden]);
            if (directions == 2)
            {
                input.Slice(rowStart + hidden, hidden).CopyTo(row[hidden..]);
            }
        }
    }

    /// <summary>Accumulates (+=) the gradient of the final states <paramref name="dOutput"/> <c>[B, directions × H]</c> into <paramref name="dInput"/> <c>[B, T, directions × H]</c>.</summary>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<int> lengths,
        int batch, int length, int hidden, int directions)
    {
        Check(dOutput, dInput, lengths, batch, length, hidden, directions);
        int width = hidden * directions;
        for (int b = 0; b < batch; b++)
        {
            int valid = lengths.IsEmpty ? length : lengths[b];
            if (valid == 0)
            {
                continue;
            }

            var dRow = dOutput.Slice(b * width, width);
            int rowStart = b * length * width;
            var last = dInput.Slice(rowStart + ((valid - 1) * width), hidden);
            TensorPrimitives.Add(last, dRow[..hidden], last);
            if (directions == 2)
            {
                var first = dInput.Slice(rowStart + hidden, hidden);
                TensorPrimitives.Add(first, dRow[hidden..], first);
            }
        }
    }

    private static void Check(ReadOnlySpan<float> pooled, ReadOnlySpan<float> sequence, ReadOnlySpan<int> lengths,
        int batch, int length, int hidden, int directions)
    {
        Guard.Positive(batch);
        Guard.Positive(length);
        Guard.Positive(hidden);
        if (directions is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(directions), directions, "directions must be 1 or 2.");
        }

        long width = (long)hidden * directions;
        Guard.Length(pooled, batch * width, "output");
        Guard.Length(sequence, batch * length * width, "input");
        if (!lengths.IsEmpty)
        {
            Guard.Length(lengths, batch);
            for (int b = 0; b < batch; b++)
            {
                if ((uint)lengths[b] > (uint)length)
                {
                    throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b],
                        $"lengths[{b}] = {lengths[b]} is outside [0, {length}].");
                }
            }
        }
    }
}
