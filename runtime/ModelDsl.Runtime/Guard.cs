using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ModelDsl;

/// <summary>
/// Argument checks shared by every kernel. Each failure names the argument, the expected
/// value and the actual value, so a wrong buffer is found from the message alone.
/// </summary>
public static class Guard
{
    /// <summary>Throws unless <paramref name="span"/> holds exactly <paramref name="expected"/> elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Length<T>(ReadOnlySpan<T> span, long expected, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (span.Length != expected)
        {
            ThrowLength(name, expected, span.Length);
        }
    }

    /// <summary>Throws unless <paramref name="span"/> holds exactly <paramref name="expected"/> elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Length<T>(Span<T> span, long expected, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (span.Length != expected)
        {
            ThrowLength(name, expected, span.Length);
        }
    }

    /// <summary>Throws unless <paramref name="span"/> holds at least <paramref name="minimum"/> elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AtLeast<T>(ReadOnlySpan<T> span, long minimum, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (span.Length < minimum)
        {
            ThrowAtLeast(name, minimum, span.Length);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is greater than zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Positive(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value <= 0)
        {
            ThrowPositive(name, value);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is zero or greater.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NonNegative(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero or greater; got {value}.");
        }
    }

    /// <summary>Throws unless <c>0 &lt;= value &lt; limit</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InRange(int value, int limit, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if ((uint)value >= (uint)limit)
        {
            ThrowRange(name, value, limit);
        }
    }

    /// <summary>Throws when <paramref name="condition"/> is false, with <paramref name="message"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void That([DoesNotReturnIf(false)] bool condition, string message, [CallerArgumentExpression(nameof(condition))] string? name = null)
    {
        if (!condition)
        {
            throw new ArgumentException(message, name);
        }
    }

    /// <summary>Throws when the two spans share memory (an output may not alias an input).</summary>
    public static void NoOverlap<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> input,
        [CallerArgumentExpression(nameof(output))] string? outputName = null,
        [CallerArgumentExpression(nameof(input))] string? inputName = null)
    {
        if (output.Overlaps(input))
        {
            throw new ArgumentException($"{outputName} overlaps {inputName}; this kernel cannot work in place.", outputName);
        }
    }

    [DoesNotReturn]
    private static void ThrowLength(string? name, long expected, int actual) =>
        throw new ArgumentException($"{name} has {actual} elements; expected {expected}.", name);

    [DoesNotReturn]
    private static void ThrowAtLeast(string? name, long minimum, int actual) =>
        throw new ArgumentException($"{name} has {actual} elements; expected at least {minimum}.", name);

    [DoesNotReturn]
    private static void ThrowPositive(string? name, int value) =>
        throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive; got {value}.");

    [DoesNotReturn]
    private static void ThrowRange(string? name, int value, int limit) =>
        throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, {limit}); got {value}.");
}
