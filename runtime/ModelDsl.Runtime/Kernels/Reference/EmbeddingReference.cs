using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook version of <see cref="Embedding"/>, generic over the element type, for tests.</summary>
public static class EmbeddingReference
{
    /// <summary><c>output[n, d] = table[ids[n], d]</c>.</summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> table, ReadOnlySpan<int> ids, int vocabulary, int width, int paddingIndex = -1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        _ = paddingIndex;
        Guard.Length(output, (long)ids.Length * width);
        Guard.Length(table, (long)vocabulary * width);
        Embedding.CheckIds(ids, vocabulary);
        for (int n = 0; n < ids.Length; n++)
        {
            for (int d = 0; d < width; d++)
            {
                output[n * width + d] = table[ids[n] * width + d];
            }
        }
    }

    /// <summary><c>dTable[v, d] += Σ_{n : ids[n] = v, v ≠ paddingIndex} dOutput[n, d]</c>.</summary>
    public static void Backward<T>(Span<T> dTable, ReadOnlySpan<T> dOutput, ReadOnlySpan<int> ids, int vocabulary, int width, int paddingIndex = -1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dTable, (long)vocabulary * width);
        Guard.Length(dOutput, (long)ids.Length * width);
        Embedding.CheckIds(ids, vocabulary);
        for (int v = 0; v < vocabulary; v++)
        {
            if (v == paddingIndex)
            {
                continue;
            }

            for (int n = 0; n < ids.Length; n++)
            {
                if (ids[n] == v)
                {
                    for (int d = 0; d < width; d++)
                    {
                        dTable[v * width + d] += dOutput[n * width + d];
                    }
                }
            }
        }
    }
}
