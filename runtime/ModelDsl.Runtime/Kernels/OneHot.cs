using System;

namespace ModelDsl.Kernels;

/// <summary>
/// One-hot encoding of token ids (PyTorch <c>F.one_hot</c>, as float): <c>output[n, ids[n]] = 1</c>, every
/// other entry 0. Ids are discrete, so there is no backward; a one-hot input followed by a linear layer
/// is the same map as <see cref="Embedding"/> with the layer's transposed weight as table.
/// The reference version is <see cref="Reference.OneHotReference"/>.
/// </summary>
public static class OneHot
{
    /// <summary>Writes the one-hot rows of <paramref name="ids"/> into <paramref name="output"/>.</summary>
    /// <param name="output">One-hot rows <c>[N, classes]</c>, <c>N = ids.Length</c>; fully overwritten.</param>
    /// <param name="ids">Ids <c>[N]</c>, each in <c>[0, classes)</c> (checked before anything is written).</param>
    /// <param name="classes">Number of classes (the vocabulary).</param>
    public static void Forward(Span<float> output, ReadOnlySpan<int> ids, int classes)
    {
        Guard.Positive(classes);
        Guard.Length(output, (long)ids.Length * classes);
        Embedding.CheckIds(ids, classes);
        output.Clear();
        for (int n = 0; n < ids.Length; n++)
        {
            output[n * classes + ids[n]] = 1f;
        }
    }
}
