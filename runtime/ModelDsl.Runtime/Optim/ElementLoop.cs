using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Optim;

/// <summary>
/// An element-wise update written three times: over 16 floats, over 8 floats and over one float,
/// each doing the same operations in the same order (FMA included), so the result of element
/// <c>i</c> does not depend on which of them handled it.
/// </summary>
internal interface IElementUpdate
{
    /// <summary>Updates elements <c>[i, i + 16)</c>.</summary>
    void Update512(nuint i);

    /// <summary>Updates elements <c>[i, i + 8)</c>.</summary>
    void Update256(nuint i);

    /// <summary>Updates element <c>i</c>.</summary>
    void Update1(nuint i);
}

/// <summary>Drives an <see cref="IElementUpdate"/> over <c>[0, length)</c>: widest vectors first, then a scalar tail.</summary>
internal static class ElementLoop
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TUpdate>(ref TUpdate update, int length, bool vectorized)
        where TUpdate : IElementUpdate, allows ref struct
    {
        nuint n = (nuint)length;
        nuint i = 0;
        if (vectorized && Vector512.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
            {
                update.Update512(i);
            }
        }

        if (vectorized && Vector256.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
            {
                update.Update256(i);
            }
        }

        for (; i < n; i++)
        {
            update.Update1(i);
        }
    }
}
