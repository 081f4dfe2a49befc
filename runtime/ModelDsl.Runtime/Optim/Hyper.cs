using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ModelDsl.Optim;

/// <summary>Checks for floating-point hyperparameters; each message names the argument and the value.</summary>
internal static class Hyper
{
    /// <summary>Throws unless <paramref name="value"/> is finite and zero or greater.</summary>
    public static void NonNegative(double value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value >= 0) || !double.IsFinite(value))
        {
            Throw(name, value, "must be finite and zero or greater");
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and greater than zero.</summary>
    public static void Positive(double value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value > 0) || !double.IsFinite(value))
        {
            Throw(name, value, "must be finite and greater than zero");
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is finite.</summary>
    public static void Finite(double value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!double.IsFinite(value))
        {
            Throw(name, value, "must be finite");
        }
    }

    /// <summary>Throws unless <c>0 &lt;= value &lt; 1</c>.</summary>
    public static void UnitInterval(double value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value >= 0 && value < 1))
        {
            Throw(name, value, "must be in [0, 1)");
        }
    }

    [DoesNotReturn]
    public static void Throw(string? name, double value, string rule) =>
        throw new ArgumentOutOfRangeException(name, value, FormattableString.Invariant($"{name} {rule}; got {value}."));
}
