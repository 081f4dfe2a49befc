using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Decoding;
using ModelDsl.Metrics;
using ModelDsl.Training;
using ModelDsl.Tests.Support;

namespace ModelDsl.Examples.DateTranslator.Tests;

public class TranslatorTests
{
    private static readonly DateDataset Data = DateDataset.Create(300, 300, seed: 11).Validation;

    [Fact]
    public void ExactMatch_CountsEveryPairOfAPerfectTranslatorAsExact()
    {
        using var oracle = new OracleTranslator(Iso);
        var tally = new ExactMatchByLength(10, 15, 20, 25);

        // 299 pairs: batches of MaxBatch (4) and a partial last one.
        oracle.ExactMatch(Data, 299, Greedy(), tally);

        Assert.Equal(299, tally.TotalPairs);
        Assert.Equal(299, tally.TotalCorrect);
    }

    [Fact]
    public void ExactMatch_FilesEachPairUnderItsSourceLength()
    {
        // Right on sources of at most 20 characters, wrong (one digit off) on longer ones.
        using var oracle = new OracleTranslator(source => source.Length <= 20 ? Iso(source) : "1900" + Iso(source)[4..]);
        var tally = new ExactMatchByLength(10, 15, 20, 25);

        oracle.ExactMatch(Data, Data.Count, Greedy(), tally);

        int[] expectedPairs = new int[5];
        foreach (DatePair pair in Data.Pairs)
        {
            expectedPairs[pair.Source.Length <= 10 ? 0 : pair.Source.Length <= 15 ? 1 : pair.Source.Length <= 20 ? 2 : pair.Source.Length <= 25 ? 3 : 4]++;
        }

        Assert.All(expectedPairs, count => Assert.True(count > 0, "every bucket should hold some of the 300 pairs"));
        for (int bucket = 0; bucket < 5; bucket++)
        {
            Assert.Equal(expectedPairs[bucket], tally.Pairs(bucket));
            Assert.Equal(bucket <= 2 ? expectedPairs[bucket] : 0, tally.Correct(bucket));
        }
    }

