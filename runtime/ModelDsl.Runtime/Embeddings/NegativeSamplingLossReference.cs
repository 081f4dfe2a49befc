using System;
using System.Numerics;

namespace ModelDsl.Embeddings;

/// <summary>Textbook version of <see cref="NegativeSamplingLoss"/>, generic over the element type, for tests.</summary>
public static class NegativeSamplingLossReference
{
    /// <summary><c>L = -log σ(u₀·h) - Σ_{k≥1} log σ(-u_k·h)</c>, with <c>log σ(x) = -log(1 + e^{-x})</c> in the stable form.</summary>
    public static T Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> outputs, int samples, int dimension)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(input, dimension);
        Guard.Length(outputs, (long)samples * dimension);
        T loss = T.Zero;
        for (int k = 0; k < samples; k++)
        {
            T score = Dot(input, outputs.Slice(k * dimension, dimension));
            loss -= LogSigmoid(k == 0 ? score : -score);
        }

        return loss;
    }

    /// <summary><c>dInput += dLoss Σ g_k u_k</c>, <c>dOutputs[k] += dLoss g_k h</c>, <c>g_k = σ(u_k·h) - [k = 0]</c>.</summary>
    public static void Backward<T>(Span<T> dInput, Span<T> dOutputs, T dLoss, ReadOnlySpan<T> input, ReadOnlySpan<T> outputs,
        int samples, int dimension)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dInput, dimension);
        Guard.Length(dOutputs, (long)samples * dimension);
        Guard.Length(input, dimension);
        Guard.Length(outputs, (long)samples * dimension);
        for (int k = 0; k < samples; k++)
        {
            T score = Dot(input, outputs.Slice(k * dimension, dimension));
            T g = dLoss * (T.One / (T.One + T.Exp(-score)) - (k == 0 ? T.One : T.Zero));
            for (int d = 0; d < dimension; d++)
            {
                dInput[d] += g * outputs[k * dimension + d];
                dOutputs[k * dimension + d] += g * input[d];
            }
        }
    }

    private static T LogSigmoid<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        -(T.Max(-x, T.Zero) + T.Log(T.One + T.Exp(-T.Abs(x))));

    private static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
