using System;
using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Data;
using ModelDsl.Tokenization;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// Date pairs encoded once with the library's <see cref="CharVocabulary"/> into <see cref="TokenPair"/> examples, the
/// form the library's batch loader and teacher-forcing row writer take. <see cref="Create"/> builds a training set and a
/// held-out validation set that share no source text.
/// </summary>
public sealed class DateDataset
{
    /// <summary>Length of every target ("yyyy-MM-dd"), without special tokens.</summary>
    public const int TargetLength = 10;

    private readonly DatePair[] _pairs;
    private readonly TokenPair[] _examples;

    private DateDataset(DatePair[] pairs)
    {
        _pairs = pairs;
        int longest = 0;
        long total = 0;
        foreach (var pair in pairs)
        {
            longest = Math.Max(longest, pair.Source.Length);
            total += pair.Source.Length;
        }

        LongestSource = longest;
        MeanSourceLength = pairs.Length == 0 ? 0 : total / (double)pairs.Length;
        _examples = new TokenPair[pairs.Length];
        for (int i = 0; i < pairs.Length; i++)
        {
            int[] target = Encode(pairs[i].Target);
            if (target.Length != TargetLength)
            {
                throw new InvalidOperationException($"The target \"{pairs[i].Target}\" has {target.Length} characters; expected {TargetLength}.");
            }

            _examples[i] = new TokenPair(Encode(pairs[i].Source), target);
        }
    }

    /// <summary>
    /// The token ids of the task, shared by source and target: the library's seven special tokens (<c>&lt;pad&gt;</c> 0,
    /// <c>&lt;s&gt;</c> 1, <c>&lt;/s&gt;</c> 2, ... <c>&lt;sep&gt;</c> 6), then the characters of
    /// <see cref="DateGenerator.Alphabet"/> in its sorted order (each seen once, so ties keep the ordinal order), so the
    /// ids do not depend on the sample. The target alphabet (digits and '-') is part of the source alphabet.
    /// </summary>
    public static CharVocabulary Vocabulary { get; } = CharVocabulary.Build([DateGenerator.Alphabet]);

    /// <summary>
    /// The longest source any date in 1950–2049 can have in any of <see cref="DateGenerator.Formats"/> (29:
    /// "Wednesday, September 27, 2023"): the bound for a model's source length, whatever the sample.
    /// </summary>
    /// <remarks>
    /// A rendering's length depends only on the format, the weekday, the month and the day of month (years always
    /// have 2 or 4 digits here). The Gregorian calendar repeats every 28 years between 1901 and 2099, so 1950–1977
    /// holds every (weekday, month, day) combination the full range holds.
    /// </remarks>
    public static int LongestPossibleSource { get; } = ComputeLongestPossibleSource();

    /// <summary>Number of pairs.</summary>
    public int Count => _pairs.Length;

    /// <summary>The pairs, in their generated order.</summary>
    public IReadOnlyList<DatePair> Pairs => _pairs;

    /// <summary>The longest source in this set, in characters.</summary>
    public int LongestSource { get; }

    /// <summary>Mean source length in characters.</summary>
    public double MeanSourceLength { get; }

    /// <summary>The pairs as token ids without special tokens, in the order of <see cref="Pairs"/>: what the batch loader reads.</summary>
    public IReadOnlyList<TokenPair> Examples => _examples;

    /// <summary>
    /// Makes a training set of <paramref name="trainCount"/> pairs from <c>new DateGenerator(seed)</c> and a
    /// validation set of <paramref name="validationCount"/> distinct pairs from <c>new DateGenerator(seed + 1)</c>.
    /// </summary>
    /// <remarks>
    /// Held out: a validation candidate whose source text occurs in the training set, or earlier in the validation
    /// set, is skipped. The source text is a function of (date, format), so no (date, format) pair is in both sets;
    /// the rule is slightly stronger than that, since two formats can write a date identically ("d MMM yyyy" and
    /// "dd MMM yyyy" from the 10th on), and such a text is held out too. Dates themselves may recur in another
    /// format: the task is to read formats, and 36,525 dates in 15 formats give 547,875 pairs.
    /// Duplicates inside the training set are kept (they are what a stream of random dates gives).
    /// </remarks>
    public static (DateDataset Train, DateDataset Validation) Create(int trainCount, int validationCount, int seed)
    {
        Guard.Positive(trainCount);
        Guard.Positive(validationCount);
        var trainGenerator = new DateGenerator(seed);
        var train = new DatePair[trainCount];
        var seen = new HashSet<string>(trainCount + validationCount, StringComparer.Ordinal);
        for (int i = 0; i < trainCount; i++)
        {
            train[i] = trainGenerator.Next();
            seen.Add(train[i].Source);
        }

        var validationGenerator = new DateGenerator(unchecked(seed + 1));
        var validation = new DatePair[validationCount];
        int filled = 0;
        for (int attempts = 0; filled < validationCount; attempts++)
        {
            if (attempts > 100 * validationCount)
            {
                throw new InvalidOperationException($"Could not find {validationCount} held-out pairs unseen in {trainCount} training pairs.");
            }

            DatePair candidate = validationGenerator.Next();
            if (seen.Add(candidate.Source))
            {
                validation[filled++] = candidate;
            }
        }

        return (new DateDataset(train), new DateDataset(validation));
    }

    /// <summary>The source ids of pair <paramref name="index"/> (no special tokens).</summary>
    public ReadOnlySpan<int> SourceIds(int index)
    {
        Guard.InRange(index, Count);
        return _examples[index].Source;
    }

    /// <summary>The target ids of pair <paramref name="index"/> (no special tokens), <see cref="TargetLength"/> long.</summary>
    public ReadOnlySpan<int> TargetIds(int index)
    {
        Guard.InRange(index, Count);
        return _examples[index].Target;
    }

    /// <summary>The ids of the characters of <paramref name="text"/> (no special tokens).</summary>
    /// <exception cref="ArgumentException">A character is not in <see cref="Vocabulary"/>: a date the generator cannot
    /// write; the message names the character and its position (the library would give it <c>&lt;unk&gt;</c>).</exception>
    public static int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int[] ids = Vocabulary.Encode(text);
        int unknown = Array.IndexOf(ids, Vocabulary.Special.Unknown);
        if (unknown >= 0)
        {
            throw new ArgumentException(
                $"The character '{text[unknown]}' (U+{(int)text[unknown]:X4}) at position {unknown} of \"{text}\" is not in the date vocabulary \"{DateGenerator.Alphabet}\".",
                nameof(text));
        }

        return ids;
    }

    private static int ComputeLongestPossibleSource()
    {
        var first = new DateOnly(1950, 1, 1);
        int days = new DateOnly(1978, 1, 1).DayNumber - first.DayNumber;
        int longest = 0;
        Span<char> text = stackalloc char[64];
        for (int day = 0; day < days; day++)
        {
            DateOnly date = first.AddDays(day);
            foreach (string format in DateGenerator.Formats)
            {
                if (!date.TryFormat(text, out int written, format, CultureInfo.InvariantCulture))
                {
                    throw new InvalidOperationException($"A date in the format \"{format}\" is longer than {text.Length} characters.");
                }

                longest = Math.Max(longest, written);
            }
        }

        return longest;
    }
}
