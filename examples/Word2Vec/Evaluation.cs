using System;
using System.Collections.Generic;
using ModelDsl.Embeddings;
using ModelDsl.Randomness;

namespace ModelDsl.Examples.WordEmbeddings;

/// <summary>Precision at k of known synonyms among nearest neighbours, and analogy accuracy.</summary>
public static class Evaluation
{
    /// <summary>
    /// For every word of <paramref name="vectors"/> that has at least one synonym with a vector, the fraction of its
    /// <paramref name="k"/> nearest neighbours (itself excluded) that are its synonyms, averaged over those words.
    /// <see cref="SynonymScore.Ceiling"/> is the best possible average, <c>min(k, synonyms with a vector) / k</c>.
    /// </summary>
    public static SynonymScore PrecisionAtK(WordVectors vectors, IReadOnlyDictionary<string, HashSet<string>> synonyms, int k)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(synonyms);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        double precision = 0, ceiling = 0;
        int queries = 0;
        for (int i = 0; i < vectors.Count; i++)
        {
            if (!synonyms.TryGetValue(vectors.Words[i], out var set))
            {
                continue;
            }

            int known = 0;
            foreach (string s in set)
            {
                if (vectors.TryGetIndex(s, out _))
                {
                    known++;
                }
            }

            if (known == 0)
            {
                continue;
            }

            int hits = 0;
            foreach (var n in vectors.Nearest(vectors[i], k, [i]))
            {
                if (set.Contains(n.Word))
                {
                    hits++;
                }
            }

            precision += (double)hits / k;
            ceiling += Math.Min(k, known) / (double)k;
            queries++;
        }

        return queries == 0 ? new SynonymScore(0, 0, 0) : new SynonymScore(precision / queries, ceiling / queries, queries);
    }

    /// <summary>The fraction of <paramref name="questions"/> whose answer is the top word of <see cref="WordVectors.Analogy"/>.</summary>
    public static double AnalogyAccuracy(WordVectors vectors, IReadOnlyList<AnalogyQuestion> questions)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(questions);
        int right = 0, asked = 0;
        foreach (var q in questions)
        {
            if (!vectors.TryGetIndex(q.A, out _) || !vectors.TryGetIndex(q.B, out _) || !vectors.TryGetIndex(q.C, out _))
            {
                continue;
            }

            asked++;
            if (vectors.Analogy(q.A, q.B, q.C, 1)[0].Word == q.Expected)
            {
                right++;
            }
        }

        return asked == 0 ? 0 : (double)right / asked;
    }

    /// <summary>Standard normal vectors for the same words: the chance level of every score.</summary>
    public static WordVectors RandomVectors(IReadOnlyList<string> words, int dimension, ulong seed)
    {
        var values = new float[words.Count * dimension];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)CounterRandom.Normal(seed, 0, (ulong)i);
        }

        return new WordVectors(words, values, dimension);
    }
}

/// <summary>An average precision at k, its ceiling and the number of query words.</summary>
/// <param name="Precision">Mean fraction of the k neighbours that are synonyms.</param>
/// <param name="Ceiling">Mean of <c>min(k, synonyms with a vector) / k</c>: what perfect vectors would score.</param>
/// <param name="Queries">Words with at least one synonym in the vocabulary.</param>
public readonly record struct SynonymScore(double Precision, double Ceiling, int Queries);
