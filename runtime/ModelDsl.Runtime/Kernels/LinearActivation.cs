using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Kernels;

/// <summary>
/// The activations <see cref="Linear"/> fuses into its GEMM epilogue, and their derivatives for
/// backward. Private to the linear layer: the public element-wise activation kernels live elsewhere.
/// </summary>
/// <remarks>
/// Every element goes through the same 8-lane vector formula (a row's tail is padded into one
/// vector), so a value's bits do not depend on where its tile starts, hence not on the thread count.
/// </remarks>
internal static unsafe class LinearActivation
{
    /// <summary>PyTorch's default negative slope for <see cref="ActivationKind.LeakyReLU"/>.</summary>
    internal const float LeakySlope = 0.01f;

    private const float InvSqrt2 = 0.70710678118654752440f;
    private const float InvSqrt2Pi = 0.39894228040143267794f;
    private const float SqrtTwoOverPi = 0.7978845608028654f;
    private const float GeluCubic = 0.044715f;

    /// <summary>
    /// Finishes one row of a tile: <c>v = row + bias</c> (bias may be null), stores <c>v</c> in
    /// <paramref name="pre"/> when not null, and writes <c>f(v)</c> back to <paramref name="row"/>.
    /// </summary>
    internal static void Apply(float* row, float* pre, float* bias, int n, ActivationKind kind)
    {
        // One switch per row; inside, the activation is a compile-time constant of the instantiation.
        switch (kind)
        {
            case ActivationKind.None: Apply<NoneKind>(row, pre, bias, n); break;
            case ActivationKind.ReLU: Apply<ReLUKind>(row, pre, bias, n); break;
            case ActivationKind.LeakyReLU: Apply<LeakyReLUKind>(row, pre, bias, n); break;
            case ActivationKind.Gelu: Apply<GeluKind>(row, pre, bias, n); break;
            case ActivationKind.GeluTanh: Apply<GeluTanhKind>(row, pre, bias, n); break;
            case ActivationKind.Tanh: Apply<TanhKind>(row, pre, bias, n); break;
            case ActivationKind.Sigmoid: Apply<SigmoidKind>(row, pre, bias, n); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary><c>dPre[j] = dOut[j] · f'(pre[j])</c> for one row.</summary>
    internal static void Backward(float* dPre, float* dOut, float* pre, int n, ActivationKind kind)
    {
        switch (kind)
        {
            case ActivationKind.None: Backward<NoneKind>(dPre, dOut, pre, n); break;
            case ActivationKind.ReLU: Backward<ReLUKind>(dPre, dOut, pre, n); break;
            case ActivationKind.LeakyReLU: Backward<LeakyReLUKind>(dPre, dOut, pre, n); break;
            case ActivationKind.Gelu: Backward<GeluKind>(dPre, dOut, pre, n); break;
            case ActivationKind.GeluTanh: Backward<GeluTanhKind>(dPre, dOut, pre, n); break;
            case ActivationKind.Tanh: Backward<TanhKind>(dPre, dOut, pre, n); break;
            case ActivationKind.Sigmoid: Backward<SigmoidKind>(dPre, dOut, pre, n); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    private static void Apply<TKind>(float* row, float* pre, float* bias, int n)
        where TKind : struct, IKind
    {
        int j = 0;
        for (; j <= n - 8; j += 8)
        {
            var v = Vector256.Load(row + j);
            if (bias != null)
            {
                v += Vector256.Load(bias + j);
            }

            if (pre != null)
            {
                Vector256.Store(v, pre + j);
            }

            Vector256.Store(Forward(TKind.Kind, v), row + j);
        }

        if (j < n)
        {
            int rest = n - j;
            float* lane = stackalloc float[8];
            for (int t = 0; t < 8; t++)
            {
                lane[t] = t < rest ? row[j + t] + (bias != null ? bias[j + t] : 0f) : 0f;
            }

            var v = Vector256.Load(lane);
            Vector256.Store(Forward(TKind.Kind, v), lane);
            for (int t = 0; t < rest; t++)
            {
                if (pre != null)
                {
                    pre[j + t] = row[j + t] + (bias != null ? bias[j + t] : 0f);
                }

                row[j + t] = lane[t];
            }
        }
    }

    private static void Backward<TKind>(float* dPre, float* dOut, float* pre, int n)
        where TKind : struct, IKind
    {
        int j = 0;
        for (; j <= n - 8; j += 8)
        {
            Vector256.Store(Vector256.Load(dOut + j) * Derivative(TKind.Kind, Vector256.Load(pre + j)), dPre + j);
        }

        if (j < n)
        {
            int rest = n - j;
            float* lane = stackalloc float[8];
            for (int t = 0; t < 8; t++)
            {
                lane[t] = t < rest ? pre[j + t] : 0f;
            }

            Vector256.Store(Derivative(TKind.Kind, Vector256.Load(lane)), lane);
            for (int t = 0; t < rest; t++)
            {
                dPre[j + t] = dOut[j + t] * lane[t];
            }
        }
    }

    /// <summary><c>f(x)</c> on eight lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Forward(ActivationKind kind, Vector256<float> x)
    {
        switch (kind)
        {
            case ActivationKind.None:
                return x;
            case ActivationKind.ReLU:
                return Vector256.Max(x, Vector256<float>.Zero);
            case ActivationKind.LeakyReLU:
                return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * Vector256.Create(LeakySlope));
            case ActivationKind.Gelu:
                return x * NormalCdf(x);
            case ActivationKind.GeluTanh:
                // x/2 · (1 + tanh(u)) = x · σ(2u): no cancellation for negative u.
                return x * Sigmoid(Vector256.Create(2f) * GeluTanhInner(x));
            case ActivationKind.Tanh:
                return Tanh(x);
            case ActivationKind.Sigmoid:
                return Sigmoid(x);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary><c>f'(x)</c> on eight lanes, the derivative with respect to the pre-activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Derivative(ActivationKind kind, Vector256<float> x)
    {
        var one = Vector256<float>.One;
        switch (kind)
        {
            case ActivationKind.None:
                return one;
            case ActivationKind.ReLU:
                return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), one, Vector256<float>.Zero);
            case ActivationKind.LeakyReLU:
                return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), one, Vector256.Create(LeakySlope));
            case ActivationKind.Gelu:
                {
                    // d/dx [x Φ(x)] = Φ(x) + x φ(x), φ(x) = exp(-x²/2) / √(2π).
                    var pdf = Vector256.Create(InvSqrt2Pi) * Vector256.Exp(Vector256.Create(-0.5f) * x * x);
                    return NormalCdf(x) + (x * pdf);
                }

            case ActivationKind.GeluTanh:
                {
                    // f = x·s, s = σ(2u): f' = s + x·s(1 - s)·2u'.
                    var s = Sigmoid(Vector256.Create(2f) * GeluTanhInner(x));
                    var du = Vector256.Create(2f * SqrtTwoOverPi) * (one + (Vector256.Create(3f * GeluCubic) * x * x));
                    return s + (x * s * (one - s) * du);
                }

            case ActivationKind.Tanh:
                {
                    var t = Tanh(x);
                    return one - (t * t);
                }

            case ActivationKind.Sigmoid:
                {
                    var s = Sigmoid(x);
                    return s * (one - s);
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> GeluTanhInner(Vector256<float> x) =>
        Vector256.Create(SqrtTwoOverPi) * (x + (Vector256.Create(GeluCubic) * x * x * x));

    /// <summary><c>1 / (1 + e^-x)</c>; saturates cleanly (e^-x = ∞ gives 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sigmoid(Vector256<float> x) =>
        Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    /// <summary>
    /// tanh: an odd Taylor polynomial below |x| = 0.3 (truncation below 1e-9 relative), else
    /// <c>sign(x)·(1 - 2 / (e^(2|x|) + 1))</c>, which has no cancellation there.
    /// </summary>
    private static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var one = Vector256<float>.One;
        var large = one - (Vector256.Create(2f) / (Vector256.Exp(Vector256.Create(2f) * ax) + one));
        large = Vector256.CopySign(large, x);
        var x2 = x * x;
        // x - x³/3 + 2x⁵/15 - 17x⁷/315 + 62x⁹/2835 - 1382x¹¹/155925
        var poly = Vector256.Create(-1382f / 155925f);
        poly = (poly * x2) + Vector256.Create(62f / 2835f);
        poly = (poly * x2) + Vector256.Create(-17f / 315f);
        poly = (poly * x2) + Vector256.Create(2f / 15f);
        poly = (poly * x2) + Vector256.Create(-1f / 3f);
        var small = x + (x * x2 * poly);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.3f)), small, large);
    }

