using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using ModelDsl.Data;
using ModelDsl.Randomness;
using ModelDsl.Tokenization;

namespace ModelDsl.Examples.MiniBert;

/// <summary>One fortune: the file of Debian's fortunes package it comes from and its text.</summary>
/// <param name="File">The fortune file (<c>science</c>, <c>politics</c>, ...).</param>
/// <param name="Text">The text, whitespace runs as single spaces.</param>
public sealed record Fortune(string File, string Text);

/// <summary>The data split: a labelled set for fine-tuning, a held-out test set, and the unlabelled pretraining corpus.</summary>
/// <param name="Pretraining">Every fortune that is not a test fortune, without labels.</param>
/// <param name="Train">The few labelled fortunes the classifier is fine-tuned on.</param>
/// <param name="Test">The held-out labelled fortunes (never seen in pretraining either).</param>
public sealed record FortuneSplit(Fortune[] Pretraining, Fortune[] Train, Fortune[] Test);

/// <summary>The example's data: the shipped extract (data/README.md), its words, the split and the examples.</summary>
public static partial class Fortunes
{
    /// <summary>Labelled fortunes for fine-tuning.</summary>
    public const int TrainCount = 3000;

    /// <summary>Held-out labelled fortunes.</summary>
    public const int TestCount = 1000;

    /// <summary>Fortunes shorter than this many words take no part in the classification task.</summary>
    public const int MinimumWords = 4;

    /// <summary>The shipped file, copied beside the program.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "fortunes.tsv.gz");

    /// <summary>Reads the gzip'd extract.</summary>
    public static Fortune[] Load(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return Parse(reader, Path.GetFileName(path));
    }

