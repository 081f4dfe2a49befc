using System;
using ModelDsl.Randomness;

namespace ModelDsl.Embeddings;

/// <summary>
/// Draws negative words from the unigram distribution raised to a power (Mikolov et al., 2013: 3/4), by Walker's alias
/// method in Vose's construction: O(1) per draw, exact up to the 32-bit resolution of the draw, for any vocabulary size.
/// </summary>
/// <remarks>
/// Reproducible: draw number <c>counter</c> of stream <c>stream</c> under <c>seed</c> is a pure function of the three
/// (one <see cref="CounterRandom.Bits"/>: its high 32 bits pick a column uniformly by multiply-shift, its low 32 bits
/// decide between the column's word and its alias). Words of count 0 are never drawn. The table is built in double.
/// </remarks>
public sealed class NegativeSampler
{
    private readonly double[] _probability; // [words]: normalized count^power
    private readonly uint[] _threshold;     // [words]: keep the column's own word when the low 32 bits are below this
    private readonly int[] _alias;          // [words]: the other word of the column

    /// <summary>Builds the table of <c>counts[i]^power</c>, normalized.</summary>
    public NegativeSampler(ReadOnlySpan<long> counts, double power = 0.75)
    {
        if (counts.IsEmpty)
        {
            throw new ArgumentException("The sampler needs at least one word.", nameof(counts));
        }

        if (!(power >= 0) || double.IsInfinity(power))
        {
            throw new ArgumentOutOfRangeException(nameof(power), power, "The power must be finite and non-negative.");
        }

        int n = counts.Length;
        _probability = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            if (counts[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(counts), counts[i], $"Count of word {i} is negative.");
            }

            _probability[i] = counts[i] == 0 ? 0 : Math.Pow(counts[i], power);
            total += _probability[i];
        }

        if (total <= 0)
        {
            throw new ArgumentException("Every count is zero: there is nothing to sample.", nameof(counts));
        }

        for (int i = 0; i < n; i++)
        {
            _probability[i] /= total;
        }

        _threshold = new uint[n];
        _alias = new int[n];
        var scaled = new double[n];
        var small = new int[n];
        var large = new int[n];
        int smallCount = 0, largeCount = 0;
        for (int i = 0; i < n; i++)
        {
            scaled[i] = _probability[i] * n;
            if (scaled[i] < 1)
            {
                small[smallCount++] = i;
            }
            else
            {
                large[largeCount++] = i;
            }
        }

        while (smallCount > 0 && largeCount > 0)
        {
            int less = small[--smallCount];
            int more = large[--largeCount];
            _threshold[less] = ToThreshold(scaled[less]);
            _alias[less] = more;
            scaled[more] = scaled[more] + scaled[less] - 1;
            if (scaled[more] < 1)
            {
                small[smallCount++] = more;
            }
            else
            {
                large[largeCount++] = more;
            }
        }

        // What is left has probability 1 up to rounding: its column always keeps its own word.
        while (largeCount > 0)
        {
            int i = large[--largeCount];
            _threshold[i] = uint.MaxValue;
            _alias[i] = i;
        }

        while (smallCount > 0)
        {
            int i = small[--smallCount];
            _threshold[i] = uint.MaxValue;
            _alias[i] = i;
        }
    }

    /// <summary>The number of words.</summary>
    public int Count => _probability.Length;

    /// <summary>The probability with which <see cref="Sample"/> draws <paramref name="word"/>: <c>count^power / Σ count^power</c>.</summary>
    public double Probability(int word) => _probability[word];

    /// <summary>Draw number <paramref name="counter"/> of stream <paramref name="stream"/> under <paramref name="seed"/>.</summary>
    public int Sample(ulong seed, ulong stream, ulong counter)
    {
        ulong bits = CounterRandom.Bits(seed, stream, counter);
        int column = (int)(((bits >> 32) * (ulong)_alias.Length) >> 32);
        return (uint)bits < _threshold[column] || _threshold[column] == uint.MaxValue ? column : _alias[column];
    }

    // P(keep own word) = scaled, compared against a uniform 32-bit integer.
    private static uint ToThreshold(double scaled) => (uint)Math.Min(uint.MaxValue, Math.Round(scaled * 4294967296.0));
}
