using System;
using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Tests.Support;

namespace ModelDsl.Examples.DateTranslator.Tests;

public class DateDatasetTests
{
    private static readonly (DateDataset Train, DateDataset Validation) Sets = DateDataset.Create(5_000, 1_000, seed: 7);

    [Fact]
    public void Create_SameSeed_SamePairs()
    {
        var again = DateDataset.Create(5_000, 1_000, seed: 7);
        Assert.Equal(Sets.Train.Pairs, again.Train.Pairs);
        Assert.Equal(Sets.Validation.Pairs, again.Validation.Pairs);
    }

    [Fact]
    public void Validation_SharesNoSourceWithTraining_AndHasNoRepeats()
    {
        var train = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pair in Sets.Train.Pairs)
        {
            train.Add(pair.Source);
        }

        var validation = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pair in Sets.Validation.Pairs)
        {
            Assert.DoesNotContain(pair.Source, train);
            Assert.True(validation.Add(pair.Source), $"'{pair.Source}' appears twice in the validation set.");
        }

        Assert.Equal(1_000, Sets.Validation.Count);
    }

    [Fact]
    public void StoredIds_DecodeToThePairs()
    {
        for (int i = 0; i < Sets.Validation.Count; i++)
        {
            DatePair pair = Sets.Validation.Pairs[i];
            Assert.Equal(pair.Source, CharVocabulary.Decode(Sets.Validation.SourceIds(i)));
            Assert.Equal(pair.Target, CharVocabulary.Decode(Sets.Validation.TargetIds(i)));
            Assert.Equal(pair.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), pair.Target);
        }
    }

    [Fact]
    public void Statistics_MatchThePairs()
    {
        int longest = 0;
        double total = 0;
        foreach (var pair in Sets.Train.Pairs)
        {
            longest = Math.Max(longest, pair.Source.Length);
            total += pair.Source.Length;
        }

        Assert.Equal(longest, Sets.Train.LongestSource);
        Assert.Equal(total / Sets.Train.Count, Sets.Train.MeanSourceLength, 12);
    }

    [Fact]
    public void LongestPossibleSource_IsTheMaximumOverEveryDateAndFormat()
    {
        // Brute force over the whole 1950-2049 range checks the 28-year-cycle shortcut.
        int longest = 0;
        for (var date = new DateOnly(1950, 1, 1); date <= new DateOnly(2049, 12, 31); date = date.AddDays(1))
        {
            foreach (string format in DateGenerator.Formats)
            {
                longest = Math.Max(longest, date.ToString(format, CultureInfo.InvariantCulture).Length);
            }
        }

        Assert.Equal(longest, DateDataset.LongestPossibleSource);
        Assert.Equal("Wednesday, September 27, 2023".Length, DateDataset.LongestPossibleSource);
    }

    [Fact]
    public void FillBatch_OnePass_VisitsEveryPairOnce_LastBatchPartial()
    {
        var (train, _) = DateDataset.Create(100, 10, seed: 3);
        var batch = new SequenceBatch(32, DateDataset.LongestPossibleSource, DateDataset.TargetLength);
        train.Shuffle(new System.Random(5));
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        int rows = 0;
        Assert.Equal(4, train.BatchCount(32));
        for (int b = 0; b < 4; b++)
        {
            int count = train.FillBatch(batch, b);
            Assert.Equal(b < 3 ? 32 : 4, count);
            Assert.Equal(count, batch.Count);
            for (int row = 0; row < count; row++)
            {
                string source = CharVocabulary.Decode(batch.SourceRow(row));
                seen[source] = seen.GetValueOrDefault(source) + 1;
                rows++;
            }
        }

        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pair in train.Pairs)
        {
            expected[pair.Source] = expected.GetValueOrDefault(pair.Source) + 1;
        }

        Assert.Equal(100, rows);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public void FillRandom_RowsAreConsistentPairs()
    {
        var batch = new SequenceBatch(16, DateDataset.LongestPossibleSource, DateDataset.TargetLength);
        Sets.Train.FillRandom(batch, new System.Random(1));
        Assert.Equal(16, batch.Count);
        for (int row = 0; row < 16; row++)
        {
            string source = CharVocabulary.Decode(batch.SourceRow(row));
            DatePair pair = Sets.Train.Pairs[IndexOf(Sets.Train, source)];
            Assert.Equal(pair.Target, CharVocabulary.Decode(batch.LabelRow(row)));
            Assert.Equal(pair.Target, CharVocabulary.Decode(batch.DecoderInputRow(row)));
        }
    }

    [Fact]
    public void Filling_AllocatesNothing()
    {
        var batch = new SequenceBatch(32, DateDataset.LongestPossibleSource, DateDataset.TargetLength);
        var random = new System.Random(1);
        Assert.Equal(0, Allocations.Measure(() => Sets.Train.FillRandom(batch, random)));
        Assert.Equal(0, Allocations.Measure(() => Sets.Train.FillBatch(batch, 3)));
    }

    [Fact]
    public void Fill_BatchTooNarrow_Throws()
    {
        var narrow = new SequenceBatch(4, Sets.Train.LongestSource - 1, DateDataset.TargetLength);
        var error = Assert.Throws<ArgumentException>(() => Sets.Train.FillBatch(narrow, 0));
        Assert.Equal("batch", error.ParamName);
    }

    private static int IndexOf(DateDataset set, string source)
    {
        for (int i = 0; i < set.Count; i++)
        {
            if (set.Pairs[i].Source == source)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"'{source}' is not in the set.");
    }
}
