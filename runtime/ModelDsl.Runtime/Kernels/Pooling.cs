using System;
using System.Numerics.Tensors;

namespace ModelDsl.Kernels;

/// <summary>How a sequence <c>[B, T, D]</c> is reduced to one vector per sequence <c>[B, D]</c>.</summary>
public enum PoolingKind
{
    /// <summary>Mean over the valid positions <c>t &lt; length[b]</c>.</summary>
    Mean,

    /// <summary>The first position (a [CLS]-style token).</summary>
    First,

    /// <summary>The last valid position <c>length[b] - 1</c>.</summary>
    Last,
}

/// <summary>
/// Sequence pooling with key-padding awareness: positions at or past a sequence's length never
/// contribute and receive no gradient. A sequence of length 0 pools to a zero vector.
/// </summary>
public static class Pooling
{
    /// <summary>Pools <paramref name="input"/> <c>[B, T, D]</c> into <paramref name="output"/> <c>[B, D]</c>.</summary>
    /// <param name="output">Pooled vectors <c>[B, D]</c>, overwritten.</param>
    /// <param name="input">Sequence <c>[B, T, D]</c>.</param>
    /// <param name="lengths">Valid length of each sequence (<c>[B]</c>, each in <c>[0, T]</c>); empty means all <c>T</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="length">T.</param>
    /// <param name="width">D.</param>
    /// <param name="kind">Mean, first or last token.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<int> lengths,
        int batch, int length, int width, PoolingKind kind)
    {
        using var profile = KernelProfile.Time(KernelFamily.Copy);
        Check(output, input, lengths, batch, length, width);
        for (int b = 0; b < batch; b++)
        {
            int valid = lengths.IsEmpty ? length : lengths[b];
            var row = output.Slice(b * width, width);
            var sequence = input.Slice(b * length * width, length * width);
            if (valid == 0)
            {
                row.Clear();
                continue;
            }

            switch (kind)
            {
                case PoolingKind.Mean:
                    sequence[..width].CopyTo(row);
                    for (int t = 1; t < valid; t++)
                    {
                        TensorPrimitives.Add(row, sequence.Slice(t * width, width), row);
                    }

                    TensorPrimitives.Multiply(row, 1f / valid, row);
                    break;
                case PoolingKind.First:
                    sequence[..width].CopyTo(row);
                    break;
                default:
                    sequence.Slice((valid - 1) * width, width).CopyTo(row);
                    break;
            }
        }
    }

    /// <summary>Accumulates (+=) the gradient of the pooled vectors into <paramref name="dInput"/> <c>[B, T, D]</c>.</summary>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<int> lengths,
        int batch, int length, int width, PoolingKind kind)
    {
        using var profile = KernelProfile.Time(KernelFamily.Copy);
        Check(dOutput, dInput, lengths, batch, length, width);
        for (int b = 0; b < batch; b++)
        {
            int valid = lengths.IsEmpty ? length : lengths[b];
            if (valid == 0)
            {
                continue;
            }

            var dRow = dOutput.Slice(b * width, width);
            var dSequence = dInput.Slice(b * length * width, length * width);
            switch (kind)
            {
                case PoolingKind.Mean:
                    float scale = 1f / valid;
                    for (int t = 0; t < valid; t++)
                    {
                        var target = dSequence.Slice(t * width, width);
                        TensorPrimitives.MultiplyAdd(dRow, scale, target, target);
                    }

                    break;
                case PoolingKind.First:
                    TensorPrimitives.Add(dSequence[..width], dRow, dSequence[..width]);
                    break;
                default:
                    var last = dSequence.Slice((valid - 1) * width, width);
                    TensorPrimitives.Add(last, dRow, last);
                    break;
            }
        }
    }

    private static void Check(ReadOnlySpan<float> pooled, ReadOnlySpan<float> sequence, ReadOnlySpan<int> lengths,
        int batch, int length, int width)
    {
        Guard.Positive(batch);
        Guard.Positive(length);
        Guard.Positive(width);
        Guard.Length(pooled, (long)batch * width, "output");
        Guard.Length(sequence, (long)batch * length * width, "input");
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
