using System;
using System.Collections.Generic;
using ModelDsl.Decoding;

namespace ModelDsl.Tests.Decoding;

public sealed class BeamSearchTests
{
    private const int Start = 0, End = 1, A = 2, B = 3;

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    [InlineData(5UL)]
    [InlineData(6UL)]
    public void WidthOne_EqualsGreedy_OnRandomMarkovTables(ulong seed)
    {
        const int Vocabulary = 6, MaxSteps = 10, Batch = 2;
        var table = new MarkovTable(Vocabulary, seed, End, endBias: 0.5f);
        var decoder = new MarkovDecoder(table, Batch, MaxSteps);
        var greedy = new GreedySearch(Batch, MaxSteps, Vocabulary);
        var beam = new BeamSearch(Batch, 4, MaxSteps, Vocabulary);
        for (int start = 0; start < Vocabulary; start++)
        {
            greedy.Run(decoder, Batch, start, End, MaxSteps);
            beam.Run(decoder, Batch, 1, start, End, MaxSteps);
            for (int b = 0; b < Batch; b++)
            {
                Assert.Equal(greedy.Tokens(b).ToArray(), beam.Tokens(b).ToArray());
                Assert.Equal(greedy.Ended(b), beam.Ended(b));
                // Same float log-probabilities summed in the same order, and lp = 1 for α = 0: equal bits.
                Assert.Equal(greedy.Score(b), beam.Score(b));
                Assert.Equal(greedy.Score(b), beam.LogProbability(b));
            }
        }
    }

    [Theory]
    [InlineData(11UL)]
    [InlineData(12UL)]
    [InlineData(13UL)]
    public void WidthOne_EqualsGreedy_WithHistoryDependentModel(ulong seed)
    {
        const int Vocabulary = 8, MaxSteps = 12, Batch = 3;
        var model = new HashModel(Vocabulary, seed, End, endBias: 0.5f);
        var decoder = new PrefixDecoder(model, Batch, MaxSteps);
        var greedy = new GreedySearch(Batch, MaxSteps, Vocabulary);
        var beam = new BeamSearch(Batch, 1, MaxSteps, Vocabulary);
        decoder.Prepare(Batch, 1);
        greedy.Run(decoder, Batch, Start, End, MaxSteps);
        decoder.Prepare(Batch, 1);
        beam.Run(decoder, Batch, 1, Start, End, MaxSteps);
        for (int b = 0; b < Batch; b++)
        {
            Assert.Equal(greedy.Tokens(b).ToArray(), beam.Tokens(b).ToArray());
            Assert.Equal(greedy.Score(b), beam.Score(b));
        }
    }

    /// <summary>
    /// p(a) = 0.6, p(b) = 0.4; after a: end 0.3, a 0.36, b 0.34 (then end); after b: end 0.9. Greedy takes a, a, end
    /// (0.6 × 0.36 = 0.216); the best sequence is b, end (0.4 × 0.9 = 0.36), which a beam of two keeps.
    /// </summary>
    private static TableModel GreedyTrap() => new TableModel(4, End)
        .Add([], 0, 0, 0.6, 0.4)
        .Add([A], 0, 0.3, 0.36, 0.34)
        .Add([B], 0, 0.9, 0.05, 0.05);

    [Fact]
    public void WidthTwo_FindsTheBestSequence_WhereGreedyFails()
    {
        const int MaxSteps = 3;
        TableModel model = GreedyTrap();
        var decoder = new PrefixDecoder(model, 2, MaxSteps);
        var greedy = new GreedySearch(1, MaxSteps, 4);
        decoder.Prepare(1, 1);
        greedy.Run(decoder, 1, Start, End, MaxSteps);
        Assert.Equal([A, A], greedy.Tokens(0).ToArray());
        Assert.Equal(TableModel.Log(0.6) + TableModel.Log(0.36) + 0f, greedy.Score(0));

        Hypothesis best = Exhaustive.Best(model, 0, Start, End, MaxSteps, 0);
        Assert.Equal([B], best.Tokens);
        Assert.Equal(TableModel.Log(0.4) + TableModel.Log(0.9), best.LogProbability);

        var beam = new BeamSearch(1, 2, MaxSteps, 4);
        decoder.Prepare(1, 2);
        beam.Run(decoder, 1, 2, Start, End, MaxSteps);
        Assert.Equal(best.Tokens, beam.Tokens(0).ToArray());
        Assert.True(beam.Ended(0));
        Assert.Equal(best.LogProbability, beam.Score(0));
        Assert.True(beam.Score(0) > greedy.Score(0));
    }

