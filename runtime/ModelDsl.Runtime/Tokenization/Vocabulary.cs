using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace ModelDsl.Tokenization;

/// <summary>
/// A fixed token list: the reserved special tokens first (by default the seven at ids 0 to 6, <c>&lt;pad&gt; &lt;s&gt;
/// &lt;/s&gt; &lt;unk&gt; &lt;mask&gt; &lt;cls&gt; &lt;sep&gt;</c>, see <see cref="SpecialTokens.Standard"/>; a
/// <see cref="SpecialTokenSet"/> chooses fewer), then the corpus's tokens, most frequent first (ties in ordinal order),
/// so the same corpus always gives the same ids. Saved and loaded as JSON.
/// </summary>
public abstract class Vocabulary : ITokenizer
{
    private const string Format = "modeldsl.vocabulary";
    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly string[] _specialTexts;

    /// <summary>Takes the token list (the reserved specials first) and indexes it.</summary>
    /// <exception cref="ArgumentException">The reserved specials are not first, in order, a token appears twice, or
    /// <paramref name="specials"/> holds an undefined flag.</exception>
    private protected Vocabulary(IReadOnlyList<string> tokens, bool lowercase, SpecialTokenSet specials)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _specialTexts = SpecialTexts(specials);
        Lowercase = lowercase;
        Reserved = specials;
        Special = SpecialIds(specials);
        _tokens = [.. tokens];
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < _tokens.Length; i++)
        {
            if (i < _specialTexts.Length && _tokens[i] != _specialTexts[i])
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Token {i} is \"{_tokens[i]}\"; ids 0 to {_specialTexts.Length - 1} must be the special tokens {string.Join(" ", _specialTexts)} in that order."), nameof(tokens));
            }

            if (!_ids.TryAdd(_tokens[i], i))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Token {i} \"{_tokens[i]}\" is already token {_ids[_tokens[i]]}; each token appears once."), nameof(tokens));
            }
        }

        if (_tokens.Length < _specialTexts.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"A vocabulary starts with its {_specialTexts.Length} special tokens; this one has {_tokens.Length} tokens."), nameof(tokens));
        }
    }

    /// <inheritdoc/>
    public int VocabularySize => _tokens.Length;

    /// <inheritdoc/>
    public SpecialTokens Special { get; }

    /// <summary>The special tokens this vocabulary reserves (<see cref="SpecialTokenSet.All"/> unless chosen at build time).</summary>
    public SpecialTokenSet Reserved { get; }

    /// <summary>Number of reserved special tokens: the id of the first ordinary token.</summary>
    public int SpecialCount => _specialTexts.Length;

    /// <summary>Whether text is lower-cased before it is looked up.</summary>
    public bool Lowercase { get; }

    /// <summary>The tokens in id order (specials first).</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The kind written to the JSON file: <c>char</c> or <c>word</c>.</summary>
    protected abstract string Kind { get; }

    /// <summary>The id of <paramref name="token"/>, or the <c>&lt;unk&gt;</c> id.</summary>
    /// <exception cref="ArgumentException">The token is not in the vocabulary and <c>&lt;unk&gt;</c> is not reserved (the message names it).</exception>
    public int IdOf(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _ids.TryGetValue(token, out int id) ? id : Unknown(token, -1);
    }

    /// <summary>The <c>&lt;unk&gt;</c> id for a token outside the vocabulary, or an error naming it (and its position, when not -1) when <c>&lt;unk&gt;</c> is not reserved.</summary>
    private protected int Unknown(string token, int position)
    {
        if (Special.Unknown >= 0)
        {
            return Special.Unknown;
        }

        string where = position >= 0 ? string.Create(CultureInfo.InvariantCulture, $" at position {position}") : "";
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"The token \"{token}\"{where} is not in the vocabulary and it reserves no <unk> token (SpecialTokenSet.Unknown)."), nameof(token));
    }

    /// <summary>The token of <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is not in <c>[0, VocabularySize)</c>.</exception>
    public string TokenOf(int id) =>
        (uint)id < (uint)_tokens.Length
            ? _tokens[id]
            : throw new ArgumentOutOfRangeException(nameof(id), id, string.Create(CultureInfo.InvariantCulture, $"{id} is not a token id (vocabulary size {_tokens.Length})."));

    /// <inheritdoc/>
    public abstract int[] Encode(string text);

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var text = new StringBuilder();
        bool first = true;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_tokens.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, string.Create(CultureInfo.InvariantCulture,
                    $"ids[{i}] = {id} is not a token id (vocabulary size {_tokens.Length})."));
            }

            if (id == Special.Eos)
            {
                break;
            }

            if (id == Special.Pad || id == Special.Bos)
            {
                continue;
            }

            AppendToken(text, _tokens[id], first);
            first = false;
        }

        return text.ToString();
    }

    /// <summary>Appends one decoded token (a separator first for words).</summary>
    private protected abstract void AppendToken(StringBuilder text, string token, bool first);

    /// <summary>The id of a token, or -1 when it is not in the vocabulary.</summary>
    private protected int Find(string token) => _ids.TryGetValue(token, out int id) ? id : -1;

    /// <summary>Writes the vocabulary as JSON to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path) => Training.AtomicText.Write(path, ToJson());

    /// <summary>The vocabulary as JSON: <c>{"format":"modeldsl.vocabulary","version":1,"kind":...,"lowercase":...,"specials":[...],"tokens":[...]}</c>.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteNumber("version", 1);
            writer.WriteString("kind", Kind);
            writer.WriteBoolean("lowercase", Lowercase);
            writer.WriteStartArray("specials");
            foreach (string special in _specialTexts)
            {
                writer.WriteStringValue(special);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("tokens");
            foreach (string token in _tokens)
            {
                writer.WriteStringValue(token);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads a vocabulary written by <see cref="Save"/>: a <see cref="CharVocabulary"/> or a <see cref="WordVocabulary"/>.</summary>
    /// <param name="path">The JSON file.</param>
    /// <exception cref="InvalidDataException">The file is not such a vocabulary: the message names the file and what is wrong.</exception>
    public static Vocabulary Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string json = File.ReadAllText(path);
        try
        {
            return Parse(json);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a ModelDsl vocabulary: {e.Message}", e);
        }
    }

    private static Vocabulary Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("the top level must be an object.");
        }

        string format = Property(root, "format", JsonValueKind.String).GetString()!;
        if (format != Format)
        {
            throw new InvalidDataException($"\"format\" is \"{format}\", not \"{Format}\".");
        }

        int version = Property(root, "version", JsonValueKind.Number).GetInt32();
        if (version != 1)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"\"version\" {version} is not supported (1 is)."));
        }

        string kind = Property(root, "kind", JsonValueKind.String).GetString()!;
        JsonElement lowercaseElement = Property(root, "lowercase", JsonValueKind.Undefined);
        if (lowercaseElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw new InvalidDataException("\"lowercase\" must be true or false.");
        }

        SpecialTokenSet specials = root.TryGetProperty("specials", out _) ? ParseSpecials(Property(root, "specials", JsonValueKind.Array)) : SpecialTokenSet.All;
        var tokens = new List<string>();
        int index = 0;
        foreach (JsonElement token in Property(root, "tokens", JsonValueKind.Array).EnumerateArray())
        {
            if (token.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"tokens[{index}] is a {token.ValueKind}, not a string."));
            }

            tokens.Add(token.GetString()!);
            index++;
        }

        bool lowercase = lowercaseElement.GetBoolean();
        return kind switch
        {
            "char" => new CharVocabulary(tokens, lowercase, specials),
            "word" => new WordVocabulary(tokens, lowercase, specials),
            _ => throw new InvalidDataException($"\"kind\" is \"{kind}\"; it must be \"char\" or \"word\"."),
        };
    }

    /// <summary>The reserved specials listed by their texts (a file without <c>"specials"</c> reserves all seven).</summary>
    private static SpecialTokenSet ParseSpecials(JsonElement specials)
    {
        var set = SpecialTokenSet.None;
        int index = 0;
        foreach (JsonElement special in specials.EnumerateArray())
        {
            int kind = special.ValueKind == JsonValueKind.String ? Array.IndexOf(SpecialTokens.Texts, special.GetString()) : -1;
            if (kind < 0)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"specials[{index}] is {special.GetRawText()}, not one of {string.Join(" ", SpecialTokens.Texts)}."));
            }

            set |= (SpecialTokenSet)(1 << kind);
            index++;
        }

        return set;
    }

    /// <summary>The texts of the reserved specials, in id order.</summary>
    private static string[] SpecialTexts(SpecialTokenSet specials)
    {
        if ((specials & ~SpecialTokenSet.All) != 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{(int)specials} is not a set of special tokens (flags of SpecialTokenSet, at most {(int)SpecialTokenSet.All})."), nameof(specials));
        }

        var texts = new List<string>(SpecialTokens.Texts.Length);
        for (int kind = 0; kind < SpecialTokens.Texts.Length; kind++)
        {
            if (((int)specials & (1 << kind)) != 0)
            {
                texts.Add(SpecialTokens.Texts[kind]);
            }
        }

        return [.. texts];
    }

    /// <summary>The ids of the reserved specials (consecutive from 0 in the standard order), -1 for the others.</summary>
    private static SpecialTokens SpecialIds(SpecialTokenSet specials)
    {
        var ids = new int[SpecialTokens.Texts.Length];
        int next = 0;
        for (int kind = 0; kind < ids.Length; kind++)
        {
            ids[kind] = ((int)specials & (1 << kind)) != 0 ? next++ : -1;
        }

        return new SpecialTokens(ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6]);
    }

    private static JsonElement Property(JsonElement root, string name, JsonValueKind kind)
    {
        if (!root.TryGetProperty(name, out JsonElement value))
        {
            throw new InvalidDataException($"the property \"{name}\" is missing.");
        }

        if (kind != JsonValueKind.Undefined && value.ValueKind != kind)
        {
            throw new InvalidDataException($"\"{name}\" is a {value.ValueKind}, not a {kind}.");
        }

        return value;
    }

    /// <summary>Counts the tokens and keeps those seen at least <paramref name="minCount"/> times, at most <paramref name="maxSize"/> ids in all.</summary>
    private protected static List<string> TokenList(IEnumerable<string> tokens, int minCount, int maxSize, SpecialTokenSet specials)
    {
        string[] specialTexts = SpecialTexts(specials);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSize, Math.Max(1, specialTexts.Length));
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string token in tokens)
        {
            counts[token] = counts.GetValueOrDefault(token) + 1;
        }

        foreach (string special in SpecialTokens.Texts)
        {
            counts.Remove(special);
        }

        var kept = new List<KeyValuePair<string, int>>();
        foreach (var pair in counts)
        {
            if (pair.Value >= minCount)
            {
                kept.Add(pair);
            }
        }

        kept.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        var list = new List<string>(specialTexts);
        for (int i = 0; i < kept.Count && list.Count < maxSize; i++)
        {
            list.Add(kept[i].Key);
        }

        return list;
    }
}

