using System;
using System.IO;
using System.Linq;
using ModelDsl.Tokenization;

namespace ModelDsl.Training.Tests;

/// <summary>Character and word vocabularies (build, round trip, JSON) and the subword tokenizers on vocabularies written here.</summary>
public sealed class TokenizerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "modeldsl-text-" + Guid.NewGuid().ToString("N"));

    public TokenizerTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_character_vocabulary_puts_the_specials_first_then_characters_by_count()
    {
        var vocabulary = CharVocabulary.Build(["abcab", "ba", "z"]);

        Assert.Equal(["<pad>", "<s>", "</s>", "<unk>", "<mask>", "<cls>", "<sep>", "a", "b", "c", "z"], vocabulary.Tokens);
        Assert.Equal(new SpecialTokens(0, 1, 2, 3, 4, 5, 6), vocabulary.Special);
        Assert.Equal(new[] { 8, 7, 3, 9 }, vocabulary.Encode("baxc"));
        Assert.Equal("cab", vocabulary.Decode([1, 9, 7, 8, 2, 7, 0]));
        Assert.Equal("abc", vocabulary.Decode(vocabulary.Encode("abc")));
    }

    [Fact]
    public void Minimum_count_and_maximum_size_cut_the_rare_tokens()
    {
        string[] corpus = ["the cat the dog the end", "a cat"];
        Assert.Equal(["the", "cat"], WordVocabulary.Build(corpus, minCount: 2).Tokens.Skip(7));
        Assert.Equal(["the", "cat", "a"], WordVocabulary.Build(corpus, maxSize: 10).Tokens.Skip(7));
        var words = WordVocabulary.Build(corpus, minCount: 2);
        Assert.Equal(new[] { 7, 3, 8 }, words.Encode("the  bird\tcat"));
        Assert.Equal("the <unk> cat", words.Decode(words.Encode("the bird cat")));
    }

    [Fact]
    public void Lowercase_vocabularies_fold_case_on_build_and_encode()
    {
        var words = WordVocabulary.Build(["The THE the"], lowercase: true);
        Assert.Equal(["the"], words.Tokens.Skip(7));
        Assert.Equal(new[] { 7 }, words.Encode("tHe"));
    }

    [Fact]
    public void Vocabularies_save_and_load_as_json()
    {
        string charPath = Path.Combine(_folder, "chars.json");
        string wordPath = Path.Combine(_folder, "words.json");
        var chars = CharVocabulary.Build(["hello, world"], lowercase: true);
        var words = WordVocabulary.Build(["hello world hello"]);
        chars.Save(charPath);
        words.Save(wordPath);

        var loadedChars = CharVocabulary.Load(charPath);
        var loadedWords = Vocabulary.Load(wordPath);
        Assert.Equal(chars.Tokens, loadedChars.Tokens);
        Assert.True(loadedChars.Lowercase);
        Assert.IsType<WordVocabulary>(loadedWords);
        Assert.Equal(words.Tokens, loadedWords.Tokens);
        Assert.Equal(words.Encode("world hello"), loadedWords.Encode("world hello"));
        Assert.Equal(["chars.json", "words.json"], Directory.GetFiles(_folder).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Chosen_specials_take_the_first_ids_in_the_standard_order_and_the_others_are_absent()
    {
        var chars = CharVocabulary.Build(["abcab", "ba"], specials: SpecialTokenSet.Eos | SpecialTokenSet.Pad | SpecialTokenSet.Bos);
        Assert.Equal(["<pad>", "<s>", "</s>", "a", "b", "c"], chars.Tokens);
        Assert.Equal(new SpecialTokens(0, 1, 2, -1, -1, -1, -1), chars.Special);
        Assert.Equal(3, chars.SpecialCount);
        Assert.Equal("cab", chars.Decode([1, 5, 3, 4, 2, 3, 0]));

        var words = WordVocabulary.Build(["x y y"], specials: SpecialTokenSet.Unknown | SpecialTokenSet.Sep);
        Assert.Equal(["<unk>", "<sep>", "y", "x"], words.Tokens);
        Assert.Equal(new SpecialTokens(-1, -1, -1, 0, -1, -1, 1), words.Special);
        Assert.Equal(new[] { 3, 0, 2 }, words.Encode("x z y"));

        var none = CharVocabulary.Build(["ba b"], specials: SpecialTokenSet.None);
        Assert.Equal(["b", " ", "a"], none.Tokens);
        Assert.Equal(new SpecialTokens(-1, -1, -1, -1, -1, -1, -1), none.Special);
        Assert.Equal(new[] { 2, 0 }, none.Encode("ab"));
        Assert.Equal("ab b", none.Decode([2, 0, 1, 0]));
    }

    [Fact]
    public void Without_unk_an_unknown_token_is_an_error_naming_it_and_its_position()
    {
        var chars = CharVocabulary.Build(["ab"], specials: SpecialTokenSet.Pad);
        var e = Assert.Throws<ArgumentException>(() => chars.Encode("abz"));
        Assert.Contains("\"z\" at position 2 is not in the vocabulary and it reserves no <unk> token", e.Message, StringComparison.Ordinal);

        var words = WordVocabulary.Build(["the cat"], specials: SpecialTokenSet.None);
        e = Assert.Throws<ArgumentException>(() => words.Encode("the dog"));
        Assert.Contains("\"dog\" at position 1 is not in the vocabulary", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => words.IdOf("bird"));
        Assert.Contains("\"bird\" is not in the vocabulary", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, words.IdOf("cat"));
    }

    [Fact]
    public void Chosen_specials_round_trip_through_json()
    {
        string path = Path.Combine(_folder, "specials.json");
        var words = WordVocabulary.Build(["hello world hello"], specials: SpecialTokenSet.Pad | SpecialTokenSet.Cls);
        words.Save(path);
        Assert.Contains("\"specials\": [", File.ReadAllText(path), StringComparison.Ordinal);

        var loaded = WordVocabulary.Load(path);
        Assert.Equal(SpecialTokenSet.Pad | SpecialTokenSet.Cls, loaded.Reserved);
        Assert.Equal(new SpecialTokens(0, -1, -1, -1, -1, 1, -1), loaded.Special);
        Assert.Equal(["<pad>", "<cls>", "hello", "world"], loaded.Tokens);
        Assert.Equal(new[] { 3, 2 }, loaded.Encode("world hello"));
    }

    [Fact]
    public void A_file_without_specials_reserves_all_seven()
    {
        string path = Path.Combine(_folder, "old.json");
        File.WriteAllText(path, """{"format":"modeldsl.vocabulary","version":1,"kind":"char","lowercase":false,"tokens":["<pad>","<s>","</s>","<unk>","<mask>","<cls>","<sep>","a"]}""");
        var loaded = CharVocabulary.Load(path);
        Assert.Equal(SpecialTokenSet.All, loaded.Reserved);
        Assert.Equal(SpecialTokens.Standard, loaded.Special);
    }

    [Fact]
    public void An_undefined_special_flag_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => CharVocabulary.Build(["a"], specials: (SpecialTokenSet)128));
        Assert.Contains("128 is not a set of special tokens", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{", "not a ModelDsl vocabulary")]
    [InlineData("[]", "the top level must be an object")]
    [InlineData("""{"format":"other","version":1,"kind":"char","lowercase":false,"tokens":[]}""", "\"format\" is \"other\"")]
    [InlineData("""{"format":"modeldsl.vocabulary","version":2,"kind":"char","lowercase":false,"tokens":[]}""", "\"version\" 2 is not supported")]
    [InlineData("""{"format":"modeldsl.vocabulary","version":1,"kind":"char","lowercase":false}""", "the property \"tokens\" is missing")]
    [InlineData("""{"format":"modeldsl.vocabulary","version":1,"kind":"char","lowercase":false,"tokens":["<pad>",3]}""", "tokens[1] is a Number, not a string")]
    [InlineData("""{"format":"modeldsl.vocabulary","version":1,"kind":"char","lowercase":false,"tokens":["<s>"]}""", "Token 0 is \"<s>\"; ids 0 to 6 must be the special tokens")]
    [InlineData("""{"format":"modeldsl.vocabulary","version":1,"kind":"char","lowercase":false,"tokens":["<pad>","<s>","</s>","<unk>","<mask>","<cls>","<sep>","a","a"]}""", "Token 8 \"a\" is already token 7")]
    [InlineData("""{"format":"modeldsl.vocabulary","version":1,"kind":"char","lowercase":false,"tokens":["<pad>","<s>","</s>","<unk>","<mask>","<cls>","<sep>","ab"]}""", "Token 7 \"ab\" of a character vocabulary must be one character")]
    [InlineData("""{"format":"modeldsl.vocabulary","version":1,"kind":"char","lowercase":false,"specials":["<pad>","<eos>"],"tokens":["<pad>"]}""", "specials[1] is \"<eos>\", not one of")]
    [InlineData("""{"format":"modeldsl.vocabulary","version":1,"kind":"char","lowercase":false,"specials":["<pad>","</s>"],"tokens":["<pad>","<s>","a"]}""", "Token 1 is \"<s>\"; ids 0 to 1 must be the special tokens <pad> </s> in that order")]
    [InlineData("""{"format":"modeldsl.vocabulary","version":1,"kind":"bytes","lowercase":false,"tokens":["<pad>","<s>","</s>","<unk>","<mask>","<cls>","<sep>"]}""", "\"kind\" is \"bytes\"")]
    public void A_malformed_vocabulary_file_is_refused_with_its_name_and_fault(string json, string fault)
    {
        string path = Path.Combine(_folder, "bad.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidDataException>(() => Vocabulary.Load(path));
        Assert.StartsWith(path + ": not a ModelDsl vocabulary: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(fault, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decoding_an_id_outside_the_vocabulary_names_its_position()
    {
        var chars = CharVocabulary.Build(["ab"]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => chars.Decode([7, 9]));
        Assert.Contains("ids[1] = 9 is not a token id (vocabulary size 9)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wordpiece_vocabulary_written_here_round_trips()
    {
        string vocab = Path.Combine(_folder, "vocab.txt");
        File.WriteAllLines(vocab, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "run", "##ning", "the"]);
        SubwordTokenizer tokenizer = SubwordTokenizer.WordPiece(vocab);

        Assert.Equal(11, tokenizer.VocabularySize);
        Assert.Equal(new SpecialTokens(0, -1, -1, 1, 4, 2, 3), tokenizer.Special);
        int[] ids = tokenizer.Encode("unaffable running");
        Assert.Equal(new[] { 5, 6, 7, 8, 9 }, ids);
        Assert.Equal("unaffable running", tokenizer.Decode(ids));
        Assert.Equal(new[] { 10, 1 }, tokenizer.Encode("the xyz"));
    }

    [Fact]
    public void A_bpe_vocabulary_written_here_round_trips()
    {
        string vocab = Path.Combine(_folder, "vocab.json");
        string merges = Path.Combine(_folder, "merges.txt");
        File.WriteAllText(vocab, """{"<pad>":0,"<s>":1,"</s>":2,"<unk>":3,"l":4,"o":5,"w":6,"e":7,"r":8,"lo":9,"low":10,"er":11," ":12}""");
        File.WriteAllLines(merges, ["#version: 0.2", "l o", "lo w", "e r"]);
        SubwordTokenizer tokenizer = SubwordTokenizer.Bpe(vocab, merges);

        Assert.Equal(13, tokenizer.VocabularySize);
        Assert.Equal(0, tokenizer.Special.Pad);
        Assert.Equal(2, tokenizer.Special.Eos);
        int[] ids = tokenizer.Encode("lower");
        Assert.Equal(new[] { 10, 11 }, ids);
        Assert.Equal("lower", tokenizer.Decode(ids));
        Assert.Equal("low", tokenizer.Decode([1, 10, 2, 11]));
    }
}
