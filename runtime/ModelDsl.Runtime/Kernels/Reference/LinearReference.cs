using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook fully connected layer, generic over the element type: the oracle <see cref="Linear"/> is
/// tested against, and the float64 version gradient checks run on. Same arguments as <see cref="Linear"/>
/// (no scratch or pool).
/// </summary>
public static class LinearReference
{
    /// <summary>Forward: <c>pre = input · weightᵀ + bias</c>, <c>output = f(pre)</c>.</summary>
    /// <param name="output">(rows, outFeatures).</param>
    /// <param name="input">(rows, inFeatures).</param>
    /// <param name="weight">(outFeatures, inFeatures).</param>
    /// <param name="bias">(outFeatures), or empty.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="activation">Activation.</param>
    /// <param name="preActivation">(rows, outFeatures) when an activation is used, else empty.</param>
    public static void Forward<T>(
        Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        int rows, int inFeatures, int outFeatures,
        ActivationKind activation = ActivationKind.None, Span<T> preActivation = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                T sum = bias.IsEmpty ? T.Zero : bias[o];
                for (int i = 0; i < inFeatures; i++)
                {
                    sum += input[r * inFeatures + i] * weight[o * inFeatures + i];
                }

                if (!preActivation.IsEmpty)
                {
                    preActivation[r * outFeatures + o] = sum;
                }

                output[r * outFeatures + o] = Activate(activation, sum);
            }
        }
    }

    /// <summary>Backward, accumulating into <paramref name="dInput"/> (when not empty), <paramref name="dWeight"/> and <paramref name="dBias"/> (when not empty).</summary>
    /// <param name="dInput">(rows, inFeatures), or empty.</param>
    /// <param name="dWeight">(outFeatures, inFeatures).</param>
    /// <param name="dBias">(outFeatures), or empty.</param>
    /// <param name="dOutput">(rows, outFeatures).</param>
    /// <param name="input">(rows, inFeatures).</param>
    /// <param name="weight">(outFeatures, inFeatures).</param>
    /// <param name="rows">Rows.</param>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="activation">Activation used in forward.</param>
    /// <param name="preActivation">(rows, outFeatures) saved by forward when an activation is used.</param>
    public static void Backward<T>(
        Span<T> dInput, Span<T> dWeight, Span<T> dBias,
        ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input, ReadOnlySpan<T> weight,
        int rows, int inFeatures, int outFeatures,
        ActivationKind activation = ActivationKind.None, ReadOnlySpan<T> preActivation = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                T g = dOutput[r * outFeatures + o];
                if (activation != ActivationKind.None)
                {
                    g *= Derivative(activation, preActivation[r * outFeatures + o]);
                }

                if (!dBias.IsEmpty)
                {
                    dBias[o] += g;
                }

                for (int i = 0; i < inFeatures; i++)
                {
                    if (!dInput.IsEmpty)
                    {
                        dInput[r * inFeatures + i] += g * weight[o * inFeatures + i];
                    }

                    dWeight[o * inFeatures + i] += g * input[r * inFeatures + i];
                }
            }
        }
    }

    /// <summary><c>f(x)</c> for the activation, from its definition.</summary>
    /// <param name="kind">Activation.</param>
    /// <param name="x">Pre-activation value.</param>
    public static T Activate<T>(ActivationKind kind, T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateChecked(0.5);
        return kind switch
        {
            ActivationKind.None => x,
            ActivationKind.ReLU => x > T.Zero ? x : T.Zero,
            ActivationKind.LeakyReLU => x > T.Zero ? x : T.CreateChecked(0.01) * x,
            ActivationKind.Gelu => half * x * (T.One + Erf(x / T.Sqrt(T.CreateChecked(2)))),
            ActivationKind.GeluTanh => half * x * (T.One + T.Tanh(GeluTanhInner(x))),
            ActivationKind.Tanh => T.Tanh(x),
            ActivationKind.Sigmoid => T.One / (T.One + T.Exp(-x)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown activation {kind}."),
        };
    }

    /// <summary><c>f'(x)</c> for the activation, differentiated by hand.</summary>
    /// <param name="kind">Activation.</param>
    /// <param name="x">Pre-activation value.</param>
    public static T Derivative<T>(ActivationKind kind, T x)
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
                return x > T.Zero ? T.One : T.CreateChecked(0.01);
            case ActivationKind.Gelu:
                {
                    // Φ(x) + x·φ(x), φ(x) = exp(-x²/2) / √(2π).
                    T cdf = half * (T.One + Erf(x / T.Sqrt(T.CreateChecked(2))));
                    T pdf = T.Exp(-half * x * x) / T.Sqrt(T.CreateChecked(2) * T.Pi);
                    return cdf + x * pdf;
                }

            case ActivationKind.GeluTanh:
                {
                    T t = T.Tanh(GeluTanhInner(x));
                    T dInner = T.Sqrt(T.CreateChecked(2) / T.Pi) * (T.One + T.CreateChecked(3 * 0.044715) * x * x);
                    return half * (T.One + t) + half * x * (T.One - t * t) * dInner;
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
                throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown activation {kind}.");
        }
    }

    /// <summary>
    /// erf(x) from the everywhere-convergent series with positive terms
    /// <c>erf(x) = 2/√π · e^(-x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1))</c> (no cancellation), summed until
    /// terms stop changing the sum; |x| ≥ 6 gives ±1 (erfc(6) ≈ 2e-17).
    /// </summary>
    /// <param name="x">Argument.</param>
    public static T Erf<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T z = T.Abs(x);
        if (z >= T.CreateChecked(6))
        {
            return T.CopySign(T.One, x);
        }

        T two = T.CreateChecked(2);
        T term = z, sum = z;
        for (int n = 1; n < 500; n++)
        {
            term *= two * z * z / T.CreateChecked(2 * n + 1);
            T next = sum + term;
            if (next == sum)
            {
                break;
            }

            sum = next;
        }

        T result = two / T.Sqrt(T.Pi) * T.Exp(-z * z) * sum;
        return T.CopySign(result, x);
    }

    private static T GeluTanhInner<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Sqrt(T.CreateChecked(2) / T.Pi) * (x + T.CreateChecked(0.044715) * x * x * x);
}
