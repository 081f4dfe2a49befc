using System;
using ModelDsl.Decoding;

namespace ModelDsl.Tests.Decoding;

public sealed class GreedySearchTests
{
    private const int Start = 0, End = 1;

    [Theory]
    [InlineData(1UL, 7, 12, 1.0f)]
    [InlineData(2UL, 7, 12, 1.0f)]
    [InlineData(3UL, 11, 9, 0.0f)]
    [InlineData(4UL, 3, 15, -1.0f)]
    [InlineData(5UL, 20, 6, 0.5f)]
    public void Tokens_AndScore_EqualTheArgmaxPath(ulong seed, int vocabulary, int maxSteps, float endBias)
    {
        const int Batch = 4;
        var model = new HashModel(vocabulary, seed, End, endBias);
        var decoder = new PrefixDecoder(model, Batch, maxSteps);
        var search = new GreedySearch(Batch, maxSteps, vocabulary);
        decoder.Prepare(Batch, 1);
        search.Run(decoder, Batch, Start, End, maxSteps);

        int longest = 0;
        for (int b = 0; b < Batch; b++)
        {
            Hypothesis expected = Exhaustive.Greedy(model, b, Start, End, maxSteps);
            Assert.Equal(expected.Tokens, search.Tokens(b).ToArray());
            Assert.Equal(expected.Ended, search.Ended(b));
            // Both sum the same float log-probabilities in the same order: equal bits.
            Assert.Equal(expected.LogProbability, search.Score(b));
            longest = Math.Max(longest, expected.Tokens.Length + (expected.Ended ? 1 : 0));
        }

        Assert.Equal(longest, search.Steps);
        Assert.Equal(0, decoder.ReorderCalls);
    }

    [Fact]
    public void EndedRows_AreFedTheEndToken_AndIgnored()
    {
        // Source rows end at different steps (random model with a strong end bias); the rows that ended first keep
        // receiving the end token while the others run on.
        const int Batch = 6, MaxSteps = 10, Vocabulary = 5;
        var model = new HashModel(Vocabulary, 77, End, endBias: 1.5f);
        var decoder = new PrefixDecoder(model, Batch, MaxSteps);
        var search = new GreedySearch(Batch, MaxSteps, Vocabulary);
        decoder.Prepare(Batch, 1);
        search.Run(decoder, Batch, Start, End, MaxSteps);

        int shortest = int.MaxValue;
        for (int b = 0; b < Batch; b++)
        {
            int length = search.Tokens(b).Length;
            if (!search.Ended(b))
            {
                continue;
            }

            shortest = Math.Min(shortest, length);
            for (int step = length + 1; step < search.Steps; step++)
            {
                Assert.Equal(End, decoder.Fed(b, step));
            }
        }

        Assert.True(shortest + 2 < search.Steps, $"the case must have a row that ends early (shortest {shortest}, steps {search.Steps})");
    }

    [Fact]
    public void Ties_GoToTheLowerToken()
    {
        // Start 0, end 1, tokens 2 and 3 equally likely after the start token; then the end token.
        var model = new TableModel(4, End).Add([], 0.1, 0.1, 0.4, 0.4);
        var decoder = new PrefixDecoder(model, 1, 4);
        var search = new GreedySearch(1, 4, 4);
        decoder.Prepare(1, 1);
        search.Run(decoder, 1, Start, End, 4);
        Assert.Equal([2], search.Tokens(0).ToArray());
        Assert.Equal(TableModel.Log(0.4) + 0f, search.Score(0));
        Assert.True(search.Ended(0));
        Assert.Equal(2, search.Steps);
    }

    [Fact]
    public void CutAtMaxSteps_KeepsEveryToken_AndDoesNotEnd()
    {
        // The end token is never likely here: every row runs the full maxSteps.
        var model = new HashModel(6, 9, End, endBias: -20f);
        var decoder = new PrefixDecoder(model, 2, 5);
        var search = new GreedySearch(2, 5, 6);
        decoder.Prepare(2, 1);
        search.Run(decoder, 2, Start, End, 5);
        for (int b = 0; b < 2; b++)
        {
            Assert.Equal(5, search.Tokens(b).Length);
            Assert.False(search.Ended(b));
            Assert.Equal(Exhaustive.Greedy(model, b, Start, End, 5).LogProbability, search.Score(b));
        }

        Assert.Equal(5, search.Steps);
    }
}
