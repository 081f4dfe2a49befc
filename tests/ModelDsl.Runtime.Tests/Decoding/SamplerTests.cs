using System;
using System.Linq;
using ModelDsl.Decoding;
using ModelDsl.Randomness;

namespace ModelDsl.Tests.Decoding;

public sealed class SamplerTests
{
    private const int Start = 0, End = 1;

    private static (int[][] Tokens, float[] Scores, bool[] Ended) Sample(ISequenceModel model, int batch, int maxSteps,
        float temperature, int topK, ulong seed)
    {
        var decoder = new PrefixDecoder(model, batch, maxSteps);
        var sampler = new Sampler(batch, maxSteps, model.Vocabulary);
        decoder.Prepare(batch, 1);
        sampler.Run(decoder, batch, Start, End, maxSteps, temperature, topK, seed);
        Assert.Equal(0, decoder.ReorderCalls);
        return (Enumerable.Range(0, batch).Select(b => sampler.Tokens(b).ToArray()).ToArray(),
            Enumerable.Range(0, batch).Select(sampler.Score).ToArray(),
            Enumerable.Range(0, batch).Select(sampler.Ended).ToArray());
    }

    [Fact]
    public void SameSeed_SameOutput_OtherSeed_OtherOutput()
    {
        var model = new HashModel(12, 3, End, endBias: -1f);
        var first = Sample(model, 4, 16, 1f, 0, seed: 7);
        var again = Sample(model, 4, 16, 1f, 0, seed: 7);
        var other = Sample(model, 4, 16, 1f, 0, seed: 8);
        Assert.Equal(first.Tokens, again.Tokens);
        Assert.Equal(first.Scores, again.Scores);
        Assert.Equal(first.Ended, again.Ended);
        Assert.NotEqual(first.Tokens, other.Tokens);
    }

    [Fact]
    public void ASourcesSample_DoesNotDependOnTheBatch()
    {
        // Source b draws from stream b: source 0 alone samples what it samples beside three others.
        var model = new HashModel(12, 3, End, endBias: -1f);
        var four = Sample(model, 4, 16, 0.9f, 5, seed: 99);
        var one = Sample(model, 1, 16, 0.9f, 5, seed: 99);
        Assert.Equal(four.Tokens[0], one.Tokens[0]);
        Assert.Equal(four.Scores[0], one.Scores[0]);
    }

    [Theory]
    [InlineData(61UL, 0.3f)]
    [InlineData(62UL, 1f)]
    [InlineData(63UL, 3f)]
    public void TopKOne_EqualsGreedy(ulong seed, float temperature)
    {
        const int Batch = 5, MaxSteps = 12, Vocabulary = 9;
        var model = new HashModel(Vocabulary, seed, End, endBias: 0.5f);
        var sampled = Sample(model, Batch, MaxSteps, temperature, 1, seed);
        for (int b = 0; b < Batch; b++)
        {
            Hypothesis greedy = Exhaustive.Greedy(model, b, Start, End, MaxSteps);
            Assert.Equal(greedy.Tokens, sampled.Tokens[b]);
            Assert.Equal(greedy.LogProbability, sampled.Scores[b]);
        }
    }

    [Theory]
    [InlineData(0.5f, 0)]
    [InlineData(2f, 0)]
    [InlineData(0.7f, 3)]
    public void Score_IsTheModelsLogProbability_NotTheTempered(float temperature, int topK)
    {
        const int Batch = 6, MaxSteps = 10;
        var model = new HashModel(8, 71, End);
        var sampled = Sample(model, Batch, MaxSteps, temperature, topK, seed: 5);
        for (int b = 0; b < Batch; b++)
        {
            Assert.Equal(Exhaustive.LogProbability(model, b, Start, sampled.Tokens[b], End, sampled.Ended[b]), sampled.Scores[b]);
        }
    }

