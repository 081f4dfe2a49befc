using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook version of <see cref="Activations"/>, generic over the element type, for tests:
/// one scalar formula per element, erf from its Maclaurin series and Laplace's continued fraction.
/// </summary>
public static class ActivationsReference
{
    /// <summary>Computes <c>output[i] = f(input[i])</c>.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="output">Activations.</param>
    /// <param name="input">Pre-activations.</param>
    /// <param name="kind">The activation.</param>
    /// <param name="slope">Negative slope of LeakyReLU.</param>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ActivationKind kind, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(output, input.Length);
        for (int i = 0; i < input.Length; i++)
        {
            output[i] = Value(input[i], kind, slope);
        }
    }

    /// <summary>Adds <c>dOutput[i] · f'(input[i])</c> into <c>dInput[i]</c>.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="dInput">Gradient with respect to the input; accumulated.</param>
    /// <param name="dOutput">Gradient with respect to the output.</param>
    /// <param name="input">The forward's input.</param>
    /// <param name="kind">The activation.</param>
    /// <param name="slope">Negative slope of LeakyReLU.</param>
    public static void Backward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input, ActivationKind kind, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dInput, input.Length);
        Guard.Length(dOutput, input.Length);
        for (int i = 0; i < input.Length; i++)
        {
            dInput[i] += dOutput[i] * Derivative(input[i], kind, slope);
        }
    }

    /// <summary><c>f(x)</c>.</summary>
    public static T Value<T>(T x, ActivationKind kind, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateChecked(0.5);
        switch (kind)
        {
            case ActivationKind.None:
                return x;
            case ActivationKind.ReLU:
                return x > T.Zero ? x : T.Zero;
            case ActivationKind.LeakyReLU:
                return x > T.Zero ? x : slope * x;
            case ActivationKind.Gelu:
                return x * NormalCdf(x);
            case ActivationKind.GeluTanh:
                return half * x * (T.One + T.Tanh(TanhArgument(x)));
            case ActivationKind.Tanh:
                return T.Tanh(x);
            case ActivationKind.Sigmoid:
                return T.One / (T.One + T.Exp(-x));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, $"kind {kind} is not a known activation.");
        }
    }

    /// <summary><c>f'(x)</c>, with <c>f'(0) = 0</c> for ReLU and <c>slope</c> for LeakyReLU as in PyTorch.</summary>
    public static T Derivative<T>(T x, ActivationKind kind, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateChecked(0.5);
        switch (kind)
        {
            case ActivationKind.None:
                return T.One;
            case ActivationKind.ReLU:
                return x > T.Zero ? T.One : T.Zero;
            case ActivationKind.LeakyReLU:
                return x > T.Zero ? T.One : slope;
            case ActivationKind.Gelu:
            {
                T density = T.Exp(-half * x * x) / T.Sqrt(T.CreateChecked(2) * T.Pi);
                return NormalCdf(x) + x * density;
            }

            case ActivationKind.GeluTanh:
            {
                T c = T.Sqrt(T.CreateChecked(2) / T.Pi);
                T k = T.CreateChecked(0.044715);
                T t = T.Tanh(TanhArgument(x));
                return half * (T.One + t) + half * x * (T.One - t * t) * c * (T.One + T.CreateChecked(3) * k * x * x);
            }

            case ActivationKind.Tanh:
            {
                T t = T.Tanh(x);
                return T.One - t * t;
            }

            case ActivationKind.Sigmoid:
            {
                T s = T.One / (T.One + T.Exp(-x));
                return s * (T.One - s);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, $"kind {kind} is not a known activation.");
        }
    }

    /// <summary>
    /// The standard normal distribution function <c>Φ(x) = ½(1 + erf(x/√2)) = ½·erfc(-x/√2)</c>, in the erfc form
    /// so that the left tail keeps its relative accuracy (<c>1 + erf</c> cancels there).
    /// </summary>
    public static T NormalCdf<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateChecked(0.5);
        return half * Erfc(-x / T.Sqrt(T.CreateChecked(2)));
    }

    /// <summary>
    /// The error function: for <c>|x| &lt; 3</c> the Maclaurin series
    /// <c>2/√π · Σ (-1)ⁿ x^(2n+1) / (n!(2n+1))</c>; beyond, <c>±(1 - erfc(|x|))</c>.
    /// </summary>
    public static T Erf<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T a = T.Abs(x);
        return a < T.CreateChecked(3) ? ErfSeries(x) : T.CopySign(T.One - ErfcContinuedFraction(a), x);
    }

    /// <summary>
    /// The complementary error function <c>1 - erf(x)</c>: for <c>x ≥ 3</c> Laplace's continued fraction
    /// <c>erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))</c>, 80 levels deep (relative accuracy
    /// in the tail); for <c>x ≤ -3</c> <c>2 - erfc(-x)</c>; between, <c>1 - erf(x)</c> from the series.
    /// </summary>
    public static T Erfc<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T three = T.CreateChecked(3);
        if (x >= three)
        {
            return ErfcContinuedFraction(x);
        }

        return x <= -three ? T.CreateChecked(2) - ErfcContinuedFraction(-x) : T.One - ErfSeries(x);
    }

    private static T ErfSeries<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        T power = x;            // (-1)ⁿ x^(2n+1) / n!
        for (int n = 0; n < 200; n++)
        {
            T term = power / T.CreateChecked(2 * n + 1);
            sum += term;
            if (T.Abs(term) <= T.Epsilon || T.Abs(term) < T.Abs(sum) * T.CreateChecked(1e-18))
            {
                break;
            }

            power = -power * x * x / T.CreateChecked(n + 1);
        }

        return T.CreateChecked(2) / T.Sqrt(T.Pi) * sum;
    }

    private static T ErfcContinuedFraction<T>(T a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T fraction = a;
        for (int k = 80; k >= 1; k--)
        {
            fraction = a + T.CreateChecked(k * 0.5) / fraction;
        }

        return T.Exp(-a * a) / (T.Sqrt(T.Pi) * fraction);
    }

    private static T TanhArgument<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Sqrt(T.CreateChecked(2) / T.Pi) * (x + T.CreateChecked(0.044715) * x * x * x);
}
