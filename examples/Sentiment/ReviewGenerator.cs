using System;
using System.Collections.Generic;
using ModelDsl.Tokenization;

namespace ModelDsl.Examples.Sentiment;

/// <summary>One generated review: its words and whether it is positive.</summary>
public sealed record Review(string[] Words, bool Positive)
{
    /// <inheritdoc/>
    public override string ToString() => $"{(Positive ? "+" : "-")} {string.Join(' ', Words)}";
}

/// <summary>
/// Generates short movie reviews whose label depends on word order, so a model must read
/// the sequence, not count words: negation flips a clause ("not bad" is positive), and in a
/// contrast the clause after "but" (or the main clause of an "although" sentence) decides
/// ("good at first , but the ending was dull" is negative). Every adjective appears as often
/// in positive as in negative reviews, so the words alone carry little signal.
/// </summary>
public sealed class ReviewGenerator
{
    private static readonly string[] Good = ["good", "great", "excellent", "wonderful", "enjoyable", "brilliant", "fun", "superb"];
    private static readonly string[] Bad = ["bad", "awful", "boring", "terrible", "dull", "poor", "weak", "mediocre"];
    private static readonly string[] Subjects = ["movie", "film", "plot", "acting", "ending", "soundtrack", "script", "cast"];
    private static readonly string[] Intensifiers = ["really", "very", "quite", "truly"];
    private static readonly string[] Verbs = ["was", "is", "felt", "seemed"];
    private static readonly string[] Negators = ["not", "never", "hardly"];
    private static readonly string[] Openers = ["honestly", "overall", "i think", "in my opinion", "to be fair"];

    private readonly System.Random _random;

    /// <summary>Creates a generator; the same seed always yields the same reviews.</summary>
    public ReviewGenerator(int seed) => _random = new System.Random(seed);

    /// <summary>
    /// Every word any review can contain, as the library's word vocabulary: it reserves only <c>&lt;pad&gt;</c> (id 0,
    /// the padding the batch rows use), then the words in a fixed order. There is no <c>&lt;unk&gt;</c>: a word outside
    /// it is an error naming the word.
    /// </summary>
    public static WordVocabulary Vocabulary { get; } = new(BuildVocabulary(), specials: SpecialTokenSet.Pad);

    /// <summary>The next review; positive and negative are equally likely.</summary>
    public Review Next()
    {
        bool positive = _random.Next(2) == 0;
        var words = new List<string>(24);
        if (_random.Next(4) == 0)
        {
            words.AddRange(Pick(Openers).Split(' '));
        }

        switch (_random.Next(4))
        {
            case 0:
                // One clause, possibly negated: the clause alone decides.
                Clause(words, positive);
                break;
            case 1:
                // "A , but B": B decides; A has the opposite polarity.
                Clause(words, !positive);
                words.Add(",");
                words.Add("but");
                Clause(words, positive);
                break;
            case 2:
                // "although A , B": B (the main clause) decides.
                words.Add("although");
                Clause(words, !positive);
                words.Add(",");
                Clause(words, positive);
                break;
            default:
                // "B , although A": the main clause comes first and still decides.
                Clause(words, positive);
                words.Add(",");
                words.Add("although");
                Clause(words, !positive);
                break;
        }

        return new Review([.. words], positive);
    }

    /// <summary><paramref name="count"/> reviews.</summary>
    public Review[] Take(int count)
    {
        var reviews = new Review[count];
        for (int i = 0; i < count; i++)
        {
            reviews[i] = Next();
        }

        return reviews;
    }

    private void Clause(List<string> words, bool positive)
    {
        // Negated clauses use the opposite adjective: "not bad" is positive.
        bool negated = _random.Next(2) == 0;
        string adjective = (positive ^ negated) ? Pick(Good) : Pick(Bad);
        words.Add("the");
        words.Add(Pick(Subjects));
        words.Add(Pick(Verbs));
        if (negated)
        {
            words.Add(Pick(Negators));
        }

        if (_random.Next(3) == 0)
        {
            words.Add(Pick(Intensifiers));
        }

        words.Add(adjective);
    }

    private string Pick(string[] choices) => choices[_random.Next(choices.Length)];

    private static List<string> BuildVocabulary()
    {
        var words = new List<string> { SpecialTokens.Texts[0], ",", "but", "although", "the" };
        foreach (var list in new[] { Good, Bad, Subjects, Intensifiers, Verbs, Negators })
        {
            words.AddRange(list);
        }

        foreach (var opener in Openers)
        {
            foreach (var word in opener.Split(' '))
            {
                if (!words.Contains(word))
                {
                    words.Add(word);
                }
            }
        }

        return words;
    }
}
