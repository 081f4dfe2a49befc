using System;
using System.Collections.Generic;
using ModelDsl.Data;
using ModelDsl.Tests.Support;
using ModelDsl.Tokenization;
using ModelDsl.Training;

namespace ModelDsl.Examples.Reverse.Tests;

public class ReverseDataTests
{
    private static readonly (ReverseData Train, ReverseData Validation) Sets = ReverseData.Create(5_000, 500, seed: 4);

    private static CharVocabulary Vocabulary => ReverseData.Vocabulary;

    [Fact]
    public void Vocabulary_ReservesPadBosEos_ThenTheCharactersInOrder()
    {
        // Vocab is a constant (usable in the model declaration); it must match the library vocabulary's size.
        Assert.Equal(ReverseModel.Vocab, Vocabulary.VocabularySize);
        Assert.Equal(ReverseData.Vocab, 3 + ReverseData.Characters.Length);
        Assert.Equal(new SpecialTokens(0, 1, 2, -1, -1, -1, -1), Vocabulary.Special);
        var ids = new int[ReverseData.Characters.Length];
        Vocabulary.Encode(ReverseData.Characters, ids);
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.Equal(3 + i, ids[i]);
        }

        Assert.Equal(ReverseData.Characters, Vocabulary.Decode(ids));
    }

    [Fact]
    public void Vocabulary_UnknownCharacter_IsNamed()
    {
        var error = Assert.Throws<ArgumentException>(() => Vocabulary.Encode("abC", new int[3]));
        Assert.Contains("\"C\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("position 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vocabulary_DecodeStopsAtEos()
    {
        Assert.Equal("0a", Vocabulary.Decode([1, 3, 0, 13, 2, 4]));
    }

    [Fact]
    public void Sequences_AreDigitsAndLetters_OfLength3To12_WithBothEnds()
    {
        var lengths = new HashSet<int>();
        foreach (string source in Sets.Train.Sources)
        {
            Assert.InRange(source.Length, 3, 12);
            lengths.Add(source.Length);
            foreach (char c in source)
            {
                Assert.True(char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c), $"'{c}' in '{source}'");
            }
        }

        Assert.Equal(10, lengths.Count);
    }

    [Fact]
    public void TargetIds_AreTheReversedSource()
    {
        for (int i = 0; i < Sets.Validation.Count; i++)
        {
            string source = Sets.Validation.Sources[i];
            char[] reversed = source.ToCharArray();
            Array.Reverse(reversed);
            Assert.Equal(source, Vocabulary.Decode(Sets.Validation.SourceIds(i)));
            Assert.Equal(new string(reversed), Vocabulary.Decode(Sets.Validation.TargetIds(i)));
            Assert.Equal(new string(reversed), ReverseData.Reverse(source));
        }
    }

    [Fact]
    public void Create_IsDeterministic_AndHoldsOut()
    {
        var again = ReverseData.Create(5_000, 500, seed: 4);
        Assert.Equal(Sets.Train.Sources, again.Train.Sources);
        Assert.Equal(Sets.Validation.Sources, again.Validation.Sources);
        var train = new HashSet<string>(Sets.Train.Sources, StringComparer.Ordinal);
        var validation = new HashSet<string>(StringComparer.Ordinal);
        foreach (string source in Sets.Validation.Sources)
        {
            Assert.DoesNotContain(source, train);
            Assert.True(validation.Add(source));
        }
    }

    [Fact]
    public void Pairs_FillTeacherForcingRows_ThroughTheLibraryLoader()
    {
        var loader = new BatchLoader<ReverseModel.Batch, TokenPair>(Sets.Validation.Pairs(),
            RowWriters.TeacherForcing<ReverseModel.Batch>(Vocabulary.Special.Bos, Vocabulary.Special.Eos, ReverseData.MaxLength), new LoaderOptions { Shuffle = false });
        var batch = new ReverseModel.Batch();
        Assert.Equal(ReverseModel.MaxBatch, loader.Fill(batch, 0));
        for (int row = 0; row < 8; row++)
        {
            string reversed = ReverseData.Reverse(Sets.Validation.Sources[row]);
            ReadOnlySpan<int> decoderInput = batch.Target.AsSpan(row * ReverseModel.TargetLength, batch.TargetLengths[row]);
            ReadOnlySpan<int> labels = ((IBatchRows)batch).LabelsOf(row);
            Assert.Equal(Vocabulary.Special.Bos, decoderInput[0]);
            Assert.Equal(Vocabulary.Special.Eos, labels[^1]);
            Assert.Equal(reversed, Vocabulary.Decode(decoderInput));
            Assert.Equal(reversed, Vocabulary.Decode(labels));
            Assert.Equal(reversed.Length + 1, batch.TargetLengths[row]);
            Assert.Equal(Sets.Validation.Sources[row], Vocabulary.Decode(batch.Source.AsSpan(row * ReverseModel.SourceLength, batch.SourceLengths[row])));
        }
    }

    [Fact]
    public void Filling_AllocatesNothing()
    {
        var loader = new BatchLoader<ReverseModel.Batch, TokenPair>(Sets.Train.Pairs(),
            RowWriters.TeacherForcing<ReverseModel.Batch>(Vocabulary.Special.Bos, Vocabulary.Special.Eos, ReverseData.MaxLength));
        var batch = new ReverseModel.Batch();
        long index = 0;
        Assert.Equal(0, Allocations.Measure(() => loader.Fill(batch, index++)));
    }
}
