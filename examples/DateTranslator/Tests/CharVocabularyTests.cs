using System;

namespace ModelDsl.Examples.DateTranslator.Tests;

public class CharVocabularyTests
{
    [Fact]
    public void Ids_SpecialTokensFirst_ThenTheAlphabetInOrder()
    {
        Assert.Equal((0, 1, 2), (CharVocabulary.Pad, CharVocabulary.Bos, CharVocabulary.Eos));
        Assert.Equal(3 + DateGenerator.Alphabet.Length, CharVocabulary.Size);
        Span<int> ids = stackalloc int[DateGenerator.Alphabet.Length];
        CharVocabulary.Encode(DateGenerator.Alphabet, ids);
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.Equal(3 + i, ids[i]);
        }
    }

    [Fact]
    public void Alphabet_CoversTargetsAndTheLongestSource()
    {
        // The target alphabet is part of the shared vocabulary.
        Span<int> ids = stackalloc int[32];
        Assert.Equal(11, CharVocabulary.Encode("0123456789-", ids));
        Assert.Equal(29, CharVocabulary.Encode("Wednesday, September 27, 2023", ids));
    }

    [Theory]
    [InlineData("Wednesday, September 27, 2023")]
    [InlineData("1/1/1950")]
    [InlineData("2049-12-31")]
    public void EncodeThenDecode_GivesTheText(string text)
    {
        var ids = new int[text.Length];
        Assert.Equal(text.Length, CharVocabulary.Encode(text, ids));
        Assert.Equal(text, CharVocabulary.Decode(ids));
    }

    [Fact]
    public void Encode_UnknownCharacter_NamesItAndItsPosition()
    {
        var ids = new int[8];
        var error = Assert.Throws<ArgumentException>(() => CharVocabulary.Encode("2023年1月", ids));
        Assert.Contains("'年'", error.Message, StringComparison.Ordinal);
        Assert.Contains("position 4", error.Message, StringComparison.Ordinal);
        Assert.Equal("text", error.ParamName);
    }

    [Fact]
    public void Encode_ShortBuffer_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => CharVocabulary.Encode("2023-01-01", new int[9]));
        Assert.Equal("ids", error.ParamName);
    }

    [Fact]
    public void Decode_StopsAtEos_AndSkipsPadAndBos()
    {
        int one = 3 + DateGenerator.Alphabet.IndexOf('1', StringComparison.Ordinal);
        int two = 3 + DateGenerator.Alphabet.IndexOf('2', StringComparison.Ordinal);
        Assert.Equal("12", CharVocabulary.Decode([CharVocabulary.Bos, one, CharVocabulary.Pad, two, CharVocabulary.Eos, one]));
        Assert.Equal("", CharVocabulary.Decode([CharVocabulary.Eos, one]));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1000)]
    public void Decode_IdOutsideVocabulary_Throws(int id)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => CharVocabulary.Decode([CharVocabulary.Bos, id]));
        Assert.Contains("ids[1]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TeacherForcingRows_ShiftByOne_AndPad()
    {
        int[] target = [10, 11, 12];
        var input = new int[6];
        var labels = new int[6];
        Assert.Equal(4, CharVocabulary.WriteDecoderInput(target, input));
        Assert.Equal(4, CharVocabulary.WriteLabels(target, labels));
        Assert.Equal([1, 10, 11, 12, 0, 0], input);
        Assert.Equal([10, 11, 12, 2, -100, -100], labels);
    }

    [Fact]
    public void TeacherForcingRows_NeedRoomForTheSpecialToken()
    {
        Assert.Throws<ArgumentException>(() => CharVocabulary.WriteDecoderInput([10, 11, 12], new int[3]));
        Assert.Throws<ArgumentException>(() => CharVocabulary.WriteLabels([10, 11, 12], new int[3]));
    }

    [Fact]
    public void WriteSource_PadsTheRow()
    {
        var row = new int[6];
        Array.Fill(row, 99);
        Assert.Equal(3, CharVocabulary.WriteSource("1.1", row));
        Assert.Equal([0, 0, 0], row[3..]);
    }

    [Fact]
    public void Display_NamesSpecialTokens()
    {
        Assert.Equal("<pad>", CharVocabulary.Display(0));
        Assert.Equal("<s>", CharVocabulary.Display(1));
        Assert.Equal("</s>", CharVocabulary.Display(2));
        Assert.Equal(DateGenerator.Alphabet[0].ToString(), CharVocabulary.Display(3));
    }
}
