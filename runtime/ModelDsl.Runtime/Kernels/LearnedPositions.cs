using System;
using System.Numerics.Tensors;

namespace ModelDsl.Kernels;

/// <summary>
/// Learned absolute position embeddings (BERT, GPT-2's <c>wpe</c>): a trained <c>[maxLength, width]</c> table
/// added to a <c>[B, T, D]</c> sequence batch. The reference version is <see cref="Reference.PositionsReference"/>.
/// </summary>
public static class LearnedPositions
{
    /// <summary>Computes <c>output[b, t, :] = input[b, t, :] + table[t, :]</c>.</summary>
    /// <param name="output">Result <c>[batch, length, width]</c>; may be <paramref name="input"/> (in place).</param>
    /// <param name="input">Token embeddings <c>[batch, length, width]</c>.</param>
    /// <param name="table">Position table with at least <c>length</c> rows of <c>width</c>; only the first <c>length</c> rows are read.</param>
    /// <param name="batch">Sequences in the batch.</param>
    /// <param name="length">Positions per sequence.</param>
    /// <param name="width">Model width.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> table, int batch, int length, int width)
    {
        using var profile = KernelProfile.Time(KernelFamily.Embedding);
        Guard.Positive(batch);
        Guard.Positive(length);
        Guard.Positive(width);
        Guard.Length(output, (long)batch * length * width);
        Guard.Length(input, (long)batch * length * width);
        Guard.AtLeast(table, (long)length * width);
        if (table.Length % width != 0)
        {
            throw new ArgumentException($"table has {table.Length} elements, not a whole number of rows of width {width}.", nameof(table));
        }
        int plane = length * width;
        var rows = table[..plane];
        for (int b = 0; b < batch; b++)
        {
            TensorPrimitives.Add(input.Slice(b * plane, plane), rows, output.Slice(b * plane, plane));
        }
    }

    /// <summary>
    /// Adds <c>dOutput</c> into <c>dInput</c> and <c>Σ_b dOutput[b, t, :]</c> into <c>dTable[t, :]</c> (batches summed in
    /// order <c>b = 0, 1, ...</c>).
    /// </summary>
    /// <param name="dInput">Gradient of the embeddings <c>[batch, length, width]</c>; accumulated.</param>
    /// <param name="dTable">Gradient of the table, at least <c>length</c> rows; the first <c>length</c> rows are accumulated.</param>
    /// <param name="dOutput">Gradient of the result <c>[batch, length, width]</c>.</param>
    /// <param name="batch">Sequences in the batch.</param>
    /// <param name="length">Positions per sequence.</param>
    /// <param name="width">Model width.</param>
    public static void Backward(Span<float> dInput, Span<float> dTable, ReadOnlySpan<float> dOutput, int batch, int length, int width)
    {
        using var profile = KernelProfile.Time(KernelFamily.Embedding);
        Guard.Positive(batch);
        Guard.Positive(length);
        Guard.Positive(width);
        Guard.Length(dInput, (long)batch * length * width);
        Guard.Length(dOutput, (long)batch * length * width);
        Guard.AtLeast(dTable, (long)length * width);
        if (dTable.Length % width != 0)
        {
            throw new ArgumentException($"dTable has {dTable.Length} elements, not a whole number of rows of width {width}.", nameof(dTable));
        }
        int plane = length * width;
        var rows = dTable[..plane];
        TensorPrimitives.Add(dInput, dOutput, dInput);
        for (int b = 0; b < batch; b++)
        {
            TensorPrimitives.Add(rows, dOutput.Slice(b * plane, plane), rows);
        }
    }
}
