using System;
using System.Numerics.Tensors;

namespace ModelDsl.Kernels;

/// <summary>
/// Fixed sinusoidal position encodings of the 2017 Transformer ("Attention Is All You Need", §3.5):
/// <c>PE[pos, 2i] = sin(pos / 10000^(2i/D))</c>, <c>PE[pos, 2i+1] = cos(pos / 10000^(2i/D))</c>, added to a
/// <c>[B, T, D]</c> sequence batch. The reference version is <see cref="Reference.PositionsReference"/>.
/// </summary>
/// <remarks>
/// The table is a constant, so the backward of the addition is the identity: <see cref="Backward"/> adds
/// <c>dOutput</c> into <c>dInput</c> unchanged and no table gradient exists (compare
/// <see cref="LearnedPositions.Backward"/>, which also sums over the batch into the table's gradient).
/// </remarks>
public static class SinusoidalPositions
{
    /// <summary>Fills the <c>[maxLength, width]</c> table; entries are computed in double, then rounded.</summary>
    /// <param name="table">The table <c>[maxLength, width]</c>, row <c>pos</c> holding position <c>pos</c>.</param>
    /// <param name="maxLength">Positions in the table.</param>
    /// <param name="width">Model width <c>D</c>; when odd, the last column is a sine.</param>
    public static void Fill(Span<float> table, int maxLength, int width)
    {
        Guard.Positive(maxLength);
        Guard.Positive(width);
        Guard.Length(table, (long)maxLength * width);
        for (int pos = 0; pos < maxLength; pos++)
        {
            var row = table.Slice(pos * width, width);
            for (int c = 0; c < width; c++)
            {
                int even = c & ~1;
                double angle = pos / Math.Pow(10000.0, (double)even / width);
                row[c] = (float)((c & 1) == 0 ? Math.Sin(angle) : Math.Cos(angle));
            }
        }
    }

    /// <summary>Computes <c>output[b, t, :] = input[b, t, :] + table[t, :]</c>.</summary>
    /// <param name="output">Result <c>[batch, length, width]</c>; may be <paramref name="input"/> (in place).</param>
    /// <param name="input">Token embeddings <c>[batch, length, width]</c>.</param>
    /// <param name="table">The table from <see cref="Fill"/>; at least <c>length</c> rows, only the first <c>length</c> are read.</param>
    /// <param name="batch">Sequences in the batch.</param>
    /// <param name="length">Positions per sequence (at most the table's <c>maxLength</c>).</param>
    /// <param name="width">Model width.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> table, int batch, int length, int width) =>
        LearnedPositions.Forward(output, input, table, batch, length, width);

    /// <summary>Adds <paramref name="dOutput"/> into <paramref name="dInput"/>: the addition's backward is the identity.</summary>
    /// <param name="dInput">Gradient of the embeddings <c>[batch, length, width]</c>; accumulated.</param>
    /// <param name="dOutput">Gradient of the result <c>[batch, length, width]</c>.</param>
    /// <param name="batch">Sequences in the batch.</param>
    /// <param name="length">Positions per sequence.</param>
    /// <param name="width">Model width.</param>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, int batch, int length, int width)
    {
        using var profile = KernelProfile.Time(KernelFamily.Embedding);
        Guard.Positive(batch);
        Guard.Positive(length);
        Guard.Positive(width);
        Guard.Length(dInput, (long)batch * length * width);
        Guard.Length(dOutput, (long)batch * length * width);
        TensorPrimitives.Add(dInput, dOutput, dInput);
    }
}