/// <summary>One token per character (a <see cref="string"/> element: a UTF-16 code unit), for character-level models.</summary>
public sealed class CharVocabulary : Vocabulary
{
    /// <summary>A vocabulary of exactly these tokens (the reserved <paramref name="specials"/> first, then one-character tokens).</summary>
    /// <exception cref="ArgumentException">A token after the specials is not one character, or the specials are not first.</exception>
    public CharVocabulary(IReadOnlyList<string> tokens, bool lowercase = false, SpecialTokenSet specials = SpecialTokenSet.All)
        : base(tokens, lowercase, specials)
    {
        for (int i = SpecialCount; i < tokens.Count; i++)
        {
            if (tokens[i].Length != 1)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Token {i} \"{tokens[i]}\" of a character vocabulary must be one character."), nameof(tokens));
            }
        }
    }

    /// <inheritdoc/>
    protected override string Kind => "char";

    /// <summary>The characters of <paramref name="corpus"/> seen at least <paramref name="minCount"/> times, most frequent first, at most <paramref name="maxSize"/> ids with the <paramref name="specials"/> (all seven by default).</summary>
    public static CharVocabulary Build(IEnumerable<string> corpus, int minCount = 1, int maxSize = int.MaxValue, bool lowercase = false,
        SpecialTokenSet specials = SpecialTokenSet.All)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        return new CharVocabulary(TokenList(Characters(corpus, lowercase), minCount, maxSize, specials), lowercase, specials);
    }

    /// <summary>Reads a character vocabulary written by <see cref="Vocabulary.Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a character vocabulary.</exception>
    public static new CharVocabulary Load(string path) =>
        Vocabulary.Load(path) as CharVocabulary ?? throw new InvalidDataException($"{path}: a word vocabulary, not a character vocabulary.");

    /// <inheritdoc/>
    public override int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new int[text.Length];
        Encode(text, ids);
        return ids;
    }

    /// <summary>Writes the ids of <paramref name="text"/> into <paramref name="ids"/> (unknown characters get <c>&lt;unk&gt;</c>); returns the count. Allocates nothing.</summary>
    /// <exception cref="ArgumentException"><paramref name="ids"/> is shorter than the text, or a character is unknown and
    /// <c>&lt;unk&gt;</c> is not reserved (the message names it and its position).</exception>
    public int Encode(ReadOnlySpan<char> text, Span<int> ids)
    {
        if (ids.Length < text.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"ids holds {ids.Length} elements; the text needs {text.Length}."), nameof(ids));
        }

        for (int i = 0; i < text.Length; i++)
        {
            char c = Lowercase ? char.ToLowerInvariant(text[i]) : text[i];
            int id = Find(CharStrings.Of(c));
            ids[i] = id >= 0 ? id : Unknown(CharStrings.Of(c), i);
        }

        return text.Length;
    }

    private protected override void AppendToken(StringBuilder text, string token, bool first) => text.Append(token);

    private static IEnumerable<string> Characters(IEnumerable<string> corpus, bool lowercase)
    {
        foreach (string line in corpus)
        {
            foreach (char c in line)
            {
                yield return CharStrings.Of(lowercase ? char.ToLowerInvariant(c) : c);
            }
        }
    }
}

