using System;
using System.Linq;
using ModelDsl.Tokenization;

namespace ModelDsl.Examples.DateTranslator.Tests;

/// <summary>The date task's ids from the library's <see cref="CharVocabulary"/> (<see cref="DateDataset.Vocabulary"/>).</summary>
public class DateVocabularyTests
{
    private static CharVocabulary Vocabulary => DateDataset.Vocabulary;

    [Fact]
    public void Ids_SevenSpecialTokensFirst_ThenTheAlphabetInOrder()
    {
        Assert.Equal(["<pad>", "<s>", "</s>", "<unk>", "<mask>", "<cls>", "<sep>"], Vocabulary.Tokens.Take(7));
        Assert.Equal((0, 1, 2), (Vocabulary.Special.Pad, Vocabulary.Special.Bos, Vocabulary.Special.Eos));
        Assert.Equal(7 + DateGenerator.Alphabet.Length, Vocabulary.VocabularySize);
        int[] ids = DateDataset.Encode(DateGenerator.Alphabet);
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.Equal(7 + i, ids[i]);
        }
    }

    [Fact]
    public void EveryModelHasRoomForTheVocabulary()
    {
        Assert.True(Vocabulary.VocabularySize <= DateModel.Vocab, $"{Vocabulary.VocabularySize} ids, DateModel.Vocab {DateModel.Vocab}");
        Assert.Equal(DateModel.Vocab, GruBahdanauModel.Vocab);
        Assert.Equal(DateModel.Vocab, GruLuongModel.Vocab);
        Assert.Equal(DateModel.Vocab, GruPlainModel.Vocab);
    }

    [Fact]
    public void Alphabet_CoversTargetsAndTheLongestSource()
    {
        // The target alphabet is part of the shared vocabulary.
        Assert.Equal(11, DateDataset.Encode("0123456789-").Length);
        Assert.Equal(29, DateDataset.Encode("Wednesday, September 27, 2023").Length);
    }

    [Theory]
    [InlineData("Wednesday, September 27, 2023")]
    [InlineData("1/1/1950")]
    [InlineData("2049-12-31")]
    public void EncodeThenDecode_GivesTheText(string text)
    {
        int[] ids = DateDataset.Encode(text);
        Assert.DoesNotContain(Vocabulary.Special.Unknown, ids);
        Assert.Equal(text, Vocabulary.Decode(ids));
    }

    [Fact]
    public void Encode_UnknownCharacter_NamesItAndItsPosition()
    {
        // The library would write <unk>; a date the generator cannot write is a bug, so the example refuses it.
        var error = Assert.Throws<ArgumentException>(() => DateDataset.Encode("2023年1月"));
        Assert.Contains("'年'", error.Message, StringComparison.Ordinal);
        Assert.Contains("position 4", error.Message, StringComparison.Ordinal);
        Assert.Equal("text", error.ParamName);
    }

    [Fact]
    public void Decode_StopsAtEos_AndSkipsPadAndBos()
    {
        int one = 7 + DateGenerator.Alphabet.IndexOf('1', StringComparison.Ordinal);
        int two = 7 + DateGenerator.Alphabet.IndexOf('2', StringComparison.Ordinal);
        Assert.Equal("12", Vocabulary.Decode([1, one, 0, two, 2, one]));
        Assert.Equal("", Vocabulary.Decode([2, one]));
    }
}