    /// <summary>
    /// Φ(x) = P(N(0,1) ≤ x) from the Chebyshev fit of erfc in Numerical Recipes (fractional error
    /// below 1.2e-7): Φ(x) = erfc(-x/√2)/2, taking the small tail directly so neither side cancels.
    /// </summary>
    private static Vector256<float> NormalCdf(Vector256<float> x)
    {
        var z = Vector256.Abs(x) * Vector256.Create(InvSqrt2);
        var t = Vector256<float>.One / (Vector256<float>.One + (Vector256.Create(0.5f) * z));
        var poly = Vector256.Create(0.17087277f);
        poly = (poly * t) + Vector256.Create(-0.82215223f);
        poly = (poly * t) + Vector256.Create(1.48851587f);
        poly = (poly * t) + Vector256.Create(-1.13520398f);
        poly = (poly * t) + Vector256.Create(0.27886807f);
        poly = (poly * t) + Vector256.Create(-0.18628806f);
        poly = (poly * t) + Vector256.Create(0.09678418f);
        poly = (poly * t) + Vector256.Create(0.37409196f);
        poly = (poly * t) + Vector256.Create(1.00002368f);
        poly = (poly * t) + Vector256.Create(-1.26551223f);
        var halfErfc = Vector256.Create(0.5f) * t * Vector256.Exp((-z * z) + poly); // Φ(-|x|)
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), halfErfc, Vector256<float>.One - halfErfc);
    }

    /// <summary>An activation as a type, so each row loop is compiled for one activation.</summary>
    private interface IKind
    {
        static abstract ActivationKind Kind { get; }
    }

    private readonly struct NoneKind : IKind
    {
        public static ActivationKind Kind => ActivationKind.None;
    }

    private readonly struct ReLUKind : IKind
    {
        public static ActivationKind Kind => ActivationKind.ReLU;
    }

    private readonly struct LeakyReLUKind : IKind
    {
        public static ActivationKind Kind => ActivationKind.LeakyReLU;
    }

    private readonly struct GeluKind : IKind
    {
        public static ActivationKind Kind => ActivationKind.Gelu;
    }

    private readonly struct GeluTanhKind : IKind
    {
        public static ActivationKind Kind => ActivationKind.GeluTanh;
    }

    private readonly struct TanhKind : IKind
    {
        public static ActivationKind Kind => ActivationKind.Tanh;
    }

    private readonly struct SigmoidKind : IKind
    {
        public static ActivationKind Kind => ActivationKind.Sigmoid;
    }
}
