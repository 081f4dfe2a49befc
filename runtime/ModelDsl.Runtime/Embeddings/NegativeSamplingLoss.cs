using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace ModelDsl.Embeddings;

/// <summary>
/// The binary logistic loss of negative sampling (Mikolov et al., 2013) for one input vector <c>h</c> <c>[D]</c> and
/// <c>samples</c> output vectors <c>u</c> <c>[samples, D]</c>, of which row 0 is the positive (the observed word) and the
/// others negatives: <c>L = -log σ(u₀·h) - Σ_{k≥1} log σ(-u_k·h)</c>.
/// Gradients: with <c>g_k = σ(u_k·h) - [k = 0]</c>, <c>∂L/∂h = Σ g_k u_k</c> and <c>∂L/∂u_k = g_k h</c>.
/// </summary>
/// <remarks>
/// <c>log σ(x)</c> is computed as <c>-(max(-x, 0) + log(1 + e^{-|x|}))</c>, finite for any finite score, where
/// word2vec.c clips scores to ±6 in a table. <see cref="NegativeSamplingLossReference"/> is the plain version beside it.
/// </remarks>
public static class NegativeSamplingLoss
{
    /// <summary>The loss for input <paramref name="input"/> <c>[D]</c> and outputs <paramref name="outputs"/> <c>[samples, D]</c>.</summary>
    public static float Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputs, int samples, int dimension)
    {
        Check(input, outputs, samples, dimension);
        float loss = 0;
        for (int k = 0; k < samples; k++)
        {
            float score = TensorPrimitives.Dot(input, outputs.Slice(k * dimension, dimension));
            loss -= LogSigmoid(k == 0 ? score : -score);
        }

        return loss;
    }

    /// <summary>Accumulates <c>dLoss · ∂L/∂h</c> into <paramref name="dInput"/> and <c>dLoss · ∂L/∂u</c> into <paramref name="dOutputs"/>.</summary>
    public static void Backward(Span<float> dInput, Span<float> dOutputs, float dLoss,
        ReadOnlySpan<float> input, ReadOnlySpan<float> outputs, int samples, int dimension)
    {
        Check(input, outputs, samples, dimension);
        Guard.Length(dInput, dimension);
        Guard.Length(dOutputs, (long)samples * dimension);
        for (int k = 0; k < samples; k++)
        {
            var u = outputs.Slice(k * dimension, dimension);
            float g = dLoss * (Sigmoid(TensorPrimitives.Dot(input, u)) - (k == 0 ? 1f : 0f));
            TensorPrimitives.MultiplyAdd(u, g, dInput, dInput);
            var du = dOutputs.Slice(k * dimension, dimension);
            TensorPrimitives.MultiplyAdd(input, g, du, du);
        }
    }

    /// <summary>
    /// One stochastic-gradient step of the loss on the rows <paramref name="targets"/> of <paramref name="outputTable"/>
    /// (<c>[words, D]</c>; <c>targets[0]</c> is the positive), as word2vec.c takes it: for each target in order, its score
    /// is computed with the row as it is then, <c>∂L/∂h</c> is accumulated into <paramref name="inputGradient"/> with the
    /// row before its update, and the row moves by <c>-learningRate · ∂L/∂u</c>. The input itself is not changed: the caller
    /// applies <paramref name="inputGradient"/> to it (or to the rows it was averaged from). For distinct targets this is
    /// exactly <see cref="Backward"/> followed by plain SGD on the rows. Returns the loss before the step.
    /// </summary>
    public static float Step(Span<float> inputGradient, Span<float> outputTable, ReadOnlySpan<int> targets,
        ReadOnlySpan<float> input, float learningRate, int dimension)
    {
        Guard.Positive(dimension);
        Guard.Length(input, dimension);
        Guard.Length(inputGradient, dimension);
        int words = outputTable.Length / dimension;
        float loss = 0;
        for (int k = 0; k < targets.Length; k++)
        {
            int target = targets[k];
            if ((uint)target >= (uint)words)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), target, $"targets[{k}] must be a row of the output table, in [0, {words}).");
            }

            var u = outputTable.Slice(target * dimension, dimension);
            float score = TensorPrimitives.Dot(input, u);
            loss -= LogSigmoid(k == 0 ? score : -score);
            float g = Sigmoid(score) - (k == 0 ? 1f : 0f);
            TensorPrimitives.MultiplyAdd(u, g, inputGradient, inputGradient);
            TensorPrimitives.MultiplyAdd(input, -learningRate * g, u, u);
        }

        return loss;
    }

    /// <summary><c>log σ(x)</c> without overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LogSigmoid(float x) => -(MathF.Max(-x, 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(x))));

    /// <summary><c>1 / (1 + e^{-x})</c> without overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x)
    {
        if (x >= 0)
        {
            return 1 / (1 + MathF.Exp(-x));
        }

        float e = MathF.Exp(x);
        return e / (1 + e);
    }

    private static void Check(ReadOnlySpan<float> input, ReadOnlySpan<float> outputs, int samples, int dimension)
    {
        Guard.Positive(samples);
        Guard.Positive(dimension);
        Guard.Length(input, dimension);
        Guard.Length(outputs, (long)samples * dimension);
    }
}
