using System;

namespace ModelDsl.Embeddings;

/// <summary>
/// Subsampling of frequent words (Mikolov et al., 2013): each occurrence of word <c>w</c>, of relative frequency
/// <c>f = count / total</c>, is kept with a probability that falls as <c>f</c> grows past the threshold <c>t</c>.
/// </summary>
/// <remarks>
/// The trainers use word2vec.c's variant, <see cref="KeepProbability"/>: <c>(√(f/t) + 1) · t/f</c>, clipped to 1.
/// The paper's formula discards with probability <c>1 - √(t/f)</c>, that is keeps with <see cref="PaperKeepProbability"/>
/// <c>√(t/f)</c>; word2vec.c keeps more of every word (for <c>f = t</c> it keeps all of them, the paper's formula too; for
/// <c>f = 100t</c>: 0.11 against 0.1). A threshold of 0 turns subsampling off (every word kept).
/// </remarks>
public static class Subsampling
{
    /// <summary>word2vec.c's probability of keeping one occurrence: <c>min(1, (√(f/t) + 1) · t/f)</c>, <c>f = count/total</c>.</summary>
    public static double KeepProbability(long count, long total, double threshold)
    {
        Check(count, total, threshold);
        if (threshold == 0 || count == 0)
        {
            return 1;
        }

        double f = (double)count / total;
        return Math.Min(1, (Math.Sqrt(f / threshold) + 1) * threshold / f);
    }

    /// <summary>The paper's probability of keeping one occurrence: <c>min(1, √(t/f))</c>.</summary>
    public static double PaperKeepProbability(long count, long total, double threshold)
    {
        Check(count, total, threshold);
        if (threshold == 0 || count == 0)
        {
            return 1;
        }

        return Math.Min(1, Math.Sqrt(threshold / ((double)count / total)));
    }

    /// <summary>word2vec.c's keep probability of every word, from its counts.</summary>
    public static float[] KeepProbabilities(ReadOnlySpan<long> counts, double threshold)
    {
        long total = 0;
        foreach (long c in counts)
        {
            total += c;
        }

        var keep = new float[counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            keep[i] = (float)KeepProbability(counts[i], total, threshold);
        }

        return keep;
    }

    private static void Check(long count, long total, double threshold)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (total < count || total <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(total), total, $"The total must be positive and at least the count ({count}).");
        }

        if (!(threshold >= 0) || double.IsInfinity(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be finite and non-negative.");
        }
    }
}
