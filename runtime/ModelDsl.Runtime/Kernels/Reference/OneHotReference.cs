using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook version of <see cref="OneHot"/>, generic over the element type, for tests.</summary>
public static class OneHotReference
{
    /// <summary><c>output[n, c] = 1</c> when <c>c = ids[n]</c>, else 0.</summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<int> ids, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(output, (long)ids.Length * classes);
        Embedding.CheckIds(ids, classes);
        for (int n = 0; n < ids.Length; n++)
        {
            for (int c = 0; c < classes; c++)
            {
                output[n * classes + c] = c == ids[n] ? T.One : T.Zero;
            }
        }
    }
}
