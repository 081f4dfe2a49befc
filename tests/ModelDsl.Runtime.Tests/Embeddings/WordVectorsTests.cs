using System;
using System.IO;
using ModelDsl.Embeddings;

namespace ModelDsl.Tests.Embeddings;

public sealed class WordVectorsTests
{
    // Hand-built: king/queen/man/woman as royalty ± gender in 3-D, plus two unrelated words.
    private static WordVectors Royalty() => new(
        ["king", "queen", "man", "woman", "apple", "zero"],
        [
            1, 1, 0,     // king  = royal + male
            1, -1, 0,    // queen = royal + female
            0, 1, 0.1f,  // man
            0, -1, 0.1f, // woman
            0, 0, 1,     // apple
            0, 0, 0,     // zero vector
        ],
        3);

    [Fact]
    public void Cosine_IsHandComputed()
    {
        var v = Royalty();
        Assert.Equal(0f, v.Similarity("king", "queen"), 1e-7f);             // (1 - 1) / 2
        Assert.Equal(1 / MathF.Sqrt(2 * 1.01f), v.Similarity("king", "man"), 1e-6f); // 1 / (√2 · √1.01)
        Assert.Equal(0f, v.Similarity("king", "zero"));                    // zero vector: 0 by definition
    }

    [Fact]
    public void Nearest_ExcludesQueryAndRanksByCosine()
    {
        var v = Royalty();
        var nearest = v.Nearest("man", 3);
        Assert.Equal(["king", "apple", "zero"], Array.ConvertAll(nearest, n => n.Word));
        // man·apple = 0.1/√1.01 > 0 = man·zero > man·queen = -1/(√2·√1.01).
        Assert.Equal(0.1f / MathF.Sqrt(1.01f), nearest[1].Similarity, 1e-6f);
    }

    [Fact]
    public void Analogy_KingMinusManPlusWoman_IsQueen()
    {
        var v = Royalty();
        var best = v.Analogy("king", "man", "woman", 2);
        Assert.Equal("queen", best[0].Word);
        Assert.DoesNotContain(best, n => n.Word is "king" or "man" or "woman");
    }

    [Fact]
    public void Constructor_RejectsRepeatedOrSpacedWords()
    {
        Assert.Contains("repeats", Assert.Throws<ArgumentException>(() => new WordVectors(["a", "a"], new float[2], 1)).Message,
            StringComparison.Ordinal);
        Assert.Contains("whitespace", Assert.Throws<ArgumentException>(() => new WordVectors(["a b"], new float[1], 1)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void SaveText_LoadText_RoundTripsBitForBit()
    {
        var v = Royalty();
        string path = TempPath();
        try
        {
            v.SaveText(path);
            Assert.StartsWith("6 3\nking 1 1 0\n", File.ReadAllText(path), StringComparison.Ordinal);
            var back = WordVectors.LoadText(path);
            Assert.Equal(v.Words, back.Words);
            for (int i = 0; i < v.Count; i++)
            {
                Assert.True(v[i].SequenceEqual(back[i]));
            }

            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".*"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("", "line 1")]
    [InlineData("2\na 1\n", "line 1")]
    [InlineData("x 2\n", "line 1")]
    [InlineData("99999999 300\na 1 2\n", "more than the file's")]
    [InlineData("2 2\na 1 2\nb 1\n", "line 3: not a word2vec text file: expected a word and 2 values")]
    [InlineData("2 2\na 1 2\na 3 4\n", "'a' repeats line 2")]
    [InlineData("2 2\na 1 2\nb 1 nan\n", "value 1 of 'b'")]
    [InlineData("2 2\na 1 2\nb 1 1e39\n", "value 1 of 'b'")]
    [InlineData("3 2\na 1.5 2.5\nb 1.5 2.5\n", "ends after 2 of the 3")]
    [InlineData("1 2\na 1 2\nb 1 2\n", "more lines")]
    public void LoadText_RejectsMalformedFiles(string text, string expected)
    {
        string path = TempPath();
        try
        {
            File.WriteAllText(path, text);
            var e = Assert.Throws<InvalidDataException>(() => WordVectors.LoadText(path));
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadText_AcceptsWord2VecCTrailingSpaces()
    {
        string path = TempPath();
        try
        {
            File.WriteAllText(path, "2 2\na 1 2 \nb -0.5 3e-2 \n");
            var v = WordVectors.LoadText(path);
            Assert.Equal([-0.5f, 0.03f], v["b"].ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"vectors-{Guid.NewGuid():N}.txt");
}
