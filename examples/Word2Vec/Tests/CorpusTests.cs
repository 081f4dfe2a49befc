using System;
using System.IO;
using System.Linq;

namespace ModelDsl.Examples.WordEmbeddings.Tests;

public sealed class CorpusTests
{
    [Fact]
    public void SynonymCorpus_HasTheDeclaredStructure()
    {
        var corpus = SynonymCorpus.Generate(2000, seed: 3);
        Assert.Equal(SynonymCorpus.Concepts, corpus.Groups.Count);
        var names = corpus.Groups.SelectMany(g => g).ToList();
        Assert.Equal(SynonymCorpus.Concepts * SynonymCorpus.SynonymsPerConcept, names.Distinct().Count());
        var topicWords = corpus.Topics.SelectMany(t => t).ToHashSet();
        Assert.Empty(topicWords.Intersect(names));
        foreach (var sentence in corpus.Sentences)
        {
            Assert.Equal(6, sentence.Count);
            string name = sentence[2];
            int concept = corpus.Groups.ToList().FindIndex(g => g.Contains(name) || g.Select(SynonymCorpus.Plural).Contains(name));
            Assert.True(concept >= 0, $"'{name}' is not a name");
            Assert.Contains(sentence[1], corpus.Topics[concept]);
            Assert.Contains(sentence[5], corpus.Topics[concept]);
        }

        var synonyms = corpus.Synonyms();
        Assert.Equal(names.Count, synonyms.Count);
        Assert.All(synonyms, pair => Assert.Equal(SynonymCorpus.SynonymsPerConcept - 1, pair.Value.Count));
        Assert.All(synonyms, pair => Assert.DoesNotContain(pair.Key, pair.Value));
    }

    [Fact]
    public void AnalogyQuestions_PairPluralsAcrossConcepts()
    {
        var corpus = SynonymCorpus.Generate(10, seed: 3);
        foreach (var q in corpus.AnalogyQuestions(50, seed: 4))
        {
            Assert.Equal(SynonymCorpus.Plural(q.B), q.A);
            Assert.Equal(SynonymCorpus.Plural(q.C), q.Expected);
            Assert.DoesNotContain(corpus.Groups, g => g.Contains(q.B) && g.Contains(q.C));
        }
    }

    [Fact]
    public void Tokenize_LowerCasesAndKeepsInnerHyphens()
    {
        Assert.Equal(["very", "thin", "it", "was", "cut", "wafer-thin"], WordNetGlosses.Tokenize("very thin; \"it was cut wafer-thin\""));
        Assert.Equal(["a", "b", "x"], WordNetGlosses.Tokenize("A -b- (x)"));
    }

    [Fact]
    public void Parse_ReadsGlossesAndSynonyms()
    {
        const string text = "n\tcar auto automobile motor_vehicle\ta motor vehicle with four wheels\n"
            + "n\tcar railcar\ta wheeled vehicle adapted to the rails\n"
            + "a\tglad\tshowing pleasure\n";
        var parsed = WordNetGlosses.Parse(new StringReader(text), "test");
        Assert.Equal(3, parsed.SynsetCount);
        Assert.Equal(["a", "motor", "vehicle", "with", "four", "wheels"], parsed.Sentences[0]);
        Assert.Equal(new[] { "auto", "automobile", "railcar" }, parsed.Synonyms["car"].Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "automobile", "car" }, parsed.Synonyms["auto"].Order(StringComparer.Ordinal));
        Assert.False(parsed.Synonyms.ContainsKey("glad"));          // a synset of one lemma gives no pair
        Assert.False(parsed.Synonyms.ContainsKey("motor_vehicle")); // multi-word lemmas are not single tokens
    }

    [Fact]
    public void Parse_NamesTheMalformedLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => WordNetGlosses.Parse(new StringReader("n\tcar\ta car\nq\tx\ty\n"), "test"));
        Assert.StartsWith("test: line 2:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedExtract_HoldsEveryWordNet30Synset()
    {
        var wordnet = WordNetGlosses.Load(WordNetGlosses.DefaultPath);
        // WordNet 3.0 has 82,115 noun, 13,767 verb, 18,156 adjective and 3,621 adverb synsets (its data files' line counts).
        Assert.Equal(82_115 + 13_767 + 18_156 + 3_621, wordnet.SynsetCount);
        Assert.Contains("automobile", wordnet.Synonyms["car"]);
    }
}
