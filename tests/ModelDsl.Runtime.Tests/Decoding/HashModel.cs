using System;
using ModelDsl.Randomness;

namespace ModelDsl.Tests.Decoding;

/// <summary>
/// A random model whose next-token distribution depends on the source and on the whole prefix: logits are normal
/// values drawn from a hash of (seed, source, every token so far), plus <c>endBias</c> on the end token, then
/// log-softmax in double. A decoder that loses track of a row's history (a wrong Reorder) gets other numbers.
/// </summary>
internal sealed class HashModel(int vocabulary, ulong seed, int endToken, float endBias = 0f, float scale = 1.5f) : ISequenceModel
{
    public int Vocabulary { get; } = vocabulary;

    public void LogProbabilities(int source, ReadOnlySpan<int> prefix, Span<float> output)
    {
        ulong hash = CounterRandom.Bits(seed, (ulong)source, 0);
        foreach (int token in prefix)
        {
            hash = CounterRandom.Bits(hash, (ulong)token + 1, 1);
        }

        double max = double.NegativeInfinity;
        Span<double> logits = stackalloc double[Vocabulary];
        for (int t = 0; t < Vocabulary; t++)
        {
            logits[t] = scale * CounterRandom.Normal(hash, 2, (ulong)t) + (t == endToken ? endBias : 0.0);
            max = Math.Max(max, logits[t]);
        }

        double sum = 0;
        for (int t = 0; t < Vocabulary; t++)
        {
            sum += Math.Exp(logits[t] - max);
        }

        double log = Math.Log(sum);
        for (int t = 0; t < Vocabulary; t++)
        {
            output[t] = (float)(logits[t] - max - log);
        }
    }
}
