using System;
using ModelDsl.Decoding;

namespace ModelDsl.Tests.Decoding;

public sealed class SearchArgumentTests
{
    private const int Vocabulary = 5, MaxBatch = 4, MaxWidth = 3, MaxSteps = 6;

    private static PrefixDecoder Decoder(int vocabulary = Vocabulary, int maxRows = MaxBatch * MaxWidth, int maxSteps = MaxSteps) =>
        new(new HashModel(vocabulary, 1, 1), maxRows, maxSteps);

    private static void Throws<TException>(Action action, string parameter, params string[] fragments)
        where TException : ArgumentException
    {
        TException e = Assert.Throws<TException>(action);
        Assert.Equal(parameter, e.ParamName);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Constructors_RejectNonPositiveCapacities()
    {
        Throws<ArgumentOutOfRangeException>(() => new GreedySearch(0, MaxSteps, Vocabulary), "maxBatch", "must be positive; got 0");
        Throws<ArgumentOutOfRangeException>(() => new BeamSearch(MaxBatch, 0, MaxSteps, Vocabulary), "maxWidth", "got 0");
        Throws<ArgumentOutOfRangeException>(() => new Sampler(MaxBatch, -1, Vocabulary), "maxSteps", "got -1");
        Throws<ArgumentOutOfRangeException>(() => new BeamSearch(MaxBatch, MaxWidth, MaxSteps, 0), "vocabulary", "got 0");
        Throws<ArgumentException>(() => new BeamSearch(1 << 16, 1 << 8, 8, 1 << 10), "maxBatch", "exceeds the largest array");
    }

    [Fact]
    public void Batch_WidthAndSteps_AreCheckedAgainstTheirLimits()
    {
        var greedy = new GreedySearch(MaxBatch, MaxSteps, Vocabulary);
        var beam = new BeamSearch(MaxBatch, MaxWidth, MaxSteps, Vocabulary);
        var sampler = new Sampler(MaxBatch, MaxSteps, Vocabulary);
        PrefixDecoder decoder = Decoder();

        Throws<ArgumentOutOfRangeException>(() => greedy.Run(decoder, 5, 0, 1, 3), "batch", "[1, 4]", "maxBatch", "got 5");
        Throws<ArgumentOutOfRangeException>(() => beam.Run(decoder, 0, 1, 0, 1, 3), "batch", "[1, 4]", "got 0");
        Throws<ArgumentOutOfRangeException>(() => sampler.Run(decoder, 5, 0, 1, 3, 1f, 0, 1), "batch", "[1, 4]", "got 5");
        Throws<ArgumentOutOfRangeException>(() => beam.Run(decoder, 1, 4, 0, 1, 3), "width", "[1, 3]", "maxWidth", "got 4");
        Throws<ArgumentOutOfRangeException>(() => beam.Run(decoder, 1, 0, 0, 1, 3), "width", "got 0");
        Throws<ArgumentOutOfRangeException>(() => greedy.Run(decoder, 1, 0, 1, 7), "maxSteps", "[1, 6]", "got 7");
        Throws<ArgumentOutOfRangeException>(() => beam.Run(decoder, 1, 1, 0, 1, 0), "maxSteps", "[1, 6]", "got 0");
        Throws<ArgumentOutOfRangeException>(() => sampler.Run(decoder, 1, 0, 1, 7, 1f, 0, 1), "maxSteps", "[1, 6]", "got 7");
    }

    [Fact]
    public void Tokens_MustBeInTheVocabulary()
    {
        var greedy = new GreedySearch(MaxBatch, MaxSteps, Vocabulary);
        var beam = new BeamSearch(MaxBatch, MaxWidth, MaxSteps, Vocabulary);
        var sampler = new Sampler(MaxBatch, MaxSteps, Vocabulary);
        PrefixDecoder decoder = Decoder();

        Throws<ArgumentOutOfRangeException>(() => greedy.Run(decoder, 1, 5, 1, 3), "startToken", "[0, 5)", "got 5");
        Throws<ArgumentOutOfRangeException>(() => beam.Run(decoder, 1, 1, 0, -1, 3), "endToken", "[0, 5)", "got -1");
        Throws<ArgumentOutOfRangeException>(() => sampler.Run(decoder, 1, -2, 1, 3, 1f, 0, 1), "startToken", "[0, 5)", "got -2");
    }

    [Fact]
    public void TheDecoder_MustMatchTheVocabulary_AndHaveRoom()
    {
        var greedy = new GreedySearch(MaxBatch, MaxSteps, Vocabulary);
        var beam = new BeamSearch(MaxBatch, MaxWidth, MaxSteps, Vocabulary);
        var sampler = new Sampler(MaxBatch, MaxSteps, Vocabulary);

        Throws<ArgumentException>(() => greedy.Run(Decoder(vocabulary: 6), 1, 0, 1, 3), "decoder", "decoder.Vocabulary (6)", "(5)");
        Throws<ArgumentException>(() => sampler.Run(Decoder(vocabulary: 4), 1, 0, 1, 3, 1f, 0, 1), "decoder", "decoder.Vocabulary (4)");
        Throws<ArgumentException>(() => beam.Run(Decoder(maxRows: 5), 2, 3, 0, 1, 3), "decoder", "decoder.MaxRows (5)", "2 × 3 = 6");
        Throws<ArgumentException>(() => greedy.Run(Decoder(maxRows: 2), 3, 0, 1, 3), "decoder", "decoder.MaxRows (2)", "3 × 1 = 3");
        Throws<ArgumentException>(() => beam.Run(Decoder(maxSteps: 3), 1, 1, 0, 1, 4), "decoder", "decoder.MaxSteps (3)", "maxSteps (4)");
        Throws<ArgumentNullException>(() => greedy.Run((PrefixDecoder)null!, 1, 0, 1, 3), "decoder");
        Throws<ArgumentNullException>(() => beam.Run((PrefixDecoder)null!, 1, 1, 0, 1, 3), "decoder");
        Throws<ArgumentNullException>(() => sampler.Run((PrefixDecoder)null!, 1, 0, 1, 3, 1f, 0, 1), "decoder");
    }

    [Fact]
    public void Temperature_TopK_AndLengthPenalty_AreChecked()
    {
        var beam = new BeamSearch(MaxBatch, MaxWidth, MaxSteps, Vocabulary);
        var sampler = new Sampler(MaxBatch, MaxSteps, Vocabulary);
        PrefixDecoder decoder = Decoder();

        foreach (float temperature in new[] { 0f, -1f, float.NaN, float.PositiveInfinity })
        {
            Throws<ArgumentOutOfRangeException>(() => sampler.Run(decoder, 1, 0, 1, 3, temperature, 0, 1), "temperature",
                "finite and greater than 0");
        }

        Throws<ArgumentOutOfRangeException>(() => sampler.Run(decoder, 1, 0, 1, 3, 1f, 6, 1), "topK", "[0, 5]", "got 6");
        Throws<ArgumentOutOfRangeException>(() => sampler.Run(decoder, 1, 0, 1, 3, 1f, -1, 1), "topK", "[0, 5]", "got -1");
        foreach (float penalty in new[] { -0.5f, float.NaN, float.PositiveInfinity })
        {
            Throws<ArgumentOutOfRangeException>(() => beam.Run(decoder, 1, 1, 0, 1, 3, penalty), "lengthPenalty", "finite and at least 0");
        }
    }

    [Fact]
    public void Results_AreReadOnlyForSourcesAndStepsOfTheLastRun()
    {
        var beam = new BeamSearch(MaxBatch, MaxWidth, MaxSteps, Vocabulary);
        var greedy = new GreedySearch(MaxBatch, MaxSteps, Vocabulary);
        Throws<ArgumentOutOfRangeException>(() => beam.Tokens(0), "b", "[0, 0)");
        PrefixDecoder decoder = Decoder();
        decoder.Prepare(2, 2);
        beam.Run(decoder, 2, 2, 0, 1, 4);
        decoder.Prepare(2, 1);
        greedy.Run(decoder, 2, 0, 1, 4);
        Throws<ArgumentOutOfRangeException>(() => beam.Score(2), "b", "[0, 2)", "got 2");
        Throws<ArgumentOutOfRangeException>(() => greedy.Tokens(2), "b", "[0, 2)");
        int pathLength = beam.Rows(0).Length;
        Throws<ArgumentOutOfRangeException>(() => beam.RowAt(0, pathLength), "step", $"[0, {pathLength})");
    }
}
