using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Kernels;

/// <summary>
/// The activations <see cref="Linear"/> fuses into its GEMM epilogue, and their derivatives for
/// backward. Private to the linear layer: the public element-wise activation kernels live elsewhere.
/// </summary>
internal static unsafe class LinearActivation
{
    /// <summary>PyTorch's default negative slope for <see cref="ActivationKind.LeakyReLU"/>.</summary>
    internal const float LeakySlope = 0.01f;

    private const double InvSqrt2 = 0.70710678118654752440;
    private const double InvSqrt2Pi = 0.39894228040143267794;
    private const float SqrtTwoOverPi = 0.7978845608028654f;
    private const float GeluCubic = 0.044715f;

    /// <summary>
    /// Finishes one row of a tile: <c>v = row + bias</c> (bias may be null), stores <c>v</c> in
    /// <paramref name="pre"/> when not null, and writes <c>f(v)</c> back to <paramref name="row"/>.
    /// </summary>
    internal static void Apply(float* row, float* pre, float* bias, int n, ActivationKind kind)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated && kind is ActivationKind.None or ActivationKind.ReLU or ActivationKind.LeakyReLU)
        {
            var slope = Vector256.Create(kind == ActivationKind.ReLU ? 0f : LeakySlope);
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

                if (kind != ActivationKind.None)
                {
                    v = Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * slope);
                }

                Vector256.Store(v, row + j);
            }
        }

        for (; j < n; j++)
        {
            float v = row[j];
            if (bias != null)
            {
                v += bias[j];
            }

            if (pre != null)
            {
                pre[j] = v;
            }

            row[j] = Forward(kind, v);
        }
    }

    /// <summary><c>dPre[j] = dOut[j] · f'(pre[j])</c> for one row.</summary>
    internal static void Backward(float* dPre, float* dOut, float* pre, int n, ActivationKind kind)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated && kind is ActivationKind.ReLU or ActivationKind.LeakyReLU)
        {
            var negative = Vector256.Create(kind == ActivationKind.ReLU ? 0f : LeakySlope);
            for (; j <= n - 8; j += 8)
            {
                var g = Vector256.Load(dOut + j);
                var x = Vector256.Load(pre + j);
                Vector256.Store(Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), g, g * negative), dPre + j);
            }
        }

        for (; j < n; j++)
        {
            dPre[j] = dOut[j] * Derivative(kind, pre[j]);
        }
    }

    /// <summary><c>f(x)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Forward(ActivationKind kind, float x) => kind switch
    {
        ActivationKind.None => x,
        ActivationKind.ReLU => x > 0f ? x : 0f,
        ActivationKind.LeakyReLU => x > 0f ? x : LeakySlope * x,
        ActivationKind.Gelu => (float)(0.5 * x * (1.0 + Erf(x * InvSqrt2))),
        ActivationKind.GeluTanh => 0.5f * x * (1f + MathF.Tanh(SqrtTwoOverPi * (x + (GeluCubic * x * x * x)))),
        ActivationKind.Tanh => MathF.Tanh(x),
        ActivationKind.Sigmoid => Sigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown activation {kind}."),
    };

    /// <summary><c>f'(x)</c>, the derivative with respect to the pre-activation.</summary>
    internal static float Derivative(ActivationKind kind, float x)
    {
        switch (kind)
        {
            case ActivationKind.None:
                return 1f;
            case ActivationKind.ReLU:
                return x > 0f ? 1f : 0f;
            case ActivationKind.LeakyReLU:
                return x > 0f ? 1f : LeakySlope;
            case ActivationKind.Gelu:
                {
                    // d/dx [x Φ(x)] = Φ(x) + x φ(x).
                    double cdf = 0.5 * (1.0 + Erf(x * InvSqrt2));
                    double pdf = InvSqrt2Pi * Math.Exp(-0.5 * x * x);
                    return (float)(cdf + (x * pdf));
                }

            case ActivationKind.GeluTanh:
                {
                    float inner = SqrtTwoOverPi * (x + (GeluCubic * x * x * x));
                    float t = MathF.Tanh(inner);
                    float dInner = SqrtTwoOverPi * (1f + (3f * GeluCubic * x * x));
                    return (0.5f * (1f + t)) + (0.5f * x * (1f - (t * t)) * dInner);
                }

            case ActivationKind.Tanh:
                {
                    float t = MathF.Tanh(x);
                    return 1f - (t * t);
                }

            case ActivationKind.Sigmoid:
                {
                    float s = Sigmoid(x);
                    return s * (1f - s);
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown activation {kind}.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>
    /// erf(x) from the Chebyshev fit of erfc in Numerical Recipes (fractional error below 1.2e-7
    /// everywhere), evaluated in double: about float precision, enough for a float kernel.
    /// </summary>
    private static double Erf(double x)
    {
        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + (0.5 * z));
        double poly = -1.26551223 + (t * (1.00002368 + (t * (0.37409196 + (t * (0.09678418 + (t * (-0.18628806
            + (t * (0.27886807 + (t * (-1.13520398 + (t * (1.48851587 + (t * (-0.82215223 + (t * 0.17087277)))))))))))))))));
        double erfc = t * Math.Exp((-z * z) + poly);
        return x >= 0 ? 1.0 - erfc : erfc - 1.0;
    }
}
