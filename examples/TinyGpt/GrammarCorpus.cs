using System;
using System.Collections.Generic;
using System.Text;
using ModelDsl.Tokenization;

namespace ModelDsl.Examples.TinyGpt;

/// <summary>
/// Text the project owns: sentences from a small probabilistic English grammar with number
/// agreement ("the cat sees" / "the cats see"), relative clauses and prepositional phrases.
/// A character model that learns the grammar predicts far better than the character
/// frequencies alone (the unigram baseline).
/// </summary>
public sealed class GrammarCorpus
{
    private static readonly string[] Determiners = ["the", "a", "every", "one"];
    private static readonly string[] PluralDeterminers = ["the", "some", "many", "two", "few"];
    private static readonly string[] Adjectives = ["small", "red", "quiet", "old", "happy", "clever", "green", "tired"];
    private static readonly (string Singular, string Plural)[] Nouns =
    [
        ("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("child", "children"), ("robot", "robots"),
        ("teacher", "teachers"), ("mouse", "mice"), ("fox", "foxes"),
    ];
    private static readonly (string Singular, string Plural)[] Verbs =
    [
        ("sees", "see"), ("chases", "chase"), ("likes", "like"), ("follows", "follow"), ("finds", "find"),
        ("watches", "watch"), ("helps", "help"),
    ];
    private static readonly (string Singular, string Plural)[] IntransitiveVerbs =
    [
        ("sleeps", "sleep"), ("runs", "run"), ("sings", "sing"), ("waits", "wait"),
    ];
    private static readonly string[] Prepositions = ["near", "under", "behind", "with"];
    private static readonly string[] Adverbs = ["quickly", "slowly", "today", "again", "quietly"];

    private readonly System.Random _random;

    /// <summary>Creates a corpus generator; the same seed gives the same text.</summary>
    public GrammarCorpus(int seed) => _random = new System.Random(seed);

    /// <summary>
    /// The characters any sentence can contain, as the library's character vocabulary without special tokens (a language
    /// model over a closed alphabet needs none): each character seen once, so in ordinal order and the ids are stable.
    /// A character outside it is an error naming it, as there is no <c>&lt;unk&gt;</c>.
    /// </summary>
    public static CharVocabulary Vocabulary { get; } = CharVocabulary.Build([BuildAlphabet()], specials: SpecialTokenSet.None);

    /// <summary>Text of at least <paramref name="characters"/> characters made of whole sentences.</summary>
    public string Text(int characters)
    {
        var text = new StringBuilder(characters + 100);
        while (text.Length < characters)
        {
            text.Append(Sentence()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>One sentence ending in a period.</summary>
    public string Sentence()
    {
        var words = new List<string>(16);
        bool plural = NounPhrase(words, allowRelative: true);
        VerbPhrase(words, plural);
        if (_random.Next(3) == 0)
        {
            words.Add(Pick(Adverbs));
        }

        return string.Join(' ', words) + " .";
    }

    private bool NounPhrase(List<string> words, bool allowRelative)
    {
        bool plural = _random.Next(2) == 0;
        words.Add(plural ? Pick(PluralDeterminers) : Pick(Determiners));
        if (_random.Next(2) == 0)
        {
            words.Add(Pick(Adjectives));
        }

        var noun = Nouns[_random.Next(Nouns.Length)];
        words.Add(plural ? noun.Plural : noun.Singular);
        if (_random.Next(5) == 0)
        {
            words.Add(Pick(Prepositions));
            NounPhrase(words, allowRelative: false);
        }
        else if (allowRelative && _random.Next(4) == 0)
        {
            // The relative clause's verb agrees with this noun, not with its own object.
            words.Add("that");
            VerbPhrase(words, plural, allowObject: true, nested: true);
        }

        return plural;
    }

    private void VerbPhrase(List<string> words, bool plural, bool allowObject = true, bool nested = false)
    {
        if (allowObject && _random.Next(3) != 0)
        {
            var verb = Verbs[_random.Next(Verbs.Length)];
            words.Add(plural ? verb.Plural : verb.Singular);
            NounPhrase(words, allowRelative: !nested);
        }
        else
        {
            var verb = IntransitiveVerbs[_random.Next(IntransitiveVerbs.Length)];
            words.Add(plural ? verb.Plural : verb.Singular);
        }
    }

    private string Pick(string[] choices) => choices[_random.Next(choices.Length)];

    private static string BuildAlphabet()
    {
        var set = new SortedSet<char> { ' ', '.', '\n' };
        foreach (var list in new[] { Determiners, PluralDeterminers, Adjectives, Prepositions, Adverbs, ["that"] })
        {
            foreach (var word in list)
            {
                set.UnionWith(word);
            }
        }

        foreach (var pairs in new[] { Nouns, Verbs, IntransitiveVerbs })
        {
            foreach (var (singular, pluralForm) in pairs)
            {
                set.UnionWith(singular);
                set.UnionWith(pluralForm);
            }
        }

        return string.Concat(set);
    }
}
