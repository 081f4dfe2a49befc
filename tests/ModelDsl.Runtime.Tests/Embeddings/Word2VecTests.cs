using System;
using System.Collections.Generic;
using ModelDsl.Embeddings;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Embeddings;

public sealed class Word2VecTests
{
    /// <summary>
    /// Two topics of four interchangeable words each; a sentence mixes words of one topic with shared filler words, so a
    /// word's neighbours should be the other words of its topic.
    /// </summary>
    internal static EmbeddingCorpus TopicCorpus(int sentences = 600)
    {
        string[][] topics = [["cat", "dog", "cow", "pig"], ["red", "blue", "green", "pink"]];
        string[] filler = ["the", "a", "is", "and"];
        var list = new List<IReadOnlyList<string>>();
        var random = new Random(5);
        for (int s = 0; s < sentences; s++)
        {
            var topic = topics[s % 2];
            var sentence = new List<string>();
            for (int i = 0; i < 8; i++)
            {
                sentence.Add(i % 2 == 0 ? topic[random.Next(4)] : filler[random.Next(4)]);
            }

            list.Add(sentence);
        }

        return EmbeddingCorpus.Build(list, minCount: 1);
    }

    [Fact]
    public void Corpus_SortsByCountThenOrdinal_DropsRareWords_SplitsLongSentences()
    {
        var corpus = EmbeddingCorpus.Build([["b", "a", "c", "a", "rare"], ["c", "b", "a", "b"]], minCount: 2, maxSentenceLength: 3);
        Assert.Equal(["a", "b", "c"], corpus.Words);   // a 3, b 3 (tie: ordinal), c 2; "rare" dropped
        Assert.Equal([3L, 3, 2], corpus.Counts.ToArray());
        Assert.Equal(4, corpus.SentenceCount);          // [b a c] [a] [c b a] [b]
        Assert.Equal([1, 0, 2], corpus.Sentence(0).ToArray());
        Assert.Equal([0], corpus.Sentence(1).ToArray());
        Assert.Equal([1], corpus.Sentence(3).ToArray());
    }

    [Theory]
    [InlineData(Word2VecArchitecture.SkipGram)]
    [InlineData(Word2VecArchitecture.Cbow)]
    public void Training_GroupsTopicWords(Word2VecArchitecture architecture)
    {
        var corpus = TopicCorpus();
        var model = new Word2Vec(corpus, new Word2VecOptions { Architecture = architecture, Dimension = 16, Window = 3, Epochs = 10, Sample = 0 });
        double first = model.TrainEpoch();
        double last = 0;
        for (int e = 1; e < 10; e++)
        {
            last = model.TrainEpoch();
        }

        Assert.True(last < first, $"loss {first} -> {last}");
        var vectors = model.ToWordVectors();
        foreach (string word in new[] { "cat", "pig", "red", "pink" })
        {
            var topic = Array.IndexOf(new[] { "cat", "dog", "cow", "pig" }, word) >= 0 ? new[] { "cat", "dog", "cow", "pig" } : new[] { "red", "blue", "green", "pink" };
            foreach (var n in vectors.Nearest(word, 3))
            {
                Assert.Contains(n.Word, topic);
            }
        }
    }

    [Fact]
    public void Training_IsDeterministic()
    {
        var corpus = TopicCorpus(50);
        var options = new Word2VecOptions { Dimension = 8, Epochs = 2, Seed = 9, Sample = 1e-2 };
        var a = new Word2Vec(corpus, options);
        var b = new Word2Vec(corpus, options);
        a.Train();
        b.Train();
        Assert.True(a.InputVectors.SequenceEqual(b.InputVectors));
        Assert.True(a.OutputVectors.SequenceEqual(b.OutputVectors));
        var c = new Word2Vec(corpus, options with { Seed = 10 });
        c.Train();
        Assert.False(a.InputVectors.SequenceEqual(c.InputVectors));
    }

    [Fact]
    public void LearningRate_DecaysLinearlyToOneTenThousandth()
    {
        var corpus = TopicCorpus(10);   // 80 tokens
        var model = new Word2Vec(corpus, new Word2VecOptions { Dimension = 4, Epochs = 2, LearningRate = 0.1f });
        Assert.Equal(0.1f, model.LearningRate);
        model.TrainEpoch();
        // 80 of 160 tokens seen: 0.1 · (1 - 80/161).
        Assert.Equal(0.1 * (1 - 80.0 / 161), model.LearningRate, 1e-7);
        model.TrainEpoch();
        Assert.Equal(0.1 * (1 - 160.0 / 161), model.LearningRate, 1e-7);
        model.TrainEpoch();   // past the planned end: clipped at lr₀·1e-4
        Assert.Equal(0.1 * 1e-4, model.LearningRate, 1e-9);
    }

    [Theory]
    [InlineData(Word2VecArchitecture.SkipGram)]
    [InlineData(Word2VecArchitecture.Cbow)]
    public void TrainSentence_AllocatesNothing(Word2VecArchitecture architecture)
    {
        var corpus = TopicCorpus(100);
        var model = new Word2Vec(corpus, new Word2VecOptions { Architecture = architecture, Dimension = 32, Sample = 1e-2 });
        int next = 0;
        long bytes = Allocations.Measure(() => model.TrainSentence(next++ % corpus.SentenceCount, out _));
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void SavedVectors_LoadBack()
    {
        var model = new Word2Vec(TopicCorpus(20), new Word2VecOptions { Dimension = 4, Epochs = 1 });
        model.Train();
        var vectors = model.ToWordVectors();
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"w2v-{Guid.NewGuid():N}.txt");
        try
        {
            vectors.SaveText(path);
            var back = WordVectors.LoadText(path);
            Assert.True(model.InputVectors.SequenceEqual(AllRows(back)));
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    private static float[] AllRows(WordVectors vectors)
    {
        var all = new float[vectors.Count * vectors.Dimension];
        for (int i = 0; i < vectors.Count; i++)
        {
            vectors[i].CopyTo(all.AsSpan(i * vectors.Dimension));
        }

        return all;
    }
}
