using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics.Tensors;

namespace ModelDsl.Kernels;

/// <summary>
/// Token embedding lookup (PyTorch <c>nn.Embedding</c>): a gather of table rows forward and a
/// scatter-add into the table gradient backward. The reference version is <see cref="Reference.EmbeddingReference"/>.
/// </summary>
/// <remarks>
/// <c>paddingIndex</c> follows PyTorch's <c>padding_idx</c>: the forward still reads that row (PyTorch
/// initializes it to zeros, and so should the caller), and the backward adds no gradient to it.
/// -1 means no padding index. Ids are checked before anything is written; an id outside
/// <c>[0, vocabulary)</c> throws an <see cref="ArgumentOutOfRangeException"/> naming its position,
/// its value and the vocabulary size.
/// </remarks>
public static class Embedding
{
    /// <summary>Copies <c>table[ids[n], :]</c> into <c>output[n, :]</c> for every position <c>n</c>.</summary>
    /// <param name="output">Embeddings <c>[N, width]</c>, <c>N = ids.Length</c>.</param>
    /// <param name="table">The embedding table <c>[vocabulary, width]</c>.</param>
    /// <param name="ids">Token ids <c>[N]</c>, each in <c>[0, vocabulary)</c>.</param>
    /// <param name="vocabulary">Rows of the table.</param>
    /// <param name="width">Embedding width.</param>
    /// <param name="paddingIndex">The padding id (its row gets no gradient), or -1 for none.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> table, ReadOnlySpan<int> ids, int vocabulary, int width, int paddingIndex = -1)
    {
        using var profile = KernelProfile.Time(KernelFamily.Embedding);
        Check(ids, vocabulary, width, paddingIndex);
        Guard.Length(table, (long)vocabulary * width);
        Guard.Length(output, (long)ids.Length * width);
        for (int n = 0; n < ids.Length; n++)
        {
            table.Slice(ids[n] * width, width).CopyTo(output.Slice(n * width, width));
        }
    }

    /// <summary>Adds <c>dOutput[n, :]</c> into <c>dTable[ids[n], :]</c> for every position whose id is not <paramref name="paddingIndex"/>.</summary>
    /// <param name="dTable">Gradient of the table <c>[vocabulary, width]</c>; accumulated.</param>
    /// <param name="dOutput">Gradient of the embeddings <c>[N, width]</c>.</param>
    /// <param name="ids">The forward's token ids <c>[N]</c>.</param>
    /// <param name="vocabulary">Rows of the table.</param>
    /// <param name="width">Embedding width.</param>
    /// <param name="paddingIndex">The padding id, or -1 for none.</param>
    /// <remarks>Positions are added in order <c>n = 0, 1, ...</c>, so repeated ids sum deterministically.</remarks>
    public static void Backward(Span<float> dTable, ReadOnlySpan<float> dOutput, ReadOnlySpan<int> ids, int vocabulary, int width, int paddingIndex = -1)
    {
        using var profile = KernelProfile.Time(KernelFamily.Embedding);
        Check(ids, vocabulary, width, paddingIndex);
        Guard.Length(dTable, (long)vocabulary * width);
        Guard.Length(dOutput, (long)ids.Length * width);
        for (int n = 0; n < ids.Length; n++)
        {
            int id = ids[n];
            if (id != paddingIndex)
            {
                var row = dTable.Slice(id * width, width);
                TensorPrimitives.Add(row, dOutput.Slice(n * width, width), row);
            }
        }
    }

    /// <summary>Throws unless every id is in <c>[0, vocabulary)</c>; the message names the position, the id and the vocabulary.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="vocabulary">Number of valid ids.</param>
    /// <param name="name">The argument's name, for the message.</param>
    public static void CheckIds(ReadOnlySpan<int> ids, int vocabulary, string name = "ids")
    {
        for (int n = 0; n < ids.Length; n++)
        {
            if ((uint)ids[n] >= (uint)vocabulary)
            {
                ThrowId(name, n, ids[n], vocabulary);
            }
        }
    }

    private static void Check(ReadOnlySpan<int> ids, int vocabulary, int width, int paddingIndex)
    {
        Guard.Positive(vocabulary);
        Guard.Positive(width);
        if (paddingIndex < -1 || paddingIndex >= vocabulary)
        {
            throw new ArgumentOutOfRangeException(nameof(paddingIndex), paddingIndex,
                string.Create(CultureInfo.InvariantCulture, $"paddingIndex must be -1 (none) or in [0, {vocabulary}); got {paddingIndex}."));
        }

        CheckIds(ids, vocabulary);
    }

    [DoesNotReturn]
    private static void ThrowId(string name, int position, int id, int vocabulary) =>
        throw new ArgumentOutOfRangeException(name, id,
            string.Create(CultureInfo.InvariantCulture, $"{name}[{position}] = {id} is outside the vocabulary [0, {vocabulary})."));
}