    [Theory]
    [InlineData(21UL, 0.0f)]
    [InlineData(22UL, 0.0f)]
    [InlineData(23UL, 0.6f)]
    [InlineData(24UL, 1.0f)]
    [InlineData(25UL, 1.5f)]
    [InlineData(26UL, 3.0f)]
    public void WidthAtLeastTheNumberOfSequences_FindsTheExhaustiveBest(ulong seed, float alpha)
    {
        // Three tokens (start, end, one more) may follow each prefix; up to 4 steps: 1 + 2 + 4 + 8 sequences that
        // end and 16 cut at 4 tokens, 31 in all, so a beam of 31 never prunes.
        const int Vocabulary = 3, MaxSteps = 4, Width = 31, Batch = 3;
        var model = new HashModel(Vocabulary, seed, End, endBias: -0.5f);
        Assert.Equal(Width, Exhaustive.All(model, 0, Start, End, MaxSteps, alpha).Count);
        var decoder = new PrefixDecoder(model, Batch * Width, MaxSteps);
        var beam = new BeamSearch(Batch, Width, MaxSteps, Vocabulary);
        decoder.Prepare(Batch, Width);
        beam.Run(decoder, Batch, Width, Start, End, MaxSteps, alpha);
        for (int b = 0; b < Batch; b++)
        {
            Hypothesis best = Exhaustive.Best(model, b, Start, End, MaxSteps, alpha);
            Assert.Equal(best.Tokens, beam.Tokens(b).ToArray());
            Assert.Equal(best.Ended, beam.Ended(b));
            // Same float sums and the same float penalty: equal bits.
            Assert.Equal(best.LogProbability, beam.LogProbability(b));
            Assert.Equal(best.Score, beam.Score(b));
        }
    }

