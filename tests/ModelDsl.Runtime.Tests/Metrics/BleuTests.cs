using System;
using System.Collections.Generic;
using System.Linq;
using ModelDsl.Metrics;

namespace ModelDsl.Tests.Metrics;

/// <summary>
/// Corpus BLEU: a case computed by hand from the definition, and the values NLTK 3.8's <c>corpus_bleu</c> gives on the same
/// tokenized sentences (Debian's python3-nltk 3.8-1; the script is quoted in <see cref="Nltk"/>), for every smoothing.
/// </summary>
public sealed class BleuTests
{
    private static string[] Words(string text) => text.Split(' ');

    private static CorpusBleu Corpus(params (string Hypothesis, string[] References)[] pairs)
    {
        var bleu = new CorpusBleu();
        foreach ((string hypothesis, string[] references) in pairs)
        {
            bleu.Add(Words(hypothesis), references.Select(r => (IReadOnlyList<string>)Words(r)).ToArray());
        }

        return bleu;
    }

    [Fact]
    public void One_pair_by_hand()
    {
        // Hypothesis "the cat sat on a mat" (6 tokens), reference "the cat sat on the mat today" (7):
        // unigrams 5/6 (all but "a"), bigrams 3/5 (the cat, cat sat, sat on), trigrams 2/4, 4-grams 1/3;
        // c = 6 < r = 7, so BP = exp(1 - 7/6).
        BleuScore score = Corpus(("the cat sat on a mat", ["the cat sat on the mat today"])).Score();
        double expected = Math.Exp(1 - (7.0 / 6)) * Math.Pow(5.0 / 6 * 3.0 / 5 * 2.0 / 4 * 1.0 / 3, 0.25);
        Assert.Equal(expected, score.Score, 12);
        Assert.Equal([5.0 / 6, 3.0 / 5, 2.0 / 4, 1.0 / 3], score.Precisions);
        Assert.Equal(6, score.HypothesisLength);
        Assert.Equal(7, score.ReferenceLength);
    }

    /// <summary>
    /// Printed by, with nltk 3.8 from Debian's python3-nltk (and python3-regex) on the path:
    /// <code>
    /// from nltk.translate.bleu_score import corpus_bleu, SmoothingFunction
    /// S = SmoothingFunction()
    /// for f in [S.method0, S.method1, S.method2, S.method3]: print(repr(corpus_bleu(refs, hyps, smoothing_function=f)))
    /// </code>
    /// with <c>refs</c> and <c>hyps</c> the whitespace-split sentences of each case below.
    /// </summary>
    public static TheoryData<string, double, double, double, double> Nltk => new()
    {
        // one_pair_short None=0.4548019047027907 Epsilon=0.4548019047027907 AddOne=0.5408536609893481 Exponential=0.4548019047027907
        { "one_pair_short", 0.4548019047027907, 0.4548019047027907, 0.5408536609893481, 0.4548019047027907 },
        // two_pairs_two_refs None=0.5343979225895997 Epsilon=0.5343979225895997 AddOne=0.5665964176468813 Exponential=0.5343979225895997
        { "two_pairs_two_refs", 0.5343979225895997, 0.5343979225895997, 0.5665964176468813, 0.5343979225895997 },
        // no_fourgram None=1.0547686614863434e-154 Epsilon=0.14287202148493997 AddOne=0.42728700639623407 Exponential=0.2686424829558855
        // (NLTK's method0 puts the smallest double in place of a zero precision; it is 0 here.)
        { "no_fourgram", 0.0, 0.14287202148493997, 0.42728700639623407, 0.2686424829558855 },
        // tie_lengths None=1.0 Epsilon=1.0 AddOne=1.0 Exponential=1.0 (references of 4 and 6 tokens, hypothesis of 5: the shorter counts)
        { "tie_lengths", 1.0, 1.0, 1.0, 1.0 },
    };

    private static CorpusBleu Case(string name) => name switch
    {
        "one_pair_short" => Corpus(("the cat sat on a mat", ["the cat sat on the mat today"])),
        "two_pairs_two_refs" => Corpus(
            ("the quick brown fox jumped over the lazy dog", ["a quick brown fox jumps over the lazy dog", "the fast brown fox leaps over a lazy dog"]),
            ("it rains tonight in the north of the country", ["it is raining in the north of the country tonight", "tonight it rains in the country's north"])),
        "no_fourgram" => Corpus(("one two four three five", ["one two three four five"])),
        "tie_lengths" => Corpus(("x y z w v", ["x y z w", "x y z w v u"])),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Nltk))]
    public void Equals_NLTK_for_every_smoothing(string name, double none, double epsilon, double addOne, double exponential)
    {
        // The same sums and the same floating-point formula: equal to about 1e-15; 1e-12 leaves room for a different order
        // of the log sum, while any counting difference (clipping, closest reference, a per-sentence floor) moves the third digit.
        CorpusBleu bleu = Case(name);
        Assert.Equal(none, bleu.Score(BleuSmoothing.None).Score, 12);
        Assert.Equal(epsilon, bleu.Score(BleuSmoothing.Epsilon).Score, 12);
        Assert.Equal(addOne, bleu.Score(BleuSmoothing.AddOne).Score, 12);
        Assert.Equal(exponential, bleu.Score(BleuSmoothing.Exponential).Score, 12);
    }

    [Fact]
    public void Token_ids_and_strings_give_the_same_score()
    {
        var ids = new CorpusBleu();
        ids.Add([4, 5, 6, 7, 8, 9], [4, 5, 6, 7, 4, 9, 3]);
        BleuScore fromStrings = Corpus(("the cat sat on a mat", ["the cat sat on the mat today"])).Score();
        Assert.Equal(fromStrings.Score, ids.Score().Score, 15);
    }

    [Fact]
    public void Edge_cases()
    {
        Assert.Equal(0, new CorpusBleu().Score().Score); // empty corpus
        var empty = new CorpusBleu();
        empty.Add(ReadOnlySpan<int>.Empty, [1, 2, 3]);
        Assert.Equal(0, empty.Score(BleuSmoothing.Exponential).Score); // no unigram can match
        Assert.Equal(0, empty.Score().BrevityPenalty);
        var perfect = new CorpusBleu();
        perfect.Add([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
        Assert.Equal(1.0, perfect.Score().Score);
        perfect.Clear();
        Assert.Equal(0, perfect.Sentences);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorpusBleu(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorpusBleu(5));
        Assert.Throws<ArgumentException>(() => new CorpusBleu().Add([1], Array.Empty<int[]>()));
    }
}
