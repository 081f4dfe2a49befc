using System;
using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Data;

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
            Assert.Equal(pair.Source, DateDataset.Vocabulary.Decode(Sets.Validation.SourceIds(i)));
            Assert.Equal(pair.Target, DateDataset.Vocabulary.Decode(Sets.Validation.TargetIds(i)));
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
    public void Examples_FillTheGeneratedBatch_ForTeacherForcing()
    {
        // The library's loader and teacher-forcing writer, as Translator.Fit uses them, on the first two pairs: rows
        // built here by hand from the pairs' text (source, <s> + target, target + </s>; pad 0, ignored labels -100).
        var writer = RowWriters.TeacherForcing<DateModel.Batch>(bos: 1, eos: 2, DateDataset.TargetLength);
        var loader = new BatchLoader<DateModel.Batch, TokenPair>(Sets.Validation.Examples, writer, new LoaderOptions { BatchSize = 2, Shuffle = false });
        var batch = new DateModel.Batch();

        Assert.Equal(2, loader.Fill(batch, 0));
        for (int row = 0; row < 2; row++)
        {
            DatePair pair = Sets.Validation.Pairs[row];
            int[] source = Ids(pair.Source), target = Ids(pair.Target);
            int[] sourceRow = new int[DateModel.SourceLength];
            source.CopyTo(sourceRow, 0);
            int[] decoderInput = new int[DateModel.TargetLength], labels = new int[DateModel.TargetLength];
            decoderInput[0] = 1;
            target.CopyTo(decoderInput, 1);
            target.CopyTo(labels, 0);
            labels[10] = 2;

            Assert.Equal(sourceRow, batch.Source.AsSpan(row * DateModel.SourceLength, DateModel.SourceLength).ToArray());
            Assert.Equal(pair.Source.Length, batch.SourceLengths[row]);
            Assert.Equal(decoderInput, batch.Target.AsSpan(row * DateModel.TargetLength, DateModel.TargetLength).ToArray());
            Assert.Equal(11, batch.TargetLengths[row]);
            Assert.Equal(labels, batch.Labels.AsSpan(row * DateModel.TargetLength, DateModel.TargetLength).ToArray());
        }
    }

    [Fact]
    public void Examples_AreTheEncodedPairs()
    {
        Assert.Equal(Sets.Train.Count, Sets.Train.Examples.Count);
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(Ids(Sets.Train.Pairs[i].Source), Sets.Train.Examples[i].Source);
            Assert.Equal(Ids(Sets.Train.Pairs[i].Target), Sets.Train.Examples[i].Target);
        }
    }

    // The ids of a text written out from the alphabet: the 7 special tokens, then the sorted characters.
    private static int[] Ids(string text)
    {
        int[] ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            ids[i] = 7 + DateGenerator.Alphabet.IndexOf(text[i], StringComparison.Ordinal);
        }

        return ids;
    }
}