/// <summary>One token per whitespace-separated word, for word-level models; decoding joins words with one space.</summary>
public sealed class WordVocabulary : Vocabulary
{
    /// <summary>A vocabulary of exactly these tokens (the reserved <paramref name="specials"/> first).</summary>
    /// <exception cref="ArgumentException">A token after the specials is empty or holds whitespace, or the specials are not first.</exception>
    public WordVocabulary(IReadOnlyList<string> tokens, bool lowercase = false, SpecialTokenSet specials = SpecialTokenSet.All)
        : base(tokens, lowercase, specials)
    {
        for (int i = SpecialCount; i < tokens.Count; i++)
        {
            if (tokens[i].Length == 0 || tokens[i].AsSpan().IndexOfAny(Whitespace) >= 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Token {i} \"{tokens[i]}\" of a word vocabulary must be a non-empty word without whitespace."), nameof(tokens));
            }
        }
    }

    private static readonly char[] Whitespace = [' ', '\t', '\n', '\r', '\f', '\v'];

    /// <inheritdoc/>
    protected override string Kind => "word";

    /// <summary>The words of <paramref name="corpus"/> seen at least <paramref name="minCount"/> times, most frequent first, at most <paramref name="maxSize"/> ids with the <paramref name="specials"/> (all seven by default).</summary>
    public static WordVocabulary Build(IEnumerable<string> corpus, int minCount = 1, int maxSize = int.MaxValue, bool lowercase = false,
        SpecialTokenSet specials = SpecialTokenSet.All)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        return new WordVocabulary(TokenList(Words(corpus, lowercase), minCount, maxSize, specials), lowercase, specials);
    }

    /// <summary>Reads a word vocabulary written by <see cref="Vocabulary.Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a word vocabulary.</exception>
    public static new WordVocabulary Load(string path) =>
        Vocabulary.Load(path) as WordVocabulary ?? throw new InvalidDataException($"{path}: a character vocabulary, not a word vocabulary.");

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A word is unknown and <c>&lt;unk&gt;</c> is not reserved (the message names it and its position).</exception>
    public override int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] words = Split(text, Lowercase);
        var ids = new int[words.Length];
        for (int i = 0; i < words.Length; i++)
        {
            int id = Find(words[i]);
            ids[i] = id >= 0 ? id : Unknown(words[i], i);
        }

        return ids;
    }

    private protected override void AppendToken(StringBuilder text, string token, bool first)
    {
        if (!first)
        {
            text.Append(' ');
        }

        text.Append(token);
    }

    private static IEnumerable<string> Words(IEnumerable<string> corpus, bool lowercase)
    {
        foreach (string line in corpus)
        {
            foreach (string word in Split(line, lowercase))
            {
                yield return word;
            }
        }
    }

    private static string[] Split(string text, bool lowercase) =>
        (lowercase ? text.ToLowerInvariant() : text).Split(Whitespace, StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>One-character strings, cached for the Latin-1 range so lookups allocate nothing there.</summary>
internal static class CharStrings
{
    private static readonly string[] Cache = Create();

    internal static string Of(char c) => c < Cache.Length ? Cache[c] : c.ToString();

    private static string[] Create()
    {
        var cache = new string[256];
        for (int i = 0; i < cache.Length; i++)
        {
            cache[i] = ((char)i).ToString();
        }

        return cache;
    }
}
