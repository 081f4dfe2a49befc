using System;

namespace ModelDsl.Decoding;

/// <summary>
/// Row moves the generated decoders make on their per-hypothesis caches (a row is <c>stride</c> floats):
/// <see cref="Repeat"/> gives each source's rows to its <c>width</c> hypotheses in <c>Begin</c>, <see cref="Gather"/> moves
/// rows to the hypotheses that continue them in <c>Reorder</c>.
/// </summary>
public static class HypothesisRows
{
    /// <summary>Row <c>b * width + k</c> of <paramref name="destination"/> becomes row <c>b</c> of <paramref name="source"/>, for <c>b &lt; count</c>.</summary>
    /// <param name="source"><c>[count, length]</c>.</param>
    /// <param name="destination">At least <c>[count · width, length]</c>.</param>
    /// <param name="count">Source rows.</param>
    /// <param name="width">Copies of each.</param>
    /// <param name="length">Floats per row.</param>
    public static void Repeat(ReadOnlySpan<float> source, Span<float> destination, int count, int width, int length)
    {
        Guard.NonNegative(count);
        Guard.Positive(width);
        Guard.NonNegative(length);
        Guard.AtLeast(source, (long)count * length);
        Guard.AtLeast<float>(destination, (long)count * width * length);
        for (int b = 0; b < count; b++)
        {
            ReadOnlySpan<float> row = source.Slice(b * length, length);
            for (int k = 0; k < width; k++)
            {
                row.CopyTo(destination.Slice(((b * width) + k) * length, length));
            }
        }
    }

    /// <summary>
    /// Row <c>r</c> of <paramref name="cache"/> (its first <paramref name="used"/> of <paramref name="stride"/> floats) becomes
    /// row <c>sources[r]</c>, for every <c>r &lt; sources.Length</c>; <paramref name="scratch"/> holds the copies, so rows may
    /// repeat and overlap.
    /// </summary>
    /// <param name="cache"><c>[rows, stride]</c>.</param>
    /// <param name="sources">For each row, the row it continues.</param>
    /// <param name="used">Floats of each row to move.</param>
    /// <param name="stride">Floats per row.</param>
    /// <param name="scratch">At least <c>[sources.Length, stride]</c>.</param>
    public static void Gather(Span<float> cache, ReadOnlySpan<int> sources, int used, int stride, Span<float> scratch)
    {
        Guard.NonNegative(used);
        if (used > stride)
        {
            throw new ArgumentOutOfRangeException(nameof(used), used, $"HypothesisRows.Gather: used ({used}) must be at most stride ({stride}).");
        }

        Guard.AtLeast<float>(scratch, (long)sources.Length * stride);
        for (int r = 0; r < sources.Length; r++)
        {
            cache.Slice(sources[r] * stride, used).CopyTo(scratch.Slice(r * stride, used));
        }

        for (int r = 0; r < sources.Length; r++)
        {
            scratch.Slice(r * stride, used).CopyTo(cache.Slice(r * stride, used));
        }
    }
}
