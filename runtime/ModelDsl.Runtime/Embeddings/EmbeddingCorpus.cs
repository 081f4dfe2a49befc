using System;
using System.Collections.Generic;

namespace ModelDsl.Embeddings;

/// <summary>
/// A tokenized training corpus for <see cref="Word2Vec"/>, <see cref="FastText"/> and <see cref="GloVe"/>: the vocabulary
/// (every word seen at least <c>minCount</c> times, most frequent first, ties in ordinal order, as word2vec.c sorts it),
/// each word's count, and the corpus as word ids in sentences. Words below <c>minCount</c> are dropped from the token
/// stream (word2vec.c does the same), and a sentence longer than <c>maxSentenceLength</c> is cut into pieces of that
/// length (word2vec.c's <c>MAX_SENTENCE_LENGTH</c> is 1000).
/// </summary>
public sealed class EmbeddingCorpus
{
    private readonly string[] _words;
    private readonly long[] _counts;
    private readonly int[] _tokens;
    private readonly int[] _sentenceStarts;
    private readonly Dictionary<string, int> _ids;

    private EmbeddingCorpus(string[] words, long[] counts, int[] tokens, int[] sentenceStarts, Dictionary<string, int> ids)
    {
        _words = words;
        _counts = counts;
        _tokens = tokens;
        _sentenceStarts = sentenceStarts;
        _ids = ids;
    }

    /// <summary>The vocabulary, most frequent first.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>How often each vocabulary word occurs in the corpus (<c>[Words.Count]</c>).</summary>
    public ReadOnlySpan<long> Counts => _counts;

    /// <summary>The corpus as vocabulary ids, sentence after sentence.</summary>
    public ReadOnlySpan<int> Tokens => _tokens;

    /// <summary>The number of sentences (after cutting long ones).</summary>
    public int SentenceCount => _sentenceStarts.Length - 1;

    /// <summary>The number of kept tokens (words of the vocabulary) in the corpus.</summary>
    public long TokenCount => _tokens.Length;

    /// <summary>The ids of sentence <paramref name="index"/>.</summary>
    public ReadOnlySpan<int> Sentence(int index)
    {
        if ((uint)index >= (uint)SentenceCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Sentence index must be in [0, {SentenceCount}).");
        }

        return _tokens.AsSpan(_sentenceStarts[index], _sentenceStarts[index + 1] - _sentenceStarts[index]);
    }

    /// <summary>The id of <paramref name="word"/>, or false if it is not in the vocabulary.</summary>
    public bool TryGetId(string word, out int id) => _ids.TryGetValue(word, out id);

    /// <summary>
    /// Counts the words of <paramref name="sentences"/>, keeps those seen at least <paramref name="minCount"/> times and
    /// writes every sentence as ids.
    /// </summary>
    public static EmbeddingCorpus Build(IReadOnlyList<IReadOnlyList<string>> sentences, int minCount = 5, int maxSentenceLength = 1000)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        Guard.Positive(minCount);
        Guard.Positive(maxSentenceLength);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int s = 0; s < sentences.Count; s++)
        {
            var sentence = sentences[s] ?? throw new ArgumentException($"Sentence {s} is null.", nameof(sentences));
            for (int i = 0; i < sentence.Count; i++)
            {
                string word = sentence[i];
                if (string.IsNullOrEmpty(word))
                {
                    throw new ArgumentException($"Sentence {s}, word {i} is empty.", nameof(sentences));
                }

                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }

        var kept = new List<KeyValuePair<string, long>>();
        foreach (var pair in counts)
        {
            if (pair.Value >= minCount)
            {
                kept.Add(pair);
            }
        }

        kept.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        var words = new string[kept.Count];
        var wordCounts = new long[kept.Count];
        var ids = new Dictionary<string, int>(kept.Count, StringComparer.Ordinal);
        for (int i = 0; i < kept.Count; i++)
        {
            words[i] = kept[i].Key;
            wordCounts[i] = kept[i].Value;
            ids.Add(words[i], i);
        }

        var tokens = new List<int>();
        var starts = new List<int> { 0 };
        for (int s = 0; s < sentences.Count; s++)
        {
            int length = 0;
            foreach (string word in sentences[s])
            {
                if (!ids.TryGetValue(word, out int id))
                {
                    continue;
                }

                if (length == maxSentenceLength)
                {
                    starts.Add(tokens.Count);
                    length = 0;
                }

                tokens.Add(id);
                length++;
            }

            if (length > 0)
            {
                starts.Add(tokens.Count);
            }
        }

        return new EmbeddingCorpus(words, wordCounts, tokens.ToArray(), starts.ToArray(), ids);
    }
}
