using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;

namespace ModelDsl.Examples.MiniBert.Tests;

/// <summary>The example's data: the shipped extract, its parsing, the words and the fixed split.</summary>
public sealed class FortunesTests
{
    private static readonly Lazy<Fortune[]> All = new(() => Fortunes.Load(Fortunes.DefaultPath));

    [Fact]
    public void The_shipped_file_is_the_documented_extract()
    {
        // The SHA-256 that data/README.md gives for extract.py's output on Debian's fortunes 1:1.99.1-7.3.
        byte[] hash = SHA256.HashData(File.ReadAllBytes(Fortunes.DefaultPath));
        Assert.Equal("dac2167464f0fe6fb5e4b8de445e9d35380cfbcd5a5daa292219933c69f4ff40", Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void The_extract_holds_8903_fortunes_with_the_class_counts_of_the_file()
    {
        // Counted with `zcat fortunes.tsv.gz | cut -f1 | sort | uniq -c`.
        Fortune[] all = All.Value;
        Assert.Equal(8903, all.Length);
        Assert.Equal(516, all.Count(f => f.File == "science"));
        Assert.Equal(634, all.Count(f => f.File == "politics"));
        Assert.Equal(822, all.Count(f => f.File == "computers"));
        Assert.All(all, f => Assert.InRange(f.Text.Length, 1, 300));
    }

    [Fact]
    public void The_split_holds_out_the_test_fortunes_from_pretraining_too()
    {
        FortuneSplit split = Fortunes.Split(All.Value);
        Assert.Equal(Fortunes.TestCount, split.Test.Length);
        Assert.Equal(Fortunes.TrainCount, split.Train.Length);
        Assert.Equal(All.Value.Length - split.Test.Length, split.Pretraining.Length);
        var pretraining = new HashSet<Fortune>(split.Pretraining, ReferenceEqualityComparer.Instance);
        Assert.DoesNotContain(split.Test, pretraining.Contains);
        Assert.All(split.Train, f => Assert.Contains(f, pretraining));                   // their text, without labels
        Assert.Empty(split.Train.Intersect(split.Test, ReferenceEqualityComparer.Instance));
        Assert.All(split.Test.Concat(split.Train), f => Assert.True(Fortunes.Words(f.Text).Split(' ').Length >= Fortunes.MinimumWords));

        Assert.Equal(split.Test, Fortunes.Split(All.Value).Test);                       // seeded: the same every run
        Assert.NotEqual(split.Test, Fortunes.Split(All.Value, seed: 20).Test);
    }

    [Fact]
    public void Odd_word_replaces_one_word_by_a_corpus_word_in_about_half_the_examples()
    {
        FortuneSplit split = Fortunes.Split(All.Value);
        var vocabulary = Fortunes.Vocabulary(split.Pretraining);
        int[][] corpus = [.. split.Pretraining.Select(f => Fortunes.Encode(vocabulary, f)).Where(ids => ids.Length > 2)];
        var corpusWords = new HashSet<int>(corpus.SelectMany(ids => ids[1..]));
        int replaced = 0;
        for (int i = 0; i < split.Test.Length; i++)
        {
            int[] original = Fortunes.Encode(vocabulary, split.Test[i]);
            var example = Fortunes.OddWord(vocabulary, split.Test[i], i, corpus);
            int[] differ = [.. Enumerable.Range(0, original.Length).Where(t => original[t] != example.Tokens[t])];
            if (example.Label == 0)
            {
                Assert.Empty(differ);
                continue;
            }

            replaced++;
            int position = Assert.Single(differ);
            Assert.True(position >= 1);                                                    // <cls> stays first
            Assert.True(example.Tokens[position] >= vocabulary.SpecialCount);               // an ordinary word ...
            Assert.Contains(example.Tokens[position], corpusWords);                        // ... of the corpus
        }

        // 1000 examples, each replaced with probability 1/2: 5 binomial SDs are 5 sqrt(0.25 / 1000) = 0.079 (seed fixed).
        Assert.InRange(replaced / 1000.0, 0.5 - 0.079, 0.5 + 0.079);
        Assert.Equal(Fortunes.OddWord(vocabulary, split.Test[3], 3, corpus), Fortunes.OddWord(vocabulary, split.Test[3], 3, corpus), LabeledEquality.Instance);
    }

    [Fact]
    public void Odd_word_pairs_give_each_fortune_as_written_and_with_one_word_replaced()
    {
        FortuneSplit split = Fortunes.Split(All.Value);
        var vocabulary = Fortunes.Vocabulary(split.Pretraining);
        int[][] corpus = [.. split.Pretraining.Select(f => Fortunes.Encode(vocabulary, f)).Where(ids => ids.Length > 2)];
        for (int i = 0; i < 200; i++)
        {
            ModelDsl.Data.LabeledTokens[] pair = [.. Fortunes.OddWordPair(vocabulary, split.Test[i], i, corpus)];
            if (pair.Length == 0)
            {
                continue;                                                                  // no replacement drawn: no item
            }

            Assert.Equal([0, 1], pair.Select(item => item.Label));
            Assert.Equal(Fortunes.Encode(vocabulary, split.Test[i]), pair[0].Tokens);
            int position = Assert.Single(Enumerable.Range(0, pair[0].Tokens.Length), t => pair[0].Tokens[t] != pair[1].Tokens[t]);
            Assert.True(position >= 1);
        }
    }

    [Fact]
    public void Continuation_pairs_put_the_real_next_sentence_and_a_sentence_of_another_fortune_after_the_same_first_sentence()
    {
        var vocabulary = Fortunes.Vocabulary([new Fortune("x", "a b. c d. e f. g h. a b c d e f g h")]);   // each word twice: minCount 2
        Fortune[] fortunes = [new("x", "A b. C d. E f."), new("x", "G h. A a."), new("x", "B. B.")];
        var items = Fortunes.ContinuationPairs(vocabulary, fortunes, seed: 3);
        var s = vocabulary.Special;
        int Id(string word) => vocabulary.IdOf(word);

        // 2 + 1 + 1 consecutive pairs, each as written (0) and with a random B (1).
        Assert.Equal(8, items.Count);
        Assert.Equal([0, 1, 0, 1, 0, 1, 0, 1], items.Select(item => item.Label));
        Assert.Equal([s.Cls, Id("a"), Id("b"), Id("."), s.Sep, Id("c"), Id("d"), Id("."), s.Sep], items[0].Tokens);
        Assert.Equal([s.Cls, Id("c"), Id("d"), Id("."), s.Sep, Id("e"), Id("f"), Id("."), s.Sep], items[2].Tokens);
        int[][] firstFortune = [[Id("a"), Id("b"), Id(".")], [Id("c"), Id("d"), Id(".")], [Id("e"), Id("f"), Id(".")]];
        for (int p = 0; p < 8; p += 2)
        {
            int sep = Array.IndexOf(items[p].Tokens, s.Sep);
            Assert.Equal(items[p].Tokens[..(sep + 1)], items[p + 1].Tokens[..(sep + 1)]);                  // the same A
        }

        // The random Bs of the first fortune's pairs come from another fortune.
        foreach (int p in new[] { 1, 3 })
        {
            int sep = Array.IndexOf(items[p].Tokens, s.Sep);
            int[] b = items[p].Tokens[(sep + 1)..^1];
            Assert.DoesNotContain(firstFortune, sentence => sentence.SequenceEqual(b));
        }
    }

    [Fact]
    public void A_long_continuation_pair_is_cut_to_the_length_from_the_longer_sentence()
    {
        var vocabulary = Fortunes.Vocabulary([new Fortune("x", "a a b b")]);
        string longA = string.Join(' ', Enumerable.Repeat("a", 40)) + ".";
        var items = Fortunes.ContinuationPairs(vocabulary, [new("x", longA + " B b."), new("x", "B. B.")], seed: 1);
        int[] first = items[0].Tokens;
        Assert.Equal(Sizes.Length, first.Length);
        Assert.Equal([vocabulary.Special.Sep, vocabulary.IdOf("b"), vocabulary.IdOf("b"), vocabulary.Special.Unknown, vocabulary.Special.Sep], first[^5..]);
        Assert.All(items, item => Assert.InRange(item.Tokens.Length, 5, Sizes.Length));
    }

    private sealed class LabeledEquality : IEqualityComparer<ModelDsl.Data.LabeledTokens>
    {
        public static readonly LabeledEquality Instance = new();

        public bool Equals(ModelDsl.Data.LabeledTokens? x, ModelDsl.Data.LabeledTokens? y) =>
            x!.Label == y!.Label && x.Tokens.SequenceEqual(y.Tokens);

        public int GetHashCode(ModelDsl.Data.LabeledTokens obj) => obj.Label;
    }

    [Theory]
    [InlineData("Don't panic!", "don't panic !")]
    [InlineData("  E = mc^2, said   Einstein.", "e = mc ^ 2 , said einstein .")]
    public void Words_are_lower_case_with_punctuation_apart(string text, string words) =>
        Assert.Equal(words, Fortunes.Words(text));

    [Fact]
    public void Encode_starts_with_cls_and_cuts_at_the_length()
    {
        var vocabulary = Fortunes.Vocabulary([new Fortune("x", "a b a b c")]);
        int[] ids = Fortunes.Encode(vocabulary, new Fortune("x", string.Join(' ', Enumerable.Repeat("a", 100))));
        Assert.Equal(Sizes.Length, ids.Length);
        Assert.Equal(vocabulary.Special.Cls, ids[0]);
        Assert.All(ids[1..], id => Assert.Equal(vocabulary.IdOf("a"), id));
        Assert.Equal(vocabulary.Special.Unknown, Fortunes.Encode(vocabulary, new Fortune("x", "c"))[1]);   // c occurs once: below minCount 2
    }

    [Theory]
    [InlineData("science\tok\nno tab here\n", "f.tsv: line 2: expected a fortune file's name, a tab and the text.")]
    [InlineData("\tno file\n", "f.tsv: line 1: expected a fortune file's name, a tab and the text.")]
    public void A_malformed_line_is_named(string text, string message) =>
        Assert.Equal(message, Assert.Throws<InvalidDataException>(() => Fortunes.Parse(new StringReader(text), "f.tsv")).Message);
}
