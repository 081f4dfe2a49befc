using System;
using ModelDsl.Embeddings;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Embeddings;

public sealed class GloVeTests
{
    [Fact]
    public void Cooccurrences_WeighByInverseDistance_Symmetrically()
    {
        // a b c a with window 2 (ids: a 0, b 1, c 2). Pairs: a-b at 1, a-c at 2, b-c at 1, b-a at 2, c-a at 1; a-a at 3 is too far.
        var corpus = EmbeddingCorpus.Build([["a", "b", "c", "a"]], minCount: 1);
        var x = Cooccurrences.Count(corpus, 2);
        Assert.Equal([0, 0, 1, 1, 2, 2], x.Rows.ToArray());
        Assert.Equal([1, 2, 0, 2, 0, 1], x.Columns.ToArray());
        // X_ab = 1 + 1/2, X_ac = 1/2 + 1, X_bc = 1: sums of 1 and 1/2 are exact in double.
        Assert.Equal([1.5, 1.5, 1.5, 1.0, 1.5, 1.0], x.Values.ToArray());
    }

    [Theory]
    [InlineData(50, 100, 0.75, 0.59460355750136051)] // 0.5^0.75
    [InlineData(100, 100, 0.75, 1.0)]
    [InlineData(250, 100, 0.75, 1.0)]
    [InlineData(1, 100, 0.75, 0.031622776601683794)] // 0.01^0.75 = 10^-1.5
    public void Weight_IsThePapers(double x, double xMax, double alpha, double expected) =>
        Assert.Equal(expected, GloVeLoss.Weight(x, xMax, alpha), 1e-15); // one pow in double: an ulp or two

    [Theory]
    [InlineData(1, 3.0)]
    [InlineData(8, 57.0)]
    [InlineData(17, 400.0)]
    public void ReferenceBackward_MatchesCentralDifferences(int dimension, double count)
    {
        double[] w = TestData.UniformDouble(dimension, 1), c = TestData.UniformDouble(dimension, 2), biases = [0.3, -0.2];
        var dw = new double[dimension];
        var dc = new double[dimension];
        const double dLoss = 1.3;
        double db = GloVeLossReference.Backward<double>(dw, dc, dLoss, w, c, biases[0], biases[1], count, 100, 0.75);
        double Loss() => dLoss * GloVeLossReference.Forward<double>(w, c, biases[0], biases[1], count, 100.0, 0.75);
        // Float64 central differences: GradientCheck's default tolerance (its remarks give the error budget).
        GradientCheck.Check("word", w, dw, Loss);
        GradientCheck.Check("context", c, dc, Loss);
        GradientCheck.Check("biases", biases, [db, db], Loss);
    }

    [Fact]
    public void Kernel_MatchesReference()
    {
        const int d = 50;
        float[] w = TestData.Uniform(d, 3), c = TestData.Uniform(d, 4);
        double expected = GloVeLossReference.Forward<double>(TestData.ToDouble(w), TestData.ToDouble(c), 0.1, 0.2, 30.0, 100.0, 0.75);
        // Float32 dot of 50 terms and a float log: ~1e-6 relative on the difference, 2e-6 on its square.
        Assert.Equal(expected, GloVeLoss.Forward(w, c, 0.1f, 0.2f, 30, 100, 0.75), 1e-5 * Math.Max(1, expected));
        var dw = new double[d];
        var dc = new double[d];
        double db = GloVeLossReference.Backward<double>(dw, dc, 1.0, TestData.ToDouble(w), TestData.ToDouble(c), 0.1, 0.2, 30.0, 100.0, 0.75);
        var fw = new float[d];
        var fc = new float[d];
        float fb = GloVeLoss.Backward(fw, fc, 1f, w, c, 0.1f, 0.2f, 30, 100, 0.75);
        Assert.Equal(db, fb, 1e-5 * Math.Max(1, Math.Abs(db)));     // as above
        Compare.Close(TestData.ToSingle(dw), fw, 1e-5, 1e-6, "dWord");
        Compare.Close(TestData.ToSingle(dc), fc, 1e-5, 1e-6, "dContext");
    }

    [Fact]
    public void Training_LowersTheLoss_AndGroupsTopicWords()
    {
        var corpus = SeparateTopics();
        var glove = new GloVe(Cooccurrences.Count(corpus, 3), corpus.Words, new GloVeOptions { Dimension = 16, Epochs = 50 });
        double first = glove.TrainEpoch();
        double last = glove.Train();
        Assert.True(last < first / 2, $"loss {first} -> {last}");
        // Animals and colours never share a sentence nor a context word: every animal must be closer to "cow" than every
        // colour is (the cosines of GloVe vectors all run high, from the component that fits the large log counts).
        var vectors = glove.ToWordVectors();
        float farthestAnimal = float.MaxValue, nearestColour = float.MinValue;
        foreach (string animal in new[] { "cat", "dog", "pig" })
        {
            farthestAnimal = Math.Min(farthestAnimal, vectors.Similarity("cow", animal));
        }

        foreach (string colour in new[] { "red", "blue", "green", "pink" })
        {
            nearestColour = Math.Max(nearestColour, vectors.Similarity("cow", colour));
        }

        Assert.True(farthestAnimal > nearestColour, $"farthest animal {farthestAnimal}, nearest colour {nearestColour}");
    }

    /// <summary>Two topics, each with its own four names and four context words; nothing shared between them.</summary>
    private static EmbeddingCorpus SeparateTopics()
    {
        string[][] topics = [["cat", "dog", "cow", "pig", "farm", "barn", "hay", "field"], ["red", "blue", "green", "pink", "paint", "dye", "ink", "hue"]];
        var random = new Random(6);
        var sentences = new System.Collections.Generic.List<System.Collections.Generic.IReadOnlyList<string>>();
        for (int s = 0; s < 600; s++)
        {
            var sentence = new string[8];
            for (int i = 0; i < 8; i++)
            {
                sentence[i] = topics[s % 2][random.Next(8)];
            }

            sentences.Add(sentence);
        }

        return EmbeddingCorpus.Build(sentences, minCount: 1);
    }

    [Fact]
    public void Training_IsDeterministic_AndEpochsAllocateNothing()
    {
        var corpus = Word2VecTests.TopicCorpus(40);
        var x = Cooccurrences.Count(corpus, 2);
        var a = new GloVe(x, corpus.Words, new GloVeOptions { Dimension = 8, Epochs = 3 });
        var b = new GloVe(x, corpus.Words, new GloVeOptions { Dimension = 8, Epochs = 3 });
        a.Train();
        b.Train();
        Assert.True(a.WordVectors.SequenceEqual(b.WordVectors));
        Assert.True(a.ContextVectors.SequenceEqual(b.ContextVectors));
        Assert.Equal(0, Allocations.Measure(() => a.TrainEpoch(), repeats: 2, windows: 5));
    }

    [Fact]
    public void Constructor_RejectsMismatchedWords()
    {
        var corpus = Word2VecTests.TopicCorpus(4);
        var e = Assert.Throws<ArgumentException>(() => new GloVe(Cooccurrences.Count(corpus, 2), ["a"]));
        Assert.Contains("1 words", e.Message, StringComparison.Ordinal);
    }
}
