using System;
using ModelDsl.Embeddings;

namespace ModelDsl.Tests.Embeddings;

public sealed class SamplingTests
{
    private static readonly long[] Counts = [5000, 1200, 900, 400, 400, 250, 100, 60, 33, 20, 7, 3, 1, 1, 0, 12];

    [Fact]
    public void Probability_IsUnigramToThreeQuarters()
    {
        var sampler = new NegativeSampler(Counts);
        double total = 0;
        foreach (long c in Counts)
        {
            total += Math.Pow(c, 0.75);
        }

        for (int i = 0; i < Counts.Length; i++)
        {
            Assert.Equal(Math.Pow(Counts[i], 0.75) / total, sampler.Probability(i), 1e-15);
        }
    }

    /// <summary>
    /// Pearson's χ² of 1,000,000 draws (fixed seed) against <c>count^0.75</c> over the 15 words of non-zero count
    /// (14 degrees of freedom). Under a correct sampler χ² exceeds 36.12 with probability 0.001 (the 99.9% quantile of
    /// χ²₁₄); drawing from the plain unigram distribution instead gives a χ² in the tens of thousands (checked below), so
    /// the bound separates right from wrong by orders of magnitude. A word of count 0 is never drawn.
    /// </summary>
    [Fact]
    public void Draws_FollowUnigramToThreeQuarters()
    {
        var sampler = new NegativeSampler(Counts);
        const int draws = 1_000_000;
        var observed = new long[Counts.Length];
        for (ulong i = 0; i < draws; i++)
        {
            observed[sampler.Sample(seed: 21, stream: 0, counter: i)]++;
        }

        Assert.Equal(0, observed[14]);
        double ChiSquare(double power)
        {
            double total = 0, chi = 0;
            foreach (long c in Counts)
            {
                total += c == 0 ? 0 : Math.Pow(c, power);
            }

            for (int i = 0; i < Counts.Length; i++)
            {
                if (Counts[i] == 0)
                {
                    continue;
                }

                double expected = draws * Math.Pow(Counts[i], power) / total;
                chi += (observed[i] - expected) * (observed[i] - expected) / expected;
            }

            return chi;
        }

        Assert.True(ChiSquare(0.75) < 36.12, $"χ² = {ChiSquare(0.75)} against unigram^0.75 (99.9% quantile of χ²₁₄ is 36.12)");
        Assert.True(ChiSquare(1.0) > 1000, $"χ² = {ChiSquare(1.0)} against the plain unigram distribution should be huge");
    }

    [Fact]
    public void Draws_AreReproducible()
    {
        var a = new NegativeSampler(Counts);
        var b = new NegativeSampler(Counts);
        for (ulong i = 0; i < 1000; i++)
        {
            Assert.Equal(a.Sample(3, 1, i), b.Sample(3, 1, i));
        }
    }

    [Fact]
    public void Sampler_RejectsAllZeroCounts()
    {
        var e = Assert.Throws<ArgumentException>(() => new NegativeSampler(new long[] { 0, 0 }));
        Assert.Contains("zero", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    // word2vec.c: keep = (sqrt(f/t) + 1) t/f with f = count/total; hand-computed.
    [InlineData(1000, 1000, 1e-3, 0.032622776601683794)]   // f = 1: (√1000 + 1)·0.001
    [InlineData(100, 1000, 1e-3, 0.10999999999999999)]     // f = 0.1: (10 + 1)·0.01 = 0.11
    [InlineData(1, 1000, 1e-3, 1.0)]                        // f = t: (1 + 1)·1 = 2, clipped to 1
    [InlineData(500, 1000, 0.0, 1.0)]                       // t = 0: off
    public void KeepProbability_IsWord2VecC(long count, long total, double threshold, double expected)
    {
        // The formula in double: a few ulps.
        Assert.Equal(expected, Subsampling.KeepProbability(count, total, threshold), 1e-14);
    }

    [Theory]
    // The paper: keep = sqrt(t/f); hand-computed.
    [InlineData(1000, 1000, 1e-3, 0.031622776601683794)]   // √0.001
    [InlineData(100, 1000, 1e-3, 0.1)]                     // √0.01
    [InlineData(1, 1000, 1e-3, 1.0)]
    public void PaperKeepProbability_IsTheFormula(long count, long total, double threshold, double expected) =>
        Assert.Equal(expected, Subsampling.PaperKeepProbability(count, total, threshold), 1e-14); // a few ulps
}
