using System;
using System.Collections.Generic;

namespace ModelDsl.Embeddings;

/// <summary>
/// The word–context co-occurrence counts <c>X_ij</c> of GloVe (Pennington et al., 2014): within each sentence, every pair
/// of words <c>d ≤ window</c> positions apart adds <c>1/d</c> to <c>X_ij</c> and to <c>X_ji</c> (symmetric context, the
/// paper's distance weighting). Only non-zero entries are kept, in row-major order.
/// </summary>
public sealed class Cooccurrences
{
    private readonly int[] _rows;
    private readonly int[] _columns;
    private readonly double[] _values;

    private Cooccurrences(int words, int[] rows, int[] columns, double[] values)
    {
        WordCount = words;
        _rows = rows;
        _columns = columns;
        _values = values;
    }

    /// <summary>The vocabulary size V (the matrix is V×V).</summary>
    public int WordCount { get; }

    /// <summary>The number of non-zero entries.</summary>
    public int EntryCount => _values.Length;

    /// <summary>The row (word) of each entry.</summary>
    public ReadOnlySpan<int> Rows => _rows;

    /// <summary>The column (context word) of each entry.</summary>
    public ReadOnlySpan<int> Columns => _columns;

    /// <summary>The weighted count <c>X_ij</c> of each entry.</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>Counts <paramref name="corpus"/> with a symmetric window of radius <paramref name="window"/>.</summary>
    public static Cooccurrences Count(EmbeddingCorpus corpus, int window)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        Guard.Positive(window);
        int words = corpus.Words.Count;
        var counts = new Dictionary<long, double>();
        for (int s = 0; s < corpus.SentenceCount; s++)
        {
            var sentence = corpus.Sentence(s);
            for (int i = 0; i < sentence.Length; i++)
            {
                for (int d = 1; d <= window && i + d < sentence.Length; d++)
                {
                    double weight = 1.0 / d;
                    long a = sentence[i], b = sentence[i + d];
                    ref double ab = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, a * words + b, out _);
                    ab += weight;
                    ref double ba = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, b * words + a, out _);
                    ba += weight;
                }
            }
        }

        var keys = new long[counts.Count];
        counts.Keys.CopyTo(keys, 0);
        Array.Sort(keys);
        var rows = new int[keys.Length];
        var columns = new int[keys.Length];
        var values = new double[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            rows[i] = (int)(keys[i] / words);
            columns[i] = (int)(keys[i] % words);
            values[i] = counts[keys[i]];
        }

        return new Cooccurrences(words, rows, columns, values);
    }
}