    /// <summary>
    /// p(end) = 0.4, p(a) = 0.38, p(b) = 0.22 after the start token; after a: end 0.98, start 0.01, a 0.005, b 0.005;
    /// after b: end. Raw log-probability prefers [end] (ln 0.4 = -0.916 vs ln(0.38 × 0.98) = -0.988); dividing by
    /// lp(n) = ((5 + n) / 6)^α with n = 1 and 2 flips the choice once (7/6)^α > 0.988 / 0.916, near α = 0.49.
    /// </summary>
    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.0, 2)]
    [InlineData(0.4, 2)]
    [InlineData(0.6, 1)]
    [InlineData(0.6, 2)]
    [InlineData(1.0, 1)]
    [InlineData(1.0, 3)]
    public void LengthPenalty_ChoosesAsTheFormulaPredicts(double alpha, int width)
    {
        const int MaxSteps = 3;
        var model = new TableModel(4, End)
            .Add([], 0, 0.4, 0.38, 0.22)
            .Add([A], 0.01, 0.98, 0.005, 0.005);

        // By hand: score = logP / ((5 + n) / 6)^α.
        double endOnly = TableModel.Log(0.4) / Math.Pow(6.0 / 6.0, alpha);
        double aThenEnd = ((double)TableModel.Log(0.38) + TableModel.Log(0.98)) / Math.Pow(7.0 / 6.0, alpha);
        double bThenEnd = TableModel.Log(0.22) / Math.Pow(7.0 / 6.0, alpha);
        Assert.True(bThenEnd < Math.Max(endOnly, aThenEnd));
        int[] expected = aThenEnd > endOnly ? [A] : [];
        Assert.Equal(alpha > 0.5, expected.Length == 1); // the constructed flip

        var decoder = new PrefixDecoder(model, width, MaxSteps);
        var beam = new BeamSearch(1, width, MaxSteps, 4);
        decoder.Prepare(1, width);
        beam.Run(decoder, 1, width, Start, End, MaxSteps, (float)alpha);
        Assert.Equal(expected, beam.Tokens(0).ToArray());
        Assert.True(beam.Ended(0));
        // The search divides float by a float penalty; the hand value is double: a few float ulps apart.
        Assert.Equal(Math.Max(endOnly, aThenEnd), beam.Score(0), 1e-6);
        Assert.Equal(expected, Exhaustive.Best(model, 0, Start, End, MaxSteps, alpha).Tokens);
    }

    [Fact]
    public void AtMaxSteps_LiveHypothesesCompete_ScoredWithTheLengthPenalty()
    {
        // No end token is likely: every source is cut at maxSteps, and the live hypotheses are what competes.
        const int Vocabulary = 5, MaxSteps = 6, Width = 3, Batch = 2;
        var model = new HashModel(Vocabulary, 31, End, endBias: -20f);
        var decoder = new PrefixDecoder(model, Batch * Width, MaxSteps);
        var beam = new BeamSearch(Batch, Width, MaxSteps, Vocabulary);
        decoder.Prepare(Batch, Width);
        const float Alpha = 0.8f;
        beam.Run(decoder, Batch, Width, Start, End, MaxSteps, Alpha);
        for (int b = 0; b < Batch; b++)
        {
            Assert.False(beam.Ended(b));
            Assert.Equal(MaxSteps, beam.Tokens(b).Length);
            float logProbability = Exhaustive.LogProbability(model, b, Start, beam.Tokens(b), End, ended: false);
            Assert.Equal(logProbability, beam.LogProbability(b));
            Assert.Equal(logProbability / Exhaustive.LengthPenalty(MaxSteps, Alpha), beam.Score(b));
            Assert.Equal(ReferenceBeam.Run(model, b, Width, Start, End, MaxSteps, Alpha).Tokens, beam.Tokens(b).ToArray());
        }
    }

    public static TheoryData<ulong, int, float> ReorderCases()
    {
        var data = new TheoryData<ulong, int, float>();
        foreach (ulong seed in new ulong[] { 41, 42, 43 })
        {
            for (int width = 1; width <= 5; width++)
            {
                data.Add(seed, width, 0f);
                data.Add(seed, width, 0.8f);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReorderCases))]
    public void Reorder_KeepsEachRowOnItsHypothesis_ResultsMatchTheReferenceBeam(ulong seed, int width, float alpha)
    {
        // The decoder's log-probabilities depend on each row's whole history, so a wrong parent in Reorder changes
        // the numbers the search sees: its result would then disagree with the plain reference (which has no rows)
        // and its log-probability with the model's for the tokens it returns. The end token is made unlikely so that
        // best paths are long (with 0.3 most ended after a step or two, before any Reorder mattered).
        const int Vocabulary = 6, MaxSteps = 8, Batch = 3;
        var model = new HashModel(Vocabulary, seed, End, endBias: -2f);
        var decoder = new PrefixDecoder(model, Batch * width, MaxSteps);
        var beam = new BeamSearch(Batch, 5, MaxSteps, Vocabulary);
        decoder.Prepare(Batch, width);
        beam.Run(decoder, Batch, width, Start, End, MaxSteps, alpha);
        Assert.Equal(beam.Steps - 1, decoder.ReorderCalls);
        for (int b = 0; b < Batch; b++)
        {
            Hypothesis expected = ReferenceBeam.Run(model, b, width, Start, End, MaxSteps, alpha);
            Assert.Equal(expected.Tokens, beam.Tokens(b).ToArray());
            Assert.Equal(expected.Ended, beam.Ended(b));
            Assert.Equal(expected.LogProbability, beam.LogProbability(b));
            Assert.Equal(expected.Score, beam.Score(b));
            Assert.Equal(Exhaustive.LogProbability(model, b, Start, beam.Tokens(b), End, beam.Ended(b)), beam.LogProbability(b));
        }
    }

    [Fact]
    public void ADecoderThatIgnoresReorder_IsCaught()
    {
        // The control for the test above, over the same cases: with Reorder ignored, rows keep stale prefixes and
        // the same checks fail for many sources (not all: a best path that never changes row is unaffected).
        const int Vocabulary = 6, MaxSteps = 8, Batch = 3;
        int mismatches = 0;
        foreach (ulong seed in new ulong[] { 41, 42, 43 })
        {
            for (int width = 2; width <= 5; width++)
            {
                var model = new HashModel(Vocabulary, seed, End, endBias: -2f);
                var decoder = new PrefixDecoder(model, Batch * width, MaxSteps) { IgnoreReorder = true };
                var beam = new BeamSearch(Batch, width, MaxSteps, Vocabulary);
                decoder.Prepare(Batch, width);
                beam.Run(decoder, Batch, width, Start, End, MaxSteps);
                for (int b = 0; b < Batch; b++)
                {
                    Hypothesis expected = ReferenceBeam.Run(model, b, width, Start, End, MaxSteps, 0);
                    float logProbability = Exhaustive.LogProbability(model, b, Start, beam.Tokens(b), End, beam.Ended(b));
                    if (!expected.Tokens.AsSpan().SequenceEqual(beam.Tokens(b)) || logProbability != beam.LogProbability(b))
                    {
                        mismatches++;
                    }
                }
            }
        }

        Assert.True(mismatches >= 10, $"only {mismatches} of 36 sources went wrong without Reorder");
    }

    [Theory]
    [InlineData(51UL, 3, 10, 0.5f)]
    [InlineData(52UL, 4, 4, -3f)]
    [InlineData(53UL, 2, 7, 0f)]
    public void RowAt_FollowsTheBestHypothesisThroughTheRows(ulong seed, int width, int maxSteps, float endBias)
    {
        const int Vocabulary = 7, Batch = 4;
        var model = new HashModel(Vocabulary, seed, End, endBias);
        var decoder = new PrefixDecoder(model, Batch * width, maxSteps);
        var beam = new BeamSearch(Batch, width, maxSteps, Vocabulary);
        decoder.Prepare(Batch, width);
        beam.Run(decoder, Batch, width, Start, End, maxSteps);
        bool movedRow = false;
        for (int b = 0; b < Batch; b++)
        {
            ReadOnlySpan<int> tokens = beam.Tokens(b);
            int pathLength = tokens.Length + (beam.Ended(b) ? 1 : 0);
            Assert.Equal(pathLength, beam.Rows(b).Length);
            Assert.Equal(b * width, beam.RowAt(b, 0)); // only hypothesis 0 is live at step 0
            var prefix = new List<int> { Start };
            for (int step = 0; step < pathLength; step++)
            {
                int row = beam.RowAt(b, step);
                Assert.Equal(beam.Rows(b)[step], row);
                Assert.InRange(row, b * width, (b + 1) * width - 1);
                movedRow |= row != b * width;
                // The row held exactly the best hypothesis's prefix when the decoder ran step `step`.
                Assert.Equal(PrefixDecoder.Key(b, prefix.ToArray()), decoder.KeyAt(step, row));
                if (step < tokens.Length)
                {
                    prefix.Add(tokens[step]);
                }
            }
        }

        Assert.True(width == 1 || movedRow, "the best path should leave row 0 of its source somewhere");
    }

    [Fact]
    public void Ties_GoToTheLowerRow_ThenTheLowerToken()
    {
        // a and b equally likely, each then ends for sure: both finished hypotheses tie; a (lower token, then the
        // lower row) wins at every width.
        var model = new TableModel(4, End).Add([], 0, 0, 0.5, 0.5);
        for (int width = 1; width <= 3; width++)
        {
            var decoder = new PrefixDecoder(model, width, 3);
            var beam = new BeamSearch(1, width, 3, 4);
            decoder.Prepare(1, width);
            beam.Run(decoder, 1, width, Start, End, 3);
            Assert.Equal([A], beam.Tokens(0).ToArray());
            Assert.Equal(TableModel.Log(0.5), beam.Score(0));
        }
    }

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(1.0, 2)]
    public void Sources_StopAsSoonAsNoLiveHypothesisCanWin(double alpha, int expectedSteps)
    {
        // The length-penalty table with width 1 and 10 steps allowed. Step 0 finishes [end] (ln 0.4) and keeps a
        // (ln 0.38) live. α = 0: a can only fall below ln 0.38 < ln 0.4, so the search stops after 1 step.
        // α = 1: a could still score up to ln 0.38 / lp(10) = -0.967 / 2.5 = -0.387 > -0.916, so it runs step 1, where
        // [a, end] (-0.847) replaces [end] and the live a, start (ln 0.0038 / 2.5 = -2.23) cannot win: 2 steps.
        var model = new TableModel(4, End)
            .Add([], 0, 0.4, 0.38, 0.22)
            .Add([A], 0.01, 0.98, 0.005, 0.005);
        var decoder = new PrefixDecoder(model, 1, 10);
        var beam = new BeamSearch(1, 1, 10, 4);
        decoder.Prepare(1, 1);
        beam.Run(decoder, 1, 1, Start, End, 10, (float)alpha);
        Assert.Equal(expectedSteps, beam.Steps);
        int[] expected = alpha == 0 ? [] : [A];
        Assert.Equal(expected, beam.Tokens(0).ToArray());
    }

    [Fact]
    public void Sources_StopWhenNoHypothesisIsLeft()
    {
        // Greedy trap, width 2: step 1 finishes [b] and keeps a, a and a, b, whose only continuation is the end
        // token; step 2 finishes them and leaves nothing live, so the search stops after 3 of the 10 steps allowed.
        TableModel model = GreedyTrap();
        var decoder = new PrefixDecoder(model, 2, 10);
        var beam = new BeamSearch(1, 2, 10, 4);
        decoder.Prepare(1, 2);
        beam.Run(decoder, 1, 2, Start, End, 10);
        Assert.Equal(3, beam.Steps);
        Assert.Equal([B], beam.Tokens(0).ToArray());
    }
}
