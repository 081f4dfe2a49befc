using System;
using System.Collections.Generic;
using ModelDsl.Data;
using ModelDsl.Tokenization;

namespace ModelDsl.Examples.Reverse;

/// <summary>
/// The classic seq2seq sanity task: random strings of digits and lowercase letters, 3 to 12 long, and their
/// reversal ("a7kq" -> "qk7a"). The sequences are generated from a seed and encoded once with the library's
/// <see cref="CharVocabulary"/> (<see cref="Vocabulary"/>), then handed to its <see cref="BatchLoader{TBatch, TExample}"/>
/// as <see cref="TokenPair"/>s.
/// </summary>
public sealed class ReverseData
{
    /// <summary>Shortest sequence.</summary>
    public const int MinLength = 3;

    /// <summary>Longest sequence (source and target alike).</summary>
    public const int MaxLength = 12;

    /// <summary>The characters of the task: digits and lowercase letters.</summary>
    public const string Characters = "0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>Number of token ids: the three reserved specials plus the 36 characters (a constant for the model
    /// declaration; a test checks it equals <see cref="Vocabulary"/>'s size).</summary>
    public const int Vocab = 39;

    /// <summary>
    /// The token ids, shared by source and target: the library's character vocabulary reserving only the specials the
    /// task uses, <c>&lt;pad&gt;</c> 0, <c>&lt;s&gt;</c> 1 (the decoder's first input), <c>&lt;/s&gt;</c> 2 (the last
    /// label), then <see cref="Characters"/> in order (each seen once, so ordinal order): '0' is 3, 'a' is 13. Any other
    /// character is an error naming it, as there is no <c>&lt;unk&gt;</c>.
    /// </summary>
    public static CharVocabulary Vocabulary { get; } =
        CharVocabulary.Build([Characters], specials: SpecialTokenSet.Pad | SpecialTokenSet.Bos | SpecialTokenSet.Eos);

    private readonly string[] _sources;
    private readonly int[] _ids;      // (Count, 2 * MaxLength): source ids then target ids, each padded
    private readonly int[] _lengths;  // (Count)

    private ReverseData(string[] sources)
    {
        _sources = sources;
        _ids = new int[sources.Length * 2 * MaxLength];
        _lengths = new int[sources.Length];
        for (int i = 0; i < sources.Length; i++)
        {
            Span<int> source = _ids.AsSpan(i * 2 * MaxLength, MaxLength);
            Span<int> target = _ids.AsSpan(i * 2 * MaxLength + MaxLength, MaxLength);
            int length = Vocabulary.Encode(sources[i], source);
            source[..length].CopyTo(target);
            target[..length].Reverse();
            _lengths[i] = length;
        }
    }

    /// <summary>Number of sequences.</summary>
    public int Count => _sources.Length;

    /// <summary>The source strings, in generated order.</summary>
    public IReadOnlyList<string> Sources => _sources;

    /// <summary>
    /// Makes <paramref name="trainCount"/> training sequences from <paramref name="seed"/> and
    /// <paramref name="validationCount"/> held-out ones from <c>seed + 1</c>; a held-out candidate equal to a training
    /// sequence or an earlier held-out one is skipped, so the two sets share no sequence.
    /// </summary>
    public static (ReverseData Train, ReverseData Validation) Create(int trainCount, int validationCount, int seed)
    {
        Guard.Positive(trainCount);
        Guard.Positive(validationCount);
        var trainRandom = new System.Random(seed);
        var train = new string[trainCount];
        var seen = new HashSet<string>(trainCount + validationCount, StringComparer.Ordinal);
        for (int i = 0; i < trainCount; i++)
        {
            train[i] = Next(trainRandom);
            seen.Add(train[i]);
        }

        var validationRandom = new System.Random(unchecked(seed + 1));
        var validation = new string[validationCount];
        for (int filled = 0; filled < validationCount;)
        {
            string candidate = Next(validationRandom);
            if (seen.Add(candidate))
            {
                validation[filled++] = candidate;
            }
        }

        return (new ReverseData(train), new ReverseData(validation));
    }

    /// <summary>The reversal of <paramref name="text"/>: the expected output.</summary>
    public static string Reverse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return string.Create(text.Length, text, static (span, source) =>
        {
            source.AsSpan().CopyTo(span);
            span.Reverse();
        });
    }

    /// <summary>The source ids of sequence <paramref name="index"/> (no special tokens).</summary>
    public ReadOnlySpan<int> SourceIds(int index)
    {
        Guard.InRange(index, Count);
        return _ids.AsSpan(index * 2 * MaxLength, _lengths[index]);
    }

    /// <summary>The target ids (the reversed source) of sequence <paramref name="index"/>.</summary>
    public ReadOnlySpan<int> TargetIds(int index)
    {
        Guard.InRange(index, Count);
        return _ids.AsSpan(index * 2 * MaxLength + MaxLength, _lengths[index]);
    }

    /// <summary>The sequences as source/target pairs (no special tokens) for the library's batch loader.</summary>
    public TokenPair[] Pairs()
    {
        var pairs = new TokenPair[Count];
        for (int i = 0; i < pairs.Length; i++)
        {
            pairs[i] = new TokenPair(SourceIds(i).ToArray(), TargetIds(i).ToArray());
        }

        return pairs;
    }

    private static string Next(System.Random random)
    {
        int length = random.Next(MinLength, MaxLength + 1);
        return string.Create(length, random, static (span, r) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = Characters[r.Next(Characters.Length)];
            }
        });
    }
}
