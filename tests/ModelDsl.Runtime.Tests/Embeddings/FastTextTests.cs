using System;
using ModelDsl.Embeddings;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Embeddings;

public sealed class FastTextTests
{
    [Fact]
    public void CharacterNGrams_AreThoseOfTheBracketedWord()
    {
        // The paper's example: "where" with n = 3 gives <wh, whe, her, ere, re>.
        Assert.Equal(["<wh", "whe", "her", "ere", "re>"], FastText.CharacterNGrams("where", 3, 3));
        // 3..6 over "<where>" (7 characters): 5 + 4 + 3 + 2 n-grams, the whole "<where>" (7) excluded.
        var all = FastText.CharacterNGrams("where");
        Assert.Equal(14, all.Count);
        Assert.Contains("<where", all);
        Assert.Contains("where>", all);
        Assert.DoesNotContain("<where>", all);
        Assert.Equal(["<a>"], FastText.CharacterNGrams("a"));   // a short word is one n-gram, itself bracketed
    }

    [Theory]
    // Published FNV-1a 32-bit test vectors (Fowler/Noll/Vo).
    [InlineData("", 0x811c9dc5u)]
    [InlineData("a", 0xe40c292cu)]
    [InlineData("foobar", 0xbf9cf968u)]
    public void Fnv1a_MatchesPublishedVectors(string text, uint expected) => Assert.Equal(expected, FastText.Fnv1a(text));

    [Fact]
    public void UnseenWord_IsTheMeanOfItsNGramBuckets()
    {
        var corpus = Word2VecTests.TopicCorpus(20);
        var options = new FastTextOptions { Dimension = 4, Buckets = 97, Epochs = 1 };
        var model = new FastText(corpus, options);
        model.Train();
        var expected = new double[4];
        var grams = FastText.CharacterNGrams("doggo");
        foreach (string gram in grams)
        {
            int row = corpus.Words.Count + (int)(FastText.Fnv1a(gram) % 97);
            for (int j = 0; j < 4; j++)
            {
                expected[j] += model.InputRows[row * 4 + j] / (double)grams.Count;
            }
        }

        var vector = model.Vector("doggo");
        for (int j = 0; j < 4; j++)
        {
            Assert.Equal(expected[j], vector[j], 1e-6); // float sum of 12 rows against double: a few ulps
        }
    }

    [Fact]
    public void UnseenWord_IsNearTheWordsItSharesNGramsWith()
    {
        var corpus = Word2VecTests.TopicCorpus();
        var model = new FastText(corpus, new FastTextOptions { Dimension = 16, Window = 3, Epochs = 10, Sample = 0, Buckets = 5000 });
        model.Train();
        var vectors = model.ToWordVectors();
        var dogs = model.Vector("dogs");   // not in the corpus; shares <do, dog, <dog with "dog"
        float toDog = WordVectors.Cosine(dogs, vectors["dog"]);
        foreach (string colour in new[] { "red", "blue", "green", "pink" })
        {
            Assert.True(toDog > WordVectors.Cosine(dogs, vectors[colour]), $"dogs·dog {toDog} <= dogs·{colour}");
        }
    }

    [Fact]
    public void Training_IsDeterministic_AndAllocatesNothing()
    {
        var corpus = Word2VecTests.TopicCorpus(60);
        var options = new FastTextOptions { Dimension = 8, Buckets = 1000, Epochs = 2 };
        var a = new FastText(corpus, options);
        var b = new FastText(corpus, options);
        a.Train();
        b.Train();
        Assert.True(a.InputRows.SequenceEqual(b.InputRows));
        int next = 0;
        Assert.Equal(0, Allocations.Measure(() => a.TrainSentence(next++ % corpus.SentenceCount, out _)));
    }

    [Fact]
    public void Options_RejectMaxNBelowMinN()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FastText(Word2VecTests.TopicCorpus(4), new FastTextOptions { MinN = 4, MaxN = 3 }));
        Assert.Contains("MaxN", e.Message, StringComparison.Ordinal);
    }
}
