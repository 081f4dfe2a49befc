using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Microsoft.ML.Tokenizers;

namespace ModelDsl.Tokenization;

/// <summary>
/// A subword tokenizer of <c>Microsoft.ML.Tokenizers</c> (BPE, WordPiece, tiktoken) behind <see cref="ITokenizer"/>, so
/// the data helpers and models take it like a <see cref="CharVocabulary"/>. The special tokens are looked up by text in
/// the tokenizer's vocabulary (those it lacks are -1).
/// </summary>
public sealed class SubwordTokenizer : ITokenizer
{
    private readonly Tokenizer _tokenizer;
    private readonly int _size;

    /// <summary>Wraps <paramref name="tokenizer"/>.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="vocabularySize">Its number of ids (ids are in <c>[0, vocabularySize)</c>).</param>
    /// <param name="special">The ids of its special tokens.</param>
    public SubwordTokenizer(Tokenizer tokenizer, int vocabularySize, SpecialTokens special)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(special);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        _tokenizer = tokenizer;
        _size = vocabularySize;
        Special = special;
    }

    /// <summary>The wrapped tokenizer.</summary>
    public Tokenizer Inner => _tokenizer;

    /// <inheritdoc/>
    public int VocabularySize => _size;

    /// <inheritdoc/>
    public SpecialTokens Special { get; }

    /// <summary>
    /// A byte-level-free BPE tokenizer from a Hugging Face style <c>vocab.json</c> (token to id) and <c>merges.txt</c>.
    /// The special tokens are found by their texts (<c>&lt;pad&gt;</c>, ...) or the <paramref name="unknown"/> token.
    /// </summary>
    /// <param name="vocabFile">The JSON vocabulary.</param>
    /// <param name="mergesFile">The merges, one pair per line.</param>
    /// <param name="unknown">The unknown token's text (it must be in the vocabulary), or null.</param>
    public static SubwordTokenizer Bpe(string vocabFile, string mergesFile, string? unknown = "<unk>")
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabFile);
        ArgumentException.ThrowIfNullOrEmpty(mergesFile);
        var tokenizer = BpeTokenizer.Create(new BpeOptions(vocabFile, mergesFile) { UnknownToken = unknown, PreTokenizer = PreTokenizer.CreateWordOrNonWord() });
        return FromVocabulary(tokenizer, tokenizer.Vocabulary, vocabFile);
    }

    /// <summary>A WordPiece tokenizer (BERT) from a <c>vocab.txt</c> (one token per line, the line number is its id).</summary>
    /// <param name="vocabFile">The vocabulary file.</param>
    /// <param name="options">WordPiece options (unknown token, continuing-subword prefix), or null for BERT's.</param>
    public static SubwordTokenizer WordPiece(string vocabFile, WordPieceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabFile);
        var tokenizer = WordPieceTokenizer.Create(vocabFile, options);
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        int line = 0;
        foreach (string token in File.ReadLines(vocabFile))
        {
            vocabulary.TryAdd(token.Trim(), line++);
        }

        return FromVocabulary(tokenizer, vocabulary, vocabFile);
    }

    /// <summary>A tiktoken tokenizer from a <c>.tiktoken</c> file (base64 token and rank per line) and its special tokens.</summary>
    /// <param name="tiktokenFile">The ranks file.</param>
    /// <param name="specialTokens">Special token texts and ids (e.g. <c>&lt;|endoftext|&gt;</c>), or null.</param>
    /// <param name="special">Which of them are pad, bos, eos, ...; null for none.</param>
    public static SubwordTokenizer Tiktoken(string tiktokenFile, IReadOnlyDictionary<string, int>? specialTokens = null, SpecialTokens? special = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tiktokenFile);
        var tokenizer = TiktokenTokenizer.Create(tiktokenFile, preTokenizer: null, normalizer: null, specialTokens);
        int size = 0;
        foreach (string line in File.ReadLines(tiktokenFile))
        {
            int space = line.LastIndexOf(' ');
            if (space > 0 && int.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int rank))
            {
                size = Math.Max(size, rank + 1);
            }
        }

        if (specialTokens is not null)
        {
            foreach (int id in specialTokens.Values)
            {
                size = Math.Max(size, id + 1);
            }
        }

        return new SubwordTokenizer(tokenizer, size, special ?? new SpecialTokens(-1, -1, -1, -1, -1, -1, -1));
    }

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyList<int> ids = _tokenizer.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true);
        var result = new int[ids.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = ids[i];
        }

        return result;
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var kept = new List<int>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_size)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, string.Create(CultureInfo.InvariantCulture,
                    $"ids[{i}] = {id} is not a token id (vocabulary size {_size})."));
            }

            if (id == Special.Eos)
            {
                break;
            }

            if (id != Special.Pad && id != Special.Bos)
            {
                kept.Add(id);
            }
        }

        return _tokenizer.Decode(kept) ?? string.Empty;
    }

    private static SubwordTokenizer FromVocabulary(Tokenizer tokenizer, IReadOnlyDictionary<string, int> vocabulary, string file)
    {
        int size = 0;
        foreach (int id in vocabulary.Values)
        {
            size = Math.Max(size, id + 1);
        }

        if (size == 0)
        {
            throw new InvalidDataException($"{file}: the vocabulary is empty.");
        }

        int Id(string text) => vocabulary.TryGetValue(text, out int id) ? id : -1;
        var texts = SpecialTokens.Texts;
        int unknown = Id(texts[3]) >= 0 ? Id(texts[3]) : Id("[UNK]");
        var special = new SpecialTokens(
            Id(texts[0]) >= 0 ? Id(texts[0]) : Id("[PAD]"), Id(texts[1]), Id(texts[2]), unknown,
            Id(texts[4]) >= 0 ? Id(texts[4]) : Id("[MASK]"), Id(texts[5]) >= 0 ? Id(texts[5]) : Id("[CLS]"), Id(texts[6]) >= 0 ? Id(texts[6]) : Id("[SEP]"));
        return new SubwordTokenizer(tokenizer, size, special);
    }
}
