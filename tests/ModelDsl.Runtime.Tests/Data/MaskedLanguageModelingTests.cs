using System;
using ModelDsl.Data;
using ModelDsl.Tests.Support;
using ModelDsl.Tokenization;

namespace ModelDsl.Tests.Data;

/// <summary>BERT's 15 % / 80-10-10 corruption: its proportions, its labels, its determinism and its refusals.</summary>
public sealed class MaskedLanguageModelingTests
{
    private const int Vocab = 1000;                           // ids 0..6 are the standard special tokens
    private static readonly SpecialTokens Special = SpecialTokens.Standard;

    /// <summary>Sequences of ordinary ids with a special token at every 7th position (never to be chosen).</summary>
    private static int[] Sequence(int index, int length)
    {
        int[] tokens = new int[length];
        for (int t = 0; t < length; t++)
        {
            tokens[t] = t % 7 == 0 ? t / 7 % 7 : 7 + (int)((uint)(index * 7919 + t * 104729) % (Vocab - 7));
        }

        return tokens;
    }

    /// <summary>
    /// Over 4000 sequences of 60 positions (about 205 000 ordinary positions) the chosen fraction, and among the
    /// chosen the mask / random / kept fractions, are the declared ones. Tolerance: 5 binomial standard deviations
    /// sqrt(p(1-p)/n) of each fraction; a correct implementation lands outside with probability below 6e-7 for a
    /// random seed, and the seed is fixed, so the test is deterministic. It still catches real errors: with n = 205 000
    /// 5 SD of the 15 % rate is 0.0039, so a rate of 16 % (or masking specials) fails; for the 80 % split among
    /// about 30 000 chosen positions 5 SD is 0.012.
    /// </summary>
    [Fact]
    public void Proportions_AreThe15PercentAnd80_10_10_OverManyDraws()
    {
        var mlm = new MaskedLanguageModeling(Vocab, Special, seed: 42);
        long ordinary = 0, chosen = 0, masked = 0, replaced = 0, kept = 0;
        int[] inputs = new int[60], labels = new int[60];
        for (int i = 0; i < 4000; i++)
        {
            int[] tokens = Sequence(i, 60);
            int count = mlm.Apply(tokens, inputs, labels, (ulong)i);
            int seen = 0;
            for (int t = 0; t < tokens.Length; t++)
            {
                ordinary += mlm.IsSpecial(tokens[t]) ? 0 : 1;
                if (labels[t] == mlm.IgnoreIndex)
                {
                    Assert.Equal(tokens[t], inputs[t]);              // not chosen: unchanged
                    continue;
                }

                seen++;
                Assert.Equal(tokens[t], labels[t]);                  // chosen: the label is the original id
                Assert.False(mlm.IsSpecial(tokens[t]));              // specials are never chosen
                if (inputs[t] == Special.Mask)
                {
                    masked++;
                }
                else if (inputs[t] == tokens[t])
                {
                    kept++;
                }
                else
                {
                    Assert.False(mlm.IsSpecial(inputs[t]));          // a random replacement is an ordinary id
                    replaced++;
                }
            }

            Assert.Equal(count, seen);
            chosen += seen;
        }

        AssertFraction(chosen, ordinary, 0.15);
        // A random replacement equals the original with probability 1/993 (the ordinary ids): it then counts as kept.
        const double same = 1.0 / (Vocab - 7);
        AssertFraction(masked, chosen, 0.8);
        AssertFraction(replaced, chosen, 0.1 * (1 - same));
        AssertFraction(kept, chosen, 0.1 + 0.1 * same);
    }

    private static void AssertFraction(long count, long total, double p)
    {
        double fraction = (double)count / total;
        double tolerance = 5 * Math.Sqrt(p * (1 - p) / total);   // 5 binomial SDs, see the test's summary
        Assert.True(Math.Abs(fraction - p) <= tolerance, $"{count} of {total} = {fraction:F5}, expected {p:F5} ± {tolerance:F5}");
    }

    [Fact]
    public void SameSeedAndDraw_GiveTheSameCorruption_AnotherDrawAnother()
    {
        int[] tokens = Sequence(3, 200);
        var first = new MaskedLanguageModeling(Vocab, Special, seed: 7);
        var second = new MaskedLanguageModeling(Vocab, Special, seed: 7);
        int[] a = new int[200], la = new int[200], b = new int[200], lb = new int[200];
        first.Apply(tokens, a, la, draw: 5);
        second.Apply(tokens, b, lb, draw: 5);
        Assert.Equal(a, b);
        Assert.Equal(la, lb);

        second.Apply(tokens, b, lb, draw: 6);
        Assert.NotEqual(la, lb);
        new MaskedLanguageModeling(Vocab, Special, seed: 8).Apply(tokens, b, lb, draw: 5);
        Assert.NotEqual(la, lb);
    }