    [Fact]
    public void ExactMatch_NeedsTheEndTokenAndNothingMore()
    {
        var tally = new ExactMatchByLength(10);
        using (var neverEnds = new OracleTranslator(Iso, writesEnd: false))
        {
            neverEnds.ExactMatch(Data, 40, Greedy(), tally);
        }

        using (var shortByOne = new OracleTranslator(source => Iso(source)[..^1]))
        {
            shortByOne.ExactMatch(Data, 40, Greedy(), tally);
        }

        Assert.Equal(80, tally.TotalPairs);
        Assert.Equal(0, tally.TotalCorrect);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        using var oracle = new OracleTranslator(Iso);
        Assert.Throws<ArgumentOutOfRangeException>(() => oracle.Begin(["1.1.50", "2.1.50", "3.1.50", "4.1.50", "5.1.50"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => oracle.Begin(Data, Data.Count - 2, 3));
        Assert.Throws<NotSupportedException>(() => oracle.CrossAttention(0, 0).Length);
    }

    [Theory]
    [InlineData(ModelKind.Transformer)]
    [InlineData(ModelKind.GruBahdanau)]
    [InlineData(ModelKind.GruLuong)]
    [InlineData(ModelKind.GruPlain)]
    [InlineData(ModelKind.TransformerCopy)]
    public void GeneratedModels_TrainWithFitAndDecodeWithoutAllocating(ModelKind kind)
    {
        using Translator translator = Translator.Create(kind, steps: 100, threads: 2, maxWidth: 2);
        var greedy = new GreedySearch(translator.MaxBatch, translator.TargetLength, translator.Decoder.Vocabulary);
        var tally = new ExactMatchByLength(10, 20);

        // 141 steps of Fit on the same 4 pairs (one batch an epoch), evaluated on them with the teacher-forced metrics:
        // the loss must have come down from where it started (memorising 4 pairs is easy for every model; a loader
        // that is not wired to the model's batch would not get there). A step inside Fit allocates nothing: the
        // library's FitTests.A_step_inside_fit_allocates_nothing.
        TokenPair[] pairs = [.. Data.Examples.Take(4)];
        History history = translator.Fit(pairs, pairs, new FitOptions { Steps = 141, EvaluateEvery = 141, Metrics = [new TokenAccuracy(), new ExactMatch()] }, new LoaderOptions { Seed = 5 });
        float first = history.StepLosses[0], last = history.StepLosses[^1];
        Assert.Equal(141, history.StepCount);
        Assert.True(float.IsFinite(first) && last < first / 2, $"{kind}: loss {first} at the first step, {last} after 141");
        Assert.Equal(141, Assert.Single(history.Evaluations).Step);
        Assert.Equal(0, Allocations.Measure(() => translator.ExactMatch(Data, 6, greedy, tally)));
        Assert.Equal(kind, translator.Kind);
        Assert.Equal(DateModel.SourceLength, translator.SourceLength);
        Assert.Equal(DateModel.TargetLength, translator.TargetLength);
        Assert.Equal(DateModel.Vocab, translator.Decoder.Vocabulary);
        Assert.Equal(64, translator.MaxBatch);
    }

    [Theory]
    [InlineData(ModelKind.Transformer, true)]
    [InlineData(ModelKind.GruBahdanau, true)]
    [InlineData(ModelKind.GruLuong, true)]
    [InlineData(ModelKind.GruPlain, false)]
    [InlineData(ModelKind.TransformerCopy, true)]
    public void CrossAttention_IsADistributionOverTheSource_WhenTheModelHasAttention(ModelKind kind, bool attends)
    {
        using Translator translator = Translator.Create(kind, steps: 10, threads: 1, maxWidth: 1);
        string[] sources = ["Monday, November 30, 2026", "30.11.26"];
        translator.Begin(sources);
        var greedy = new GreedySearch(translator.MaxBatch, translator.TargetLength, translator.Decoder.Vocabulary);
        greedy.Run(translator.Decoder, sources.Length, startToken: 1, endToken: 2, translator.TargetLength);

        Assert.Equal(attends, translator.HasAttention);
        if (!attends)
        {
            Assert.Null(translator.Attention);
            Assert.Throws<NotSupportedException>(() => translator.CrossAttention(0, 0).Length);
            return;
        }

        for (int row = 0; row < sources.Length; row++)
        {
            Assert.Equal(sources[row].Length, translator.DecodedSourceLength(row));
            ReadOnlySpan<float> weights = translator.CrossAttention(row, 0);
            Assert.Equal(sources[row].Length, weights.Length);
            float sum = 0;
            foreach (float weight in weights)
            {
                Assert.True(weight >= 0);
                sum += weight;
            }

            // Softmax weights over at most 25 positions in float32: the sum is 1 to a few ulps of 1.
            Assert.Equal(1f, sum, 1e-4f);
        }
    }

    private static GreedySearch Greedy() => new(OracleTranslator.Rows, DateModel.TargetLength, DateDataset.Vocabulary.VocabularySize);

    private static string Iso(string source) =>
        DateGenerator.TryParse(source, out DateOnly date)
            ? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"'{source}' is not a generated date.");

    /// <summary>
    /// A translator whose "model" is a function of the source text: its decoder writes <c>answer(source)</c> one
    /// character per step, then the end token (unless told not to), and records what training is given.
    /// </summary>
    private sealed class OracleTranslator(Func<string, string> answer, bool writesEnd = true)
        : Translator(ModelKind.Transformer, "oracle", 0, Rows, DateModel.SourceLength, DateModel.TargetLength, attention: null, target: null)
    {
        public const int Rows = 4;
        private readonly OracleDecoder _decoder = new(answer, writesEnd);

        public List<int[]> Sources { get; } = [.. new int[Rows][]];

        public int Count { get; private set; }

        public override IIncrementalDecoder Decoder => _decoder;

        public override int DecodedSourceLength(int row) => _decoder.SourceLengths[row];

        protected override void SetSource(int row, ReadOnlySpan<int> ids) => Sources[row] = ids.ToArray();

        protected override void SetCount(int count) => Count = count;

        public override History Fit(IReadOnlyList<TokenPair> train, IReadOnlyList<TokenPair>? validation, FitOptions options, LoaderOptions loader) =>
            throw new NotSupportedException("The oracle is not trained.");

        protected override void BeginDecoder(int width) => _decoder.Begin(Sources.Take(Count).Select(ids => DateDataset.Vocabulary.Decode(ids)).ToArray());

        protected override ReadOnlySpan<float> DecoderCrossAttention(int row, int step) => throw new InvalidOperationException("not called");

        protected override void Dispose(bool disposing)
        {
        }
    }

    private sealed class OracleDecoder(Func<string, string> answer, bool writesEnd) : IIncrementalDecoder
    {
        private int[][] _answers = [];

        public int[] SourceLengths { get; private set; } = [];

        public int Vocabulary => DateDataset.Vocabulary.VocabularySize;

        public int MaxRows => OracleTranslator.Rows;

        public int MaxSteps => DateModel.TargetLength;

        public void Begin(string[] sources)
        {
            SourceLengths = sources.Select(source => source.Length).ToArray();
            _answers = sources.Select(source =>
            {
                string text = answer(source);
                return DateDataset.Encode(text);
            }).ToArray();
        }

        public void Step(ReadOnlySpan<int> tokens, int step, Span<float> logProbabilities)
        {
            logProbabilities[..(tokens.Length * Vocabulary)].Fill(-30f);
            for (int row = 0; row < tokens.Length; row++)
            {
                int[] ids = _answers[row];
                int next = step < ids.Length ? ids[step] : writesEnd ? DateDataset.Vocabulary.Special.Eos : DateDataset.Encode("0")[0];
                logProbabilities[(row * Vocabulary) + next] = 0f;
            }
        }

        public void Reorder(ReadOnlySpan<int> sources, int steps)
        {
        }
    }
}
