using System;
using ModelDsl.Randomness;

namespace ModelDsl.Tests.Decoding;

/// <summary>A random first-order Markov model: the next-token log-probabilities depend only on the last token.</summary>
internal sealed class MarkovTable : ISequenceModel
{
    public MarkovTable(int vocabulary, ulong seed, int endToken, float endBias = 0f, float scale = 2f)
    {
        Vocabulary = vocabulary;
        LogProbabilityTable = new float[vocabulary * vocabulary];
        var logits = new double[vocabulary];
        for (int last = 0; last < vocabulary; last++)
        {
            double max = double.NegativeInfinity;
            for (int t = 0; t < vocabulary; t++)
            {
                logits[t] = scale * CounterRandom.Normal(seed, (ulong)last, (ulong)t) + (t == endToken ? endBias : 0.0);
                max = Math.Max(max, logits[t]);
            }

            double sum = 0;
            for (int t = 0; t < vocabulary; t++)
            {
                sum += Math.Exp(logits[t] - max);
            }

            for (int t = 0; t < vocabulary; t++)
            {
                LogProbabilityTable[last * vocabulary + t] = (float)(logits[t] - max - Math.Log(sum));
            }
        }
    }

    public int Vocabulary { get; }

    /// <summary>[last token, next token].</summary>
    public float[] LogProbabilityTable { get; }

    public void LogProbabilities(int source, ReadOnlySpan<int> prefix, Span<float> output) =>
        LogProbabilityTable.AsSpan(prefix[^1] * Vocabulary, Vocabulary).CopyTo(output);
}
