using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelDsl.Decoding;
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
    public void Step_CopiesEveryRowOfTheBatch()
    {
        using var oracle = new OracleTranslator(Iso);
        var batch = new SequenceBatch(4, DateDataset.LongestPossibleSource, DateDataset.TargetLength);
        batch.SetRow(0, [5, 6, 7], [9, 10]);
        batch.SetRow(1, [8], [11, 12, 13]);
        batch.Count = 2;

        Assert.Equal(OracleTranslator.Loss, oracle.Step(batch));

        Assert.Equal(2, oracle.Count);
        Assert.Equal([5, 6, 7], oracle.Sources[0]);
        Assert.Equal([8], oracle.Sources[1]);
        Assert.Equal([CharVocabulary.Bos, 9, 10], oracle.Targets[0]);
        Assert.Equal([CharVocabulary.Bos, 11, 12, 13], oracle.Targets[1]);
        Assert.Equal([9, 10, CharVocabulary.Eos], oracle.Labels[0]);
        Assert.Equal([11, 12, 13, CharVocabulary.Eos], oracle.Labels[1]);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        using var oracle = new OracleTranslator(Iso);
        var empty = new SequenceBatch(4, 4, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => oracle.Step(empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => oracle.Begin(["1.1.50", "2.1.50", "3.1.50", "4.1.50", "5.1.50"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => oracle.Begin(Data, Data.Count - 2, 3));
        Assert.Throws<NotSupportedException>(() => oracle.CrossAttention(0, 0).Length);
    }

    [Theory]
    [InlineData(ModelKind.Transformer)]
    [InlineData(ModelKind.GruBahdanau)]
    [InlineData(ModelKind.GruLuong)]
    [InlineData(ModelKind.GruPlain)]
    public void GeneratedModels_TrainAndDecodeWithoutAllocating(ModelKind kind)
    {
        using Translator translator = Translator.Create(kind, steps: 100, threads: 2, maxWidth: 2);
        var batch = new SequenceBatch(4, DateDataset.LongestPossibleSource, DateDataset.TargetLength);
        var random = new System.Random(5);
        Data.FillRandom(batch, random);
        var greedy = new GreedySearch(translator.MaxBatch, translator.TargetLength, translator.Decoder.Vocabulary);
        var tally = new ExactMatchByLength(10, 20);

        float first = translator.Step(batch);
        Assert.Equal(0, Allocations.Measure(() => translator.Step(batch)));
        Assert.Equal(0, Allocations.Measure(() => translator.ExactMatch(Data, 6, greedy, tally)));

        // 141 steps on the same 4 pairs: the loss must have come down from where it started (memorising 4 pairs
        // is easy for every model; a trainer that is not wired to the batch would not get there).
        float last = translator.Step(batch);
        Assert.True(float.IsFinite(first) && last < first / 2, $"{kind}: loss {first} at the first step, {last} after 141");
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
    public void CrossAttention_IsADistributionOverTheSource_WhenTheModelHasAttention(ModelKind kind, bool attends)
    {
        using Translator translator = Translator.Create(kind, steps: 10, threads: 1, maxWidth: 1);
        string[] sources = ["Monday, November 30, 2026", "30.11.26"];
        translator.Begin(sources);
        var greedy = new GreedySearch(translator.MaxBatch, translator.TargetLength, translator.Decoder.Vocabulary);
        greedy.Run(translator.Decoder, sources.Length, CharVocabulary.Bos, CharVocabulary.Eos, translator.TargetLength);

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

    private static GreedySearch Greedy() => new(OracleTranslator.Rows, DateModel.TargetLength, CharVocabulary.Size);

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
        public const float Loss = 0.25f;
        private readonly OracleDecoder _decoder = new(answer, writesEnd);

        public List<int[]> Sources { get; } = [.. new int[Rows][]];

        public List<int[]> Targets { get; } = [.. new int[Rows][]];

        public List<int[]> Labels { get; } = [.. new int[Rows][]];

        public int Count { get; private set; }

        public override IIncrementalDecoder Decoder => _decoder;

        public override int DecodedSourceLength(int row) => _decoder.SourceLengths[row];

        protected override void SetSource(int row, ReadOnlySpan<int> ids) => Sources[row] = ids.ToArray();

        protected override void SetTarget(int row, ReadOnlySpan<int> ids) => Targets[row] = ids.ToArray();

        protected override void SetLabels(int row, ReadOnlySpan<int> labels) => Labels[row] = labels.ToArray();

        protected override void SetCount(int count) => Count = count;

        protected override float TrainStep() => Loss;

        protected override void BeginDecoder(int width) => _decoder.Begin(Sources.Take(Count).Select(ids => CharVocabulary.Decode(ids)).ToArray());

        protected override ReadOnlySpan<float> DecoderCrossAttention(int row, int step) => throw new InvalidOperationException("not called");

        protected override void Dispose(bool disposing)
        {
        }
    }

    private sealed class OracleDecoder(Func<string, string> answer, bool writesEnd) : IIncrementalDecoder
    {
        private int[][] _answers = [];

        public int[] SourceLengths { get; private set; } = [];

        public int Vocabulary => CharVocabulary.Size;

        public int MaxRows => OracleTranslator.Rows;

        public int MaxSteps => DateModel.TargetLength;

        public void Begin(string[] sources)
        {
            SourceLengths = sources.Select(source => source.Length).ToArray();
            _answers = sources.Select(source =>
            {
                string text = answer(source);
                int[] ids = new int[text.Length];
                CharVocabulary.Encode(text, ids);
                return ids;
            }).ToArray();
        }

        public void Step(ReadOnlySpan<int> tokens, int step, Span<float> logProbabilities)
        {
            logProbabilities[..(tokens.Length * Vocabulary)].Fill(-30f);
            for (int row = 0; row < tokens.Length; row++)
            {
                int[] ids = _answers[row];
                int next = step < ids.Length ? ids[step] : writesEnd ? CharVocabulary.Eos : CharVocabulary.FirstCharacter;
                logProbabilities[(row * Vocabulary) + next] = 0f;
            }
        }

        public void Reorder(ReadOnlySpan<int> sources, int steps)
        {
        }
    }
}
