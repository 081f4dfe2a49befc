using System;
using System.Collections.Generic;

namespace ModelDsl.Tests.Decoding;

/// <summary>
/// A hand-written model: probabilities per prefix (the tokens after the start token), the same for every source.
/// A prefix not in the table ends: probability 1 for the end token, 0 (log -∞) for every other token.
/// </summary>
internal sealed class TableModel(int vocabulary, int endToken) : ISequenceModel
{
    private readonly Dictionary<string, double[]> _table = [];

    public int Vocabulary { get; } = vocabulary;

    /// <summary>Sets the next-token probabilities after <paramref name="prefix"/> (start token not included).</summary>
    public TableModel Add(int[] prefix, params double[] probabilities)
    {
        Assert.Equal(Vocabulary, probabilities.Length);
        double sum = 0;
        foreach (double p in probabilities)
        {
            sum += p;
        }

        Assert.Equal(1.0, sum, 1e-12);
        _table[string.Join(",", prefix)] = probabilities;
        return this;
    }

    /// <summary>The log-probability the model stores for <paramref name="probability"/>, as the searches see it.</summary>
    public static float Log(double probability) => (float)Math.Log(probability);

    public void LogProbabilities(int source, ReadOnlySpan<int> prefix, Span<float> output)
    {
        string key = string.Join(",", prefix[1..].ToArray());
        if (_table.TryGetValue(key, out double[]? probabilities))
        {
            for (int t = 0; t < Vocabulary; t++)
            {
                output[t] = Log(probabilities[t]);
            }
        }
        else
        {
            output.Fill(float.NegativeInfinity);
            output[endToken] = 0f;
        }
    }
}
