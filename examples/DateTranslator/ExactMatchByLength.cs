using System;
using System.Globalization;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// Exact-match counts overall and per source-length bucket, so a model that loses track of long inputs (an
/// encoder-decoder without attention squeezes the whole date through one vector) shows it in the long buckets.
/// Buckets are given by their inclusive upper bounds: bounds <c>10, 15, 20, 25</c> make <c>&lt;= 10</c>,
/// <c>11-15</c>, <c>16-20</c>, <c>21-25</c> and <c>26+</c>. <see cref="Add"/> allocates nothing.
/// </summary>
public sealed class ExactMatchByLength
{
    private readonly int[] _upperBounds;
    private readonly int[] _pairs;
    private readonly int[] _correct;

    /// <summary>Creates empty counts with buckets ending at <paramref name="upperBounds"/> (inclusive), plus one open bucket above the last.</summary>
    /// <param name="upperBounds">Strictly increasing positive lengths; at least one.</param>
    /// <exception cref="ArgumentException">The bounds are empty, not positive or not strictly increasing.</exception>
    public ExactMatchByLength(params int[] upperBounds)
    {
        ArgumentNullException.ThrowIfNull(upperBounds);
        if (upperBounds.Length == 0)
        {
            throw new ArgumentException("At least one bucket bound is needed.", nameof(upperBounds));
        }

        for (int i = 0; i < upperBounds.Length; i++)
        {
            if (upperBounds[i] < 1 || (i > 0 && upperBounds[i] <= upperBounds[i - 1]))
            {
                throw new ArgumentException(
                    $"Bucket bounds must be positive and strictly increasing; got {string.Join(", ", upperBounds)}.", nameof(upperBounds));
            }
        }

        _upperBounds = (int[])upperBounds.Clone();
        _pairs = new int[upperBounds.Length + 1];
        _correct = new int[upperBounds.Length + 1];
    }

    /// <summary>Number of buckets: one per bound plus the open one above the last bound.</summary>
    public int BucketCount => _pairs.Length;

    /// <summary>Pairs counted in all buckets.</summary>
    public int TotalPairs { get; private set; }

    /// <summary>Exactly matched pairs in all buckets.</summary>
    public int TotalCorrect { get; private set; }

    /// <summary>Exact-match rate over all pairs; NaN when none was counted.</summary>
    public double Accuracy => Rate(TotalCorrect, TotalPairs);

    /// <summary>The bucket that holds sources of <paramref name="length"/> characters.</summary>
    /// <param name="length">A source length, zero or more.</param>
    public int BucketOf(int length)
    {
        Guard.NonNegative(length);
        int bucket = 0;
        while (bucket < _upperBounds.Length && length > _upperBounds[bucket])
        {
            bucket++;
        }

        return bucket;
    }

    /// <summary>The bucket's range as text: <c>&lt;= 10</c>, <c>11-15</c>, <c>26+</c>; a one-length bucket is just the length.</summary>
    /// <param name="bucket">A bucket below <see cref="BucketCount"/>.</param>
    public string Label(int bucket)
    {
        Guard.InRange(bucket, BucketCount);
        if (bucket == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"<= {_upperBounds[0]}");
        }

        int low = _upperBounds[bucket - 1] + 1;
        if (bucket == _upperBounds.Length)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{low}+");
        }

        int high = _upperBounds[bucket];
        return low == high
            ? low.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{low}-{high}");
    }

    /// <summary>Counts one translated pair.</summary>
    /// <param name="sourceLength">The source's length in characters.</param>
    /// <param name="correct">Whether the translation matched the target exactly.</param>
    public void Add(int sourceLength, bool correct)
    {
        int bucket = BucketOf(sourceLength);
        _pairs[bucket]++;
        TotalPairs++;
        if (correct)
        {
            _correct[bucket]++;
            TotalCorrect++;
        }
    }

    /// <summary>Pairs counted in <paramref name="bucket"/>.</summary>
    /// <param name="bucket">A bucket below <see cref="BucketCount"/>.</param>
    public int Pairs(int bucket)
    {
        Guard.InRange(bucket, BucketCount);
        return _pairs[bucket];
    }

    /// <summary>Exactly matched pairs in <paramref name="bucket"/>.</summary>
    /// <param name="bucket">A bucket below <see cref="BucketCount"/>.</param>
    public int Correct(int bucket)
    {
        Guard.InRange(bucket, BucketCount);
        return _correct[bucket];
    }

    /// <summary>Exact-match rate in <paramref name="bucket"/>; NaN when it is empty.</summary>
    /// <param name="bucket">A bucket below <see cref="BucketCount"/>.</param>
    public double BucketAccuracy(int bucket) => Rate(Correct(bucket), Pairs(bucket));

    /// <summary>Forgets every count (the buckets stay).</summary>
    public void Clear()
    {
        Array.Clear(_pairs);
        Array.Clear(_correct);
        TotalPairs = 0;
        TotalCorrect = 0;
    }

    private static double Rate(int correct, int pairs) => pairs == 0 ? double.NaN : correct / (double)pairs;
}
