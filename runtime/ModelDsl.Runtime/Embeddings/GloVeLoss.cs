using System;
using System.Numerics.Tensors;

namespace ModelDsl.Embeddings;

/// <summary>
/// GloVe's weighted least-squares loss for one co-occurrence entry (Pennington et al., 2014, eq. 8):
/// <c>J = f(X) (w·w̃ + b + b̃ - log X)²</c> with <c>f(X) = (X / x_max)^α</c> for <c>X &lt; x_max</c> and 1 above.
/// Gradients: with <c>e = 2 f(X) (w·w̃ + b + b̃ - log X)</c>, <c>∂J/∂w = e w̃</c>, <c>∂J/∂w̃ = e w</c>, <c>∂J/∂b = ∂J/∂b̃ = e</c>.
/// <see cref="GloVeLossReference"/> is the plain version beside it.
/// </summary>
public static class GloVeLoss
{
    /// <summary>The paper's weighting function <c>f(x) = min(1, (x / xMax)^alpha)</c>.</summary>
    public static double Weight(double x, double xMax, double alpha) => x < xMax ? Math.Pow(x / xMax, alpha) : 1;

    /// <summary><c>f(X) (w·w̃ + b + b̃ - log X)²</c>.</summary>
    public static float Forward(ReadOnlySpan<float> word, ReadOnlySpan<float> context, float wordBias, float contextBias,
        double count, double xMax, double alpha)
    {
        Guard.Length(context, word.Length);
        float diff = TensorPrimitives.Dot(word, context) + wordBias + contextBias - (float)Math.Log(count);
        return (float)Weight(count, xMax, alpha) * diff * diff;
    }

    /// <summary>
    /// Accumulates <c>dLoss·∂J/∂w</c> into <paramref name="dWord"/> and <c>dLoss·∂J/∂w̃</c> into <paramref name="dContext"/>;
    /// returns <c>dLoss·∂J/∂b</c> (equal to <c>dLoss·∂J/∂b̃</c>).
    /// </summary>
    public static float Backward(Span<float> dWord, Span<float> dContext, float dLoss, ReadOnlySpan<float> word,
        ReadOnlySpan<float> context, float wordBias, float contextBias, double count, double xMax, double alpha)
    {
        Guard.Length(context, word.Length);
        Guard.Length(dWord, word.Length);
        Guard.Length(dContext, word.Length);
        float diff = TensorPrimitives.Dot(word, context) + wordBias + contextBias - (float)Math.Log(count);
        float e = dLoss * 2 * (float)Weight(count, xMax, alpha) * diff;
        TensorPrimitives.MultiplyAdd(context, e, dWord, dWord);
        TensorPrimitives.MultiplyAdd(word, e, dContext, dContext);
        return e;
    }
}
