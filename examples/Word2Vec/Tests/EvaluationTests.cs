using System;
using System.Collections.Generic;
using ModelDsl.Embeddings;

namespace ModelDsl.Examples.WordEmbeddings.Tests;

public sealed class EvaluationTests
{
    // Hand-built 2-D vectors: a, b, c close together (angles 0°, 10°, 20°), d at 90°, e at 180°.
    private static WordVectors Vectors()
    {
        float[] angles = [0, 10, 20, 90, 180];
        var values = new float[10];
        for (int i = 0; i < 5; i++)
        {
            values[2 * i] = MathF.Cos(angles[i] * MathF.PI / 180);
            values[2 * i + 1] = MathF.Sin(angles[i] * MathF.PI / 180);
        }

        return new WordVectors(["a", "b", "c", "d", "e"], values, 2);
    }

    [Fact]
    public void PrecisionAtK_IsHandComputed()
    {
        var synonyms = new Dictionary<string, HashSet<string>>
        {
            ["a"] = ["c", "e"],     // neighbours of a: b, c -> 1 of 2 are synonyms
            ["d"] = ["c"],          // neighbours of d: c, b -> 1 of 2
            ["e"] = ["zzz"],        // no synonym with a vector: not a query
        };
        var score = Evaluation.PrecisionAtK(Vectors(), synonyms, 2);
        Assert.Equal(2, score.Queries);
        Assert.Equal(0.5, score.Precision, 1e-12);                  // (1/2 + 1/2) / 2
        Assert.Equal((2 / 2.0 + 1 / 2.0) / 2, score.Ceiling, 1e-12); // a has 2 known synonyms, d has 1
    }

    [Fact]
    public void AnalogyAccuracy_CountsTopAnswers()
    {
        // b̂ - â + ĉ points at about 29°; a, b and c are excluded, so the top answer is d (90°), not e (180°):
        // the first question (expecting c) is wrong, the second right, the third has no vector for x and is not asked.
        var questions = new List<AnalogyQuestion> { new("b", "a", "c", "c"), new("b", "a", "c", "d"), new("x", "a", "b", "c") };
        Assert.Equal("d", Vectors().Analogy("b", "a", "c")[0].Word);
        double accuracy = Evaluation.AnalogyAccuracy(Vectors(), questions);
        Assert.Equal(0.5, accuracy, 1e-12);
    }

    [Fact]
    public void RandomVectors_AreSeededAndSized()
    {
        var a = Evaluation.RandomVectors(["x", "y"], 3, 5);
        var b = Evaluation.RandomVectors(["x", "y"], 3, 5);
        Assert.Equal(3, a.Dimension);
        Assert.True(a[1].SequenceEqual(b[1]));
    }
}