    [Theory]
    [InlineData(0.7f, 0)]
    [InlineData(1.6f, 0)]
    [InlineData(0.7f, 3)]
    [InlineData(1f, 4)]
    public void FirstTokenFrequencies_MatchTheTemperedTopKSoftmax(float temperature, int topK)
    {
        // 20,000 first tokens (40 seeds × 500 sources) from p = [0.1, 0.2, 0.3, 0.25, 0.15] at temperature T:
        // expected q ∝ p^(1/T) over the top k. The count of each token is binomial(N, q); we allow 5 standard
        // deviations, sqrt(N q (1 - q)) (a chance of 6e-7 per token for a correct sampler; the seeds are fixed, so
        // the outcome is too). Ignoring T (or k) moves some q by 0.027 or more, 9+ standard deviations here.
        const int Batch = 500, Seeds = 40, N = Batch * Seeds;
        double[] p = [0.1, 0.2, 0.3, 0.25, 0.15];
        var model = new TableModel(5, End).Add([], p);
        var decoder = new PrefixDecoder(model, Batch, 1);
        var sampler = new Sampler(Batch, 1, 5);
        var counts = new int[5];
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            decoder.Prepare(Batch, 1);
            sampler.Run(decoder, Batch, Start, End, 1, temperature, topK, seed);
            for (int b = 0; b < Batch; b++)
            {
                counts[sampler.Ended(b) ? End : sampler.Tokens(b)[0]]++;
            }
        }

        int[] allowed = topK == 0 ? [0, 1, 2, 3, 4] : [.. Enumerable.Range(0, 5).OrderByDescending(t => p[t]).Take(topK)];
        double total = allowed.Sum(t => Math.Pow(p[t], 1.0 / temperature));
        for (int t = 0; t < 5; t++)
        {
            double q = allowed.Contains(t) ? Math.Pow(p[t], 1.0 / temperature) / total : 0;
            double sigma = Math.Sqrt(N * q * (1 - q));
            Assert.True(Math.Abs(counts[t] - N * q) <= 5 * sigma,
                $"token {t}: {counts[t]} draws, expected {N * q:F0} ± {5 * sigma:F0}");
        }
    }

    [Fact]
    public void TopK_TiesAtTheCut_GoToTheLowerToken()
    {
        // Tokens 1, 2, 3 tie at 0.3; top 2 keeps 1 and 2: token 3 (and token 0, below the cut) never come out.
        const int Batch = 200;
        var model = new TableModel(4, End).Add([], 0.1, 0.3, 0.3, 0.3);
        var decoder = new PrefixDecoder(model, Batch, 1);
        var sampler = new Sampler(Batch, 1, 4);
        decoder.Prepare(Batch, 1);
        sampler.Run(decoder, Batch, Start, End, 1, 1f, 2, seed: 3);
        var counts = new int[4];
        for (int b = 0; b < Batch; b++)
        {
            counts[sampler.Ended(b) ? End : sampler.Tokens(b)[0]]++;
        }

        // Each of tokens 1 and 2 has probability 1/2: fewer than 60 of 200 is 5.7 standard deviations away.
        Assert.Equal(0, counts[0]);
        Assert.Equal(0, counts[3]);
        Assert.InRange(counts[1], 60, 140);
        Assert.InRange(counts[2], 60, 140);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(1000)]
    public void SelectDescending_EqualsSorting(int length)
    {
        // Values with many repeats and -∞ (masked tokens), every rank.
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            ulong bits = CounterRandom.Bits(4, (ulong)length, (ulong)i);
            values[i] = bits % 7 == 0 ? float.NegativeInfinity : (float)(bits % 13) - 6f;
        }

        float[] sorted = [.. values.OrderByDescending(v => v)];
        for (int k = 0; k < length; k++)
        {
            float[] scratch = (float[])values.Clone();
            Assert.Equal(sorted[k], Sampler.SelectDescending(scratch, k));
        }
    }
}
