using System;
using System.Numerics;

namespace ModelDsl.Embeddings;

/// <summary>Textbook version of <see cref="GloVeLoss"/>, generic over the element type, for tests.</summary>
public static class GloVeLossReference
{
    /// <summary><c>f(X) (w·w̃ + b + b̃ - log X)²</c>.</summary>
    public static T Forward<T>(ReadOnlySpan<T> word, ReadOnlySpan<T> context, T wordBias, T contextBias, T count, T xMax, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T diff = Diff(word, context, wordBias, contextBias, count);
        return Weight(count, xMax, alpha) * diff * diff;
    }

    /// <summary><c>dWord += dLoss·e·w̃</c>, <c>dContext += dLoss·e·w</c>, returns <c>dLoss·e</c>, <c>e = 2 f(X) diff</c>.</summary>
    public static T Backward<T>(Span<T> dWord, Span<T> dContext, T dLoss, ReadOnlySpan<T> word, ReadOnlySpan<T> context,
        T wordBias, T contextBias, T count, T xMax, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(dWord, word.Length);
        Guard.Length(dContext, word.Length);
        T e = dLoss * T.CreateChecked(2) * Weight(count, xMax, alpha) * Diff(word, context, wordBias, contextBias, count);
        for (int i = 0; i < word.Length; i++)
        {
            dWord[i] += e * context[i];
            dContext[i] += e * word[i];
        }

        return e;
    }

    private static T Weight<T>(T x, T xMax, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T> => x < xMax ? T.Pow(x / xMax, alpha) : T.One;

    private static T Diff<T>(ReadOnlySpan<T> word, ReadOnlySpan<T> context, T wordBias, T contextBias, T count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(context, word.Length);
        T dot = T.Zero;
        for (int i = 0; i < word.Length; i++)
        {
            dot += word[i] * context[i];
        }

        return dot + wordBias + contextBias - T.Log(count);
    }
}
