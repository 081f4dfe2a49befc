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

    [Theory]
    [InlineData(1f, 0, 0.5f)] // nucleus {2, 3}: 0.3 + 0.25 reaches 0.5
    [InlineData(1f, 0, 0.6f)] // {2, 3, 1}: 0.55 is still below 0.6, token 1 (p 0.2) reaches it
    [InlineData(1f, 0, 0.1f)] // {2}: the most probable token is always kept
    [InlineData(0.7f, 4, 0.8f)] // temperature, then top-4, then the nucleus of what is left
    public void FirstTokenFrequencies_MatchTheNucleus(float temperature, int topK, float topP)
    {
        // As FirstTokenFrequencies_MatchTheTemperedTopKSoftmax, with the nucleus computed here independently: the tempered
        // top-k distribution q, tokens by decreasing q taken while the mass before them is below topP. 5 standard deviations
        // per token; a sampler ignoring topP gives tokens outside the nucleus thousands of draws (q of 0.1 or more).
        const int Batch = 500, Seeds = 20, N = Batch * Seeds;
        double[] p = [0.1, 0.2, 0.3, 0.25, 0.15];
        var model = new TableModel(5, End).Add([], p);
        var decoder = new PrefixDecoder(model, Batch, 1);
        var sampler = new Sampler(Batch, 1, 5);
        var counts = new int[5];
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            decoder.Prepare(Batch, 1);
            sampler.Run(decoder, Batch, Start, End, 1, temperature, topK, topP, seed);
            for (int b = 0; b < Batch; b++)
            {
                counts[sampler.Ended(b) ? End : sampler.Tokens(b)[0]]++;
            }
        }

        int[] byProbability = [.. Enumerable.Range(0, 5).OrderByDescending(t => p[t])];
        int[] topk = topK == 0 ? byProbability : byProbability[..topK];
        double tempered = topk.Sum(t => Math.Pow(p[t], 1.0 / temperature));
        var nucleus = new System.Collections.Generic.List<int>();
        double before = 0;
        foreach (int t in topk)
        {
            if (nucleus.Count > 0 && before >= topP)
            {
                break;
            }

            nucleus.Add(t);
            before += Math.Pow(p[t], 1.0 / temperature) / tempered;
        }

        double mass = nucleus.Sum(t => Math.Pow(p[t], 1.0 / temperature));
        for (int t = 0; t < 5; t++)
        {
            double q = nucleus.Contains(t) ? Math.Pow(p[t], 1.0 / temperature) / mass : 0;
            double sigma = Math.Sqrt(N * q * (1 - q));
            Assert.True(Math.Abs(counts[t] - N * q) <= 5 * sigma,
                $"token {t}: {counts[t]} draws, expected {N * q:F0} ± {5 * sigma:F0} (nucleus {string.Join(",", nucleus)})");
        }
    }

    [Fact]
    public void TopPOne_EqualsNoNucleus_BitForBit()
    {
        var model = new MarkovTable(9, seed: 5, endToken: End);
        var batch = 16;
        var decoder = new PrefixDecoder(model, batch, 12);
        var plain = new Sampler(batch, 12, model.Vocabulary);
        var nucleus = new Sampler(batch, 12, model.Vocabulary);
        decoder.Prepare(batch, 1);
        plain.Run(decoder, batch, Start, End, 12, 0.9f, 0, seed: 8);
        decoder.Prepare(batch, 1);
        nucleus.Run(decoder, batch, Start, End, 12, 0.9f, 0, 1f, seed: 8);
        for (int b = 0; b < batch; b++)
        {
            Assert.Equal(plain.Tokens(b).ToArray(), nucleus.Tokens(b).ToArray());
            Assert.Equal(plain.Score(b), nucleus.Score(b));
        }
    }

    [Fact]
    public void TopP_TiesGoToTheLowerToken()
    {
        // Tokens 0, 2, 3 tie at 0.3 (token 1, the end, has 0.1): a nucleus of 0.5 takes two of them, the lower ids 0 and 2.
        const int Batch = 200;
        var model = new TableModel(4, End).Add([], 0.3, 0.1, 0.3, 0.3);
        var decoder = new PrefixDecoder(model, Batch, 1);
        var sampler = new Sampler(Batch, 1, 4);
        decoder.Prepare(Batch, 1);
        sampler.Run(decoder, Batch, Start, End, 1, 1f, 0, 0.5f, seed: 3);
        var counts = new int[4];
        for (int b = 0; b < Batch; b++)
        {
            counts[sampler.Ended(b) ? End : sampler.Tokens(b)[0]]++;
        }

        // Tokens 0 and 2 have probability 1/2 each: fewer than 60 of 200 is 5.7 standard deviations away.
        Assert.Equal(0, counts[1]);
        Assert.Equal(0, counts[3]);
        Assert.InRange(counts[0], 60, 140);
        Assert.InRange(counts[2], 60, 140);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.5f)]
    [InlineData(1.01f)]
    [InlineData(float.NaN)]
    public void TopP_OutsideZeroToOne_IsRejected(float topP)
    {
        var model = new TableModel(4, End).Add([], 0.25, 0.25, 0.25, 0.25);
        var decoder = new PrefixDecoder(model, 1, 1);
        var sampler = new Sampler(1, 1, 4);
        decoder.Prepare(1, 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Run(decoder, 1, Start, End, 1, 1f, 0, topP, seed: 1));
        Assert.Equal("topP", error.ParamName);
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
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(1000)]
    public void SortByWeightDescending_EqualsLinqOrdering(int length)
    {
        // Weights with many repeats (ties go to the lower id) in a shuffled order of ids.
        var weights = new float[length];
        for (int i = 0; i < length; i++)
        {
            weights[i] = (float)(CounterRandom.Bits(6, (ulong)length, (ulong)i) % 9);
        }

        int[] order = [.. Enumerable.Range(0, length).OrderBy(i => CounterRandom.Bits(7, 0, (ulong)i))];
        Sampler.SortByWeightDescending(order, weights);
        Assert.Equal(Enumerable.Range(0, length).OrderByDescending(i => weights[i]).ThenBy(i => i), order);
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
