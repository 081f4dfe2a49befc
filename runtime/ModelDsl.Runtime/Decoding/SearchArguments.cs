using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ModelDsl.Decoding;

/// <summary>
/// Argument checks shared by the searches. Each names the argument, its value and the limit it broke; none
/// builds a message unless it throws, so a <c>Run</c> that passes its checks allocates nothing.
/// </summary>
internal static class SearchArguments
{
    /// <summary>Checks the capacities a search is created with and that its buffers fit in an array.</summary>
    public static void Capacities(int maxBatch, int maxWidth, int maxSteps, int vocabulary)
    {
        Guard.Positive(maxBatch);
        Guard.Positive(maxWidth);
        Guard.Positive(maxSteps);
        Guard.Positive(vocabulary);
        long rows = (long)maxBatch * maxWidth;
        long largest = Math.Max(rows * vocabulary, Math.Max(rows, maxBatch) * (maxSteps + 1L));
        if (largest > Array.MaxLength)
        {
            throw new ArgumentException(
                $"maxBatch ({maxBatch}) × maxWidth ({maxWidth}) × max(vocabulary ({vocabulary}), maxSteps + 1 ({maxSteps + 1})) " +
                $"= {largest} elements exceeds the largest array ({Array.MaxLength}).", nameof(maxBatch));
        }
    }

    /// <summary>Checks <c>1 &lt;= value &lt;= limit</c>; <paramref name="limitName"/> says where the limit comes from.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Count(int value, int limit, string limitName, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value <= 0 || value > limit)
        {
            ThrowCount(name, value, limit, limitName);
        }
    }

    /// <summary>
    /// Checks what a search needs from the decoder: the search's vocabulary, room for
    /// <c>batch × width</c> rows and <paramref name="maxSteps"/> steps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decoder(int decoderVocabulary, int decoderMaxRows, int decoderMaxSteps, int vocabulary, int batch, int width,
        int maxSteps)
    {
        if (decoderVocabulary != vocabulary)
        {
            ThrowVocabulary(decoderVocabulary, vocabulary);
        }

        if (decoderMaxRows < batch * width)
        {
            ThrowRows(decoderMaxRows, batch, width);
        }

        if (decoderMaxSteps < maxSteps)
        {
            ThrowSteps(decoderMaxSteps, maxSteps);
        }
    }

    [DoesNotReturn]
    private static void ThrowCount(string? name, int value, int limit, string limitName) =>
        throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [1, {limit}] ({limitName}); got {value}.");

    [DoesNotReturn]
    private static void ThrowVocabulary(int decoderVocabulary, int vocabulary) =>
        throw new ArgumentException(
            $"decoder.Vocabulary ({decoderVocabulary}) differs from the vocabulary this search was created with ({vocabulary}).",
            "decoder");

    [DoesNotReturn]
    private static void ThrowRows(int decoderMaxRows, int batch, int width) =>
        throw new ArgumentException(
            $"decoder.MaxRows ({decoderMaxRows}) is less than the rows this search needs, batch × width = {batch} × {width} = {batch * width}.",
            "decoder");

    [DoesNotReturn]
    private static void ThrowSteps(int decoderMaxSteps, int maxSteps) =>
        throw new ArgumentException($"decoder.MaxSteps ({decoderMaxSteps}) is less than maxSteps ({maxSteps}).", "decoder");
}
