using System;
using System.Collections.Generic;

namespace ModelDsl.Examples.WordEmbeddings;

/// <summary>
/// A generated corpus with known structure. There are <see cref="Concepts"/> concepts; each is named by
/// <see cref="SynonymsPerConcept"/> interchangeable pseudo-words (a synonym group) and each word has a plural, the word +
/// "s". A sentence picks a concept, a number and one of the concept's names, and writes
/// <c>determiner(number) topic-word name verb(number) topic-word topic-word</c>, where the three topic words are drawn
/// from the concept's own four and the determiner and verb from the number's. So synonyms share every context (they
/// should be each other's nearest neighbours), and singular and plural differ by the same context shift for every
/// concept (so <c>plural(a) - a + b ≈ plural(b)</c>, the analogy the example scores).
/// </summary>
public sealed class SynonymCorpus
{
    /// <summary>The number of concepts.</summary>
    public const int Concepts = 40;

    /// <summary>The size of each synonym group.</summary>
    public const int SynonymsPerConcept = 3;

    private static readonly string[] Onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "t", "v", "z"];
    private static readonly string[] Vowels = ["a", "e", "i", "o", "u"];
    private static readonly string[] SingularDeterminers = ["one", "this", "that", "every"];
    private static readonly string[] PluralDeterminers = ["many", "these", "those", "all"];
    private static readonly string[] SingularVerbs = ["is", "was", "seems", "stays"];
    private static readonly string[] PluralVerbs = ["are", "were", "seem", "stay"];

    private SynonymCorpus(string[][] groups, string[][] topics, List<IReadOnlyList<string>> sentences)
    {
        Groups = groups;
        Topics = topics;
        Sentences = sentences;
    }

    /// <summary>The synonym groups: <c>Groups[c]</c> are the singular names of concept <c>c</c>.</summary>
    public IReadOnlyList<string[]> Groups { get; }

    /// <summary>The topic words of each concept.</summary>
    public IReadOnlyList<string[]> Topics { get; }

    /// <summary>The sentences.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Sentences { get; }

    /// <summary>The plural of a name.</summary>
    public static string Plural(string word) => word + "s";

    /// <summary>Generates <paramref name="sentences"/> sentences from <paramref name="seed"/>.</summary>
    public static SynonymCorpus Generate(int sentences, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sentences);
        var random = new Random(seed);
        var used = new HashSet<string>(StringComparer.Ordinal);
        string NewWord(int syllables)
        {
            while (true)
            {
                string word = "";
                for (int i = 0; i < syllables; i++)
                {
                    word += Onsets[random.Next(Onsets.Length)] + Vowels[random.Next(Vowels.Length)];
                }

                // Unique, and neither a plural of another word nor one of the fixed function words.
                if (!word.EndsWith('s') && used.Add(word) && used.Add(word + "s"))
                {
                    return word;
                }
            }
        }

        var groups = new string[Concepts][];
        var topics = new string[Concepts][];
        for (int c = 0; c < Concepts; c++)
        {
            groups[c] = new string[SynonymsPerConcept];
            for (int s = 0; s < SynonymsPerConcept; s++)
            {
                groups[c][s] = NewWord(2);
            }

            topics[c] = new string[4];
            for (int t = 0; t < 4; t++)
            {
                topics[c][t] = NewWord(3);
            }
        }

        var list = new List<IReadOnlyList<string>>(sentences);
        for (int i = 0; i < sentences; i++)
        {
            int c = random.Next(Concepts);
            bool plural = random.Next(2) == 1;
            string name = groups[c][random.Next(SynonymsPerConcept)];
            var topic = topics[c];
            list.Add(
            [
                (plural ? PluralDeterminers : SingularDeterminers)[random.Next(4)],
                topic[random.Next(4)],
                plural ? Plural(name) : name,
                (plural ? PluralVerbs : SingularVerbs)[random.Next(4)],
                topic[random.Next(4)],
                topic[random.Next(4)],
            ]);
        }

        return new SynonymCorpus(groups, topics, list);
    }

    /// <summary>
    /// Analogy questions <c>(plural(a), a, b) -> plural(b)</c> for <paramref name="count"/> random pairs of names of
    /// different concepts.
    /// </summary>
    public IReadOnlyList<AnalogyQuestion> AnalogyQuestions(int count, int seed)
    {
        var random = new Random(seed);
        var questions = new List<AnalogyQuestion>(count);
        while (questions.Count < count)
        {
            int c1 = random.Next(Concepts), c2 = random.Next(Concepts);
            if (c1 == c2)
            {
                continue;
            }

            string a = Groups[c1][random.Next(SynonymsPerConcept)], b = Groups[c2][random.Next(SynonymsPerConcept)];
            questions.Add(new AnalogyQuestion(Plural(a), a, b, Plural(b)));
        }

        return questions;
    }

    /// <summary>Each name's synonyms (the other names of its concept; singular names only).</summary>
    public Dictionary<string, HashSet<string>> Synonyms()
    {
        var synonyms = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var group in Groups)
        {
            foreach (string word in group)
            {
                synonyms[word] = new HashSet<string>(group, StringComparer.Ordinal);
                synonyms[word].Remove(word);
            }
        }

        return synonyms;
    }
}

/// <summary><c>a - b + c</c> should be <paramref name="Expected"/> (<see cref="Embeddings.WordVectors.Analogy"/>'s order).</summary>
/// <param name="A">The first word (added).</param>
/// <param name="B">The second word (subtracted).</param>
/// <param name="C">The third word (added).</param>
/// <param name="Expected">The answer.</param>
public sealed record AnalogyQuestion(string A, string B, string C, string Expected);