    [Fact]
    public void RateOne_ChoosesEveryOrdinaryPosition_AndNoSpecial()
    {
        var mlm = new MaskedLanguageModeling(Vocab, Special, seed: 1, rate: 1f, maskFraction: 1f, randomFraction: 0f, ignoreIndex: -1);
        int[] tokens = [Special.Cls, 10, 11, Special.Sep, 12, Special.Pad];
        int[] inputs = new int[6], labels = new int[6];
        Assert.Equal(3, mlm.Apply(tokens, inputs, labels, 0));
        Assert.Equal(new[] { Special.Cls, Special.Mask, Special.Mask, Special.Sep, Special.Mask, Special.Pad }, inputs);
        Assert.Equal(new[] { -1, 10, 11, -1, 12, -1 }, labels);
    }

    [Fact]
    public void InputsMayBeTheTokensThemselves()
    {
        var mlm = new MaskedLanguageModeling(Vocab, Special, seed: 3);
        int[] tokens = Sequence(1, 100), copy = (int[])tokens.Clone();
        int[] expected = new int[100], labels = new int[100], labelsInPlace = new int[100];
        mlm.Apply(tokens, expected, labels, 9);
        mlm.Apply(copy, copy, labelsInPlace, 9);
        Assert.Equal(expected, copy);
        Assert.Equal(labels, labelsInPlace);
    }

    [Fact]
    public void Apply_AllocatesNothing()
    {
        var mlm = new MaskedLanguageModeling(Vocab, Special, seed: 3);
        int[] tokens = Sequence(1, 64), inputs = new int[64], labels = new int[64];
        ulong draw = 0;
        Assert.Equal(0, Allocations.Measure(() => mlm.Apply(tokens, inputs, labels, draw++)));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void RateOutside0To1_Throws_NamingRate(float rate)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MaskedLanguageModeling(Vocab, Special, 1, rate: rate));
        Assert.Equal("rate", error.ParamName);
    }

    [Fact]
    public void FractionsAboveOne_Throw_NamingRandomFraction()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new MaskedLanguageModeling(Vocab, Special, 1, maskFraction: 0.8f, randomFraction: 0.3f));
        Assert.Equal("randomFraction", error.ParamName);
    }

    [Fact]
    public void VocabularyWithoutMask_Throws_SayingSo()
    {
        var vocabulary = WordVocabulary.Build(["a b c"], specials: SpecialTokenSet.Pad | SpecialTokenSet.Unknown);
        var error = Assert.Throws<ArgumentException>(() => new MaskedLanguageModeling(vocabulary, 1));
        Assert.Equal("special", error.ParamName);
        Assert.Contains("no <mask> token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IgnoreIndexThatIsATokenId_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MaskedLanguageModeling(Vocab, Special, 1, ignoreIndex: 5));
        Assert.Equal("ignoreIndex", error.ParamName);
    }

    [Fact]
    public void SpansOfWrongLength_Throw_NamingThem()
    {
        var mlm = new MaskedLanguageModeling(Vocab, Special, seed: 1);
        int[] tokens = [10, 11, 12];
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => mlm.Apply(tokens, new int[2], new int[3], 0)).ParamName);
        var labels = Assert.Throws<ArgumentException>(() => mlm.Apply(tokens, new int[3], new int[4], 0));
        Assert.Equal("labels", labels.ParamName);
        Assert.Contains("labels has 4 positions but tokens has 3", labels.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenOutsideTheVocabulary_Throws_NamingThePosition()
    {
        var mlm = new MaskedLanguageModeling(Vocab, Special, seed: 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => mlm.Apply([10, Vocab, 12], new int[3], new int[3], 0));
        Assert.Equal("tokens", error.ParamName);
        Assert.Contains("tokens[1] is 1000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VocabularyBuiltWithTheLibrary_MasksWithItsMaskId()
    {
        var vocabulary = WordVocabulary.Build(["the cat sat on the mat"]);
        var mlm = new MaskedLanguageModeling(vocabulary, seed: 1, rate: 1f, maskFraction: 1f, randomFraction: 0f);
        int[] tokens = vocabulary.Encode("the cat sat");
        int[] inputs = new int[tokens.Length], labels = new int[tokens.Length];
        mlm.Apply(tokens, inputs, labels, 0);
        Assert.All(inputs, id => Assert.Equal(vocabulary.IdOf("<mask>"), id));
        Assert.Equal(tokens, labels);
    }
}