    /// <summary>Parses lines <c>file TAB text</c>; a malformed line is named by its number.</summary>
    public static Fortune[] Parse(TextReader reader, string name)
    {
        var fortunes = new List<Fortune>();
        int number = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            number++;
            int tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0 || tab == line.Length - 1)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: line {number}: expected a fortune file's name, a tab and the text."));
            }

            fortunes.Add(new Fortune(line[..tab], line[(tab + 1)..]));
        }

        return [.. fortunes];
    }

    /// <summary>
    /// Lower-case words and punctuation marks separated by spaces (<c>"Don't panic!"</c> -> <c>"don't panic !"</c>), the
    /// form <see cref="WordVocabulary"/> splits.
    /// </summary>
    public static string Words(string text) => string.Join(' ', WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value));

    [GeneratedRegex(@"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();

    /// <summary>The fortune's sentences: split after <c>.</c>, <c>!</c> or <c>?</c> followed by a space.</summary>
    public static string[] Sentences(string text) => [.. SentenceEnd().Split(text).Where(s => WordPattern().IsMatch(s.ToLowerInvariant()))];

    /// <summary>
    /// The documents of next-sentence prediction: each fortune of two sentences or more, as its sentences' word ids (no
    /// special token; <see cref="SentencePairs"/> adds them).
    /// </summary>
    public static List<IReadOnlyList<int[]>> Documents(WordVocabulary vocabulary, IEnumerable<Fortune> fortunes)
    {
        var documents = new List<IReadOnlyList<int[]>>();
        foreach (Fortune fortune in fortunes)
        {
            string[] sentences = Sentences(fortune.Text);
            if (sentences.Length >= 2)
            {
                documents.Add([.. sentences.Select(sentence => vocabulary.Encode(Words(sentence)))]);
            }
        }

        return documents;
    }

    /// <summary>
    /// The fixed split: the fortunes of at least <see cref="MinimumWords"/> words in a seeded order, the first
    /// <see cref="TestCount"/> held out for testing, the next <see cref="TrainCount"/> labelled for fine-tuning;
    /// pretraining reads every fortune but the test ones.
    /// </summary>
    public static FortuneSplit Split(Fortune[] all, ulong seed = 19)
    {
        // A seeded shuffle (sort by a counter-based key): the same split on every machine.
        Fortune[] order = [.. all.Select((f, i) => (f, key: CounterRandom.Bits(seed, 0, (ulong)i)))
            .Where(p => Words(p.f.Text).Split(' ').Length >= MinimumWords).OrderBy(p => p.key).Select(p => p.f)];
        if (order.Length < TestCount + TrainCount)
        {
            throw new InvalidDataException($"{order.Length} fortunes have at least {MinimumWords} words; the split needs {TestCount + TrainCount}.");
        }

        Fortune[] test = order[..TestCount];
        var held = new HashSet<Fortune>(test, ReferenceEqualityComparer.Instance);
        return new FortuneSplit([.. all.Where(f => !held.Contains(f))], order[TestCount..(TestCount + TrainCount)], test);
    }

    /// <summary>The vocabulary of the pretraining corpus: the 7 special tokens, then the most frequent words up to <see cref="Sizes.Vocab"/>.</summary>
    public static WordVocabulary Vocabulary(IEnumerable<Fortune> corpus) =>
        WordVocabulary.Build(corpus.Select(f => Words(f.Text)), minCount: 2, maxSize: Sizes.Vocab);

    /// <summary><c>&lt;cls&gt;</c> and the fortune's words (unknown words as <c>&lt;unk&gt;</c>), cut at <see cref="Sizes.Length"/>.</summary>
    public static int[] Encode(WordVocabulary vocabulary, Fortune fortune)
    {
        int[] words = vocabulary.Encode(Words(fortune.Text));
        int n = Math.Min(words.Length, Sizes.Length - 1);
        int[] ids = new int[n + 1];
        ids[0] = vocabulary.Special.Cls;
        words.AsSpan(0, n).CopyTo(ids.AsSpan(1));
        return ids;
    }

    /// <summary>
    /// The odd-word task, a simpler form of SentEval's semantic odd man out (Conneau et al. 2018): with probability 1/2
    /// (seeded per example) one word of the encoded fortune is replaced by another word drawn from the corpus by its
    /// frequency (a random word of a random fortune of <paramref name="corpus"/>), and the label says whether it was (1)
    /// or not (0). As the replacement has the corpus's word frequencies, spotting it takes knowing which words fit their
    /// context.
    /// </summary>
    /// <param name="vocabulary">The vocabulary.</param>
    /// <param name="fortune">The fortune (at least <see cref="MinimumWords"/> words).</param>
    /// <param name="index">The example's index: with <paramref name="seed"/>, it decides whether, where and by what to replace.</param>
    /// <param name="corpus">The encoded corpus the replacements come from.</param>
    /// <param name="seed">The seed of the task's draws.</param>
    public static LabeledTokens OddWord(WordVocabulary vocabulary, Fortune fortune, int index, int[][] corpus, ulong seed = 29)
    {
        int[] ids = Encode(vocabulary, fortune);
        ulong draw = 8 * (ulong)index;
        if (CounterRandom.Uniform(seed, 2, draw) < 0.5f)
        {
            return new LabeledTokens(ids, 0);
        }

        return new LabeledTokens(ids, Replace(vocabulary, ids, draw, corpus, seed) ? 1 : 0);
    }

    /// <summary>
    /// Both forms of the odd-word task for one fortune: as written (label 0) and with one word replaced as
    /// <see cref="OddWord"/> replaces it (label 1); none when no replacement could be drawn. Pairs halve the noise of a
    /// measurement (each fortune is seen both ways) and keep a classifier from telling the classes apart by the fortune.
    /// </summary>
    public static IEnumerable<LabeledTokens> OddWordPair(WordVocabulary vocabulary, Fortune fortune, int index, int[][] corpus, ulong seed = 29)
    {
        int[] ids = Encode(vocabulary, fortune), replaced = (int[])ids.Clone();
        if (Replace(vocabulary, replaced, 8 * (ulong)index, corpus, seed))
        {
            yield return new LabeledTokens(ids, 0);
            yield return new LabeledTokens(replaced, 1);
        }
    }

    /// <summary>Replaces one word of <paramref name="ids"/> (after <c>&lt;cls&gt;</c>) by a word of a random corpus fortune; false when six draws found none.</summary>
    private static bool Replace(WordVocabulary vocabulary, int[] ids, ulong draw, int[][] corpus, ulong seed)
    {
        int position = 1 + (int)(CounterRandom.Bits(seed, 2, draw + 1) % (ulong)(ids.Length - 1));
        for (ulong attempt = 0; attempt < 6; attempt++)
        {
            int[] source = corpus[(int)(CounterRandom.Bits(seed, 3, draw + attempt) % (ulong)corpus.Length)];
            int word = source[1 + (int)(CounterRandom.Bits(seed, 4, draw + attempt) % (ulong)(source.Length - 1))];
            if (word != ids[position] && word >= vocabulary.SpecialCount)
            {
                ids[position] = word;
                return true;
            }
        }

        return false;     // six draws gave the same word or a special token: left as it is
    }

    /// <summary>
    /// The continuation task, next-sentence prediction as a labelled task: for every two consecutive sentences A, B of a
    /// fortune, <c>&lt;cls&gt; A &lt;sep&gt; B &lt;sep&gt;</c> (label 0, B is the real continuation) and the same A with a
    /// sentence of another of <paramref name="fortunes"/> as B (label 1), drawn by <paramref name="seed"/>; both items of a
    /// pair share A, so A alone tells nothing. Pairs longer than <see cref="Sizes.Length"/> lose words from the end of the
    /// longer sentence. Fortunes of one sentence give no item.
    /// </summary>
    public static List<LabeledTokens> ContinuationPairs(WordVocabulary vocabulary, IEnumerable<Fortune> fortunes, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        List<IReadOnlyList<int[]>> documents = [.. Documents(vocabulary, fortunes).Select(d => (IReadOnlyList<int[]>)[.. d.Where(s => s.Length > 0)]).Where(d => d.Count >= 2)];
        var items = new List<LabeledTokens>();
        ulong draw = 0;
        for (int d = 0; d < documents.Count; d++)
        {
            for (int s = 0; s + 1 < documents[d].Count; s++, draw++)
            {
                int other = (d + 1 + (int)(CounterRandom.Bits(seed, 5, draw) % (ulong)(documents.Count - 1))) % documents.Count;
                int[] random = documents[other][(int)(CounterRandom.Bits(seed, 6, draw) % (ulong)documents[other].Count)];
                items.Add(new LabeledTokens(Pair(vocabulary.Special, documents[d][s], documents[d][s + 1]), 0));
                items.Add(new LabeledTokens(Pair(vocabulary.Special, documents[d][s], random), 1));
            }
        }

        return items;
    }

    private static int[] Pair(SpecialTokens special, int[] a, int[] b)
    {
        int na = a.Length, nb = b.Length;
        while (na + nb + 3 > Sizes.Length)
        {
            if (na >= nb)
            {
                na--;
            }
            else
            {
                nb--;
            }
        }

        return [special.Cls, .. a.AsSpan(0, na), special.Sep, .. b.AsSpan(0, nb), special.Sep];
    }
}
