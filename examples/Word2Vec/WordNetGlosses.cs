using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace ModelDsl.Examples.WordEmbeddings;

/// <summary>
/// WordNet 3.0's glosses and synsets, read from the extract shipped in <c>data/</c> (see <c>data/LICENSE-WordNet.txt</c>):
/// one line per synset, <c>pos TAB lemmas TAB gloss</c>. The training text is the glosses only (definitions and their
/// quoted examples, lower-cased and tokenized by <see cref="Tokenize"/>); the synsets are held out as the answer key:
/// two words are synonyms when some synset lists both as lemmas (single-word lemmas only, lower-cased).
/// </summary>
public sealed class WordNetGlosses
{
    private WordNetGlosses(List<IReadOnlyList<string>> sentences, Dictionary<string, HashSet<string>> synonyms, int synsets)
    {
        Sentences = sentences;
        Synonyms = synonyms;
        SynsetCount = synsets;
    }

    /// <summary>The default location of the extract, beside the program.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "wordnet-3.0-glosses.tsv.gz");

    /// <summary>One tokenized gloss per synset.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Sentences { get; }

    /// <summary>Each single-word lemma's synonyms (lemmas sharing a synset with it), for words with at least one.</summary>
    public IReadOnlyDictionary<string, HashSet<string>> Synonyms { get; }

    /// <summary>The number of synsets read.</summary>
    public int SynsetCount { get; }

    /// <summary>Reads the gzip-compressed extract at <paramref name="path"/>.</summary>
    public static WordNetGlosses Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The WordNet extract is missing: {path} (examples/Word2Vec/data/ ships it).", path);
        }

        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return Parse(reader, path);
    }

    /// <summary>Parses lines <c>pos TAB lemmas TAB gloss</c>; a malformed line throws naming its number.</summary>
    public static WordNetGlosses Parse(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var sentences = new List<IReadOnlyList<string>>();
        var synonyms = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        int lineNumber = 0;
        string? line;
        var lemmas = new List<string>();
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            var fields = line.Split('\t');
            if (fields.Length != 3 || fields[0].Length != 1 || "nvasr".IndexOf(fields[0][0], StringComparison.Ordinal) < 0 || fields[1].Length == 0)
            {
                throw new InvalidDataException($"{source}: line {lineNumber}: expected 'pos<TAB>lemmas<TAB>gloss' with pos one of n, v, a, s, r.");
            }

            lemmas.Clear();
            foreach (string lemma in fields[1].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                string lower = lemma.ToLowerInvariant();
                if (lower.IndexOf('_', StringComparison.Ordinal) < 0 && !lemmas.Contains(lower))
                {
                    lemmas.Add(lower);
                }
            }

            foreach (string a in lemmas)
            {
                foreach (string b in lemmas)
                {
                    if (!ReferenceEquals(a, b))
                    {
                        if (!synonyms.TryGetValue(a, out var set))
                        {
                            synonyms[a] = set = new HashSet<string>(StringComparer.Ordinal);
                        }

                        set.Add(b);
                    }
                }
            }

            var tokens = Tokenize(fields[2]);
            if (tokens.Count > 0)
            {
                sentences.Add(tokens);
            }
        }

        return new WordNetGlosses(sentences, synonyms, lineNumber);
    }

    /// <summary>
    /// Lower-cased runs of letters and digits; a hyphen between two such characters stays inside the token
    /// ("wafer-thin"), every other character separates tokens.
    /// </summary>
    public static List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        var current = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            bool inner = ch == '-' && current.Length > 0 && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1]);
            if (char.IsLetterOrDigit(ch) || inner)
            {
                current.Append(char.ToLowerInvariant(ch));
            }
            else if (current.Length > 0)
            {
                tokens.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            tokens.Add(current.ToString());
        }

        return tokens;
    }
}
