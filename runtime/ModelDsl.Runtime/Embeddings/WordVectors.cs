using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics.Tensors;
using System.Text;
using ModelDsl.IO;

namespace ModelDsl.Embeddings;

/// <summary>One neighbour found by <see cref="WordVectors.Nearest(string, int)"/> or <see cref="WordVectors.Analogy"/>.</summary>
/// <param name="Word">The word.</param>
/// <param name="Index">Its row in the table.</param>
/// <param name="Similarity">The cosine similarity (for an analogy, with the normalized query <c>â - b̂ + ĉ</c>).</param>
public readonly record struct Neighbour(string Word, int Index, float Similarity);

/// <summary>
/// A table of word vectors <c>[words, D]</c> with cosine similarity, nearest neighbours and analogies (3CosAdd), saved and
/// loaded in the word2vec text format.
/// </summary>
/// <remarks>
/// Neighbours are ranked by cosine similarity, highest first, ties to the lower row; a zero vector has similarity 0 with
/// everything. The table of unit vectors that searches use is built on the first search.
/// The text format is word2vec.c's: a first line <c>"{words} {D}"</c>, then one line per word, the word and D numbers
/// separated by single spaces (a trailing space is accepted). Words are non-empty and contain no whitespace.
/// </remarks>
public sealed class WordVectors
{
    private readonly string[] _words;
    private readonly float[] _vectors;
    private readonly Dictionary<string, int> _index;
    private float[]? _unit;

    /// <summary>Copies <paramref name="vectors"/> (<c>[words.Count, dimension]</c>) under <paramref name="words"/>.</summary>
    public WordVectors(IReadOnlyList<string> words, ReadOnlySpan<float> vectors, int dimension)
    {
        ArgumentNullException.ThrowIfNull(words);
        Guard.Positive(dimension);
        Guard.Length(vectors, (long)words.Count * dimension);
        _words = new string[words.Count];
        _index = new Dictionary<string, int>(words.Count, StringComparer.Ordinal);
        for (int i = 0; i < words.Count; i++)
        {
            string word = words[i];
            if (string.IsNullOrEmpty(word) || word.AsSpan().IndexOfAny(" \t\r\n\f\v") >= 0)
            {
                throw new ArgumentException($"Word {i} ('{word}') is empty or contains whitespace.", nameof(words));
            }

            if (!_index.TryAdd(word, i))
            {
                throw new ArgumentException($"Word {i} ('{word}') repeats word {_index[word]}.", nameof(words));
            }

            _words[i] = word;
        }

        _vectors = vectors.ToArray();
        Dimension = dimension;
    }

    /// <summary>The vector width D.</summary>
    public int Dimension { get; }

    /// <summary>The number of words.</summary>
    public int Count => _words.Length;

    /// <summary>The words, in row order.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>The vector of row <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_words.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Row must be in [0, {_words.Length}).");
            }

            return _vectors.AsSpan(index * Dimension, Dimension);
        }
    }

    /// <summary>The vector of <paramref name="word"/>.</summary>
    public ReadOnlySpan<float> this[string word] => this[IndexOf(word)];

    /// <summary>Whether <paramref name="word"/> has a vector, and its row.</summary>
    public bool TryGetIndex(string word, out int index) => _index.TryGetValue(word, out index);

    /// <summary>The row of <paramref name="word"/>; throws naming it if it has none.</summary>
    public int IndexOf(string word) =>
        _index.TryGetValue(word, out int index) ? index : throw new KeyNotFoundException($"'{word}' has no vector (not in the vocabulary of {Count} words).");

    /// <summary><c>a·b / (|a| |b|)</c>, or 0 when either is the zero vector.</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"The vectors have different lengths ({a.Length} and {b.Length}).", nameof(b));
        }

        float na = TensorPrimitives.Norm(a), nb = TensorPrimitives.Norm(b);
        return na == 0 || nb == 0 ? 0 : TensorPrimitives.Dot(a, b) / (na * nb);
    }

    /// <summary>The cosine similarity of two words.</summary>
    public float Similarity(string a, string b) => Cosine(this[a], this[b]);

    /// <summary>The <paramref name="k"/> words most similar to <paramref name="word"/>, itself excluded.</summary>
    public Neighbour[] Nearest(string word, int k)
    {
        int index = IndexOf(word);
        return Nearest(this[index], k, [index]);
    }

    /// <summary>The <paramref name="k"/> rows most similar to <paramref name="query"/>, except the rows <paramref name="exclude"/>.</summary>
    public Neighbour[] Nearest(ReadOnlySpan<float> query, int k, ReadOnlySpan<int> exclude)
    {
        Guard.Length(query, Dimension);
        Guard.Positive(k);
        var unit = UnitVectors();
        float norm = TensorPrimitives.Norm(query);
        int d = Dimension;
        var best = new List<Neighbour>(k + 1);
        for (int i = 0; i < _words.Length; i++)
        {
            if (exclude.Contains(i))
            {
                continue;
            }

            float similarity = norm == 0 ? 0 : TensorPrimitives.Dot(query, unit.AsSpan(i * d, d)) / norm;
            if (best.Count == k && similarity <= best[k - 1].Similarity)
            {
                continue;
            }

            int at = best.Count;
            while (at > 0 && best[at - 1].Similarity < similarity)
            {
                at--;
            }

            best.Insert(at, new Neighbour(_words[i], i, similarity));
            if (best.Count > k)
            {
                best.RemoveAt(k);
            }
        }

        return best.ToArray();
    }

    /// <summary>
    /// 3CosAdd: the <paramref name="k"/> words nearest to <c>â - b̂ + ĉ</c> (unit vectors), excluding the three words, so that
    /// <c>Analogy("king", "man", "woman")</c> should give "queen".
    /// </summary>
    public Neighbour[] Analogy(string a, string b, string c, int k = 1)
    {
        int ia = IndexOf(a), ib = IndexOf(b), ic = IndexOf(c);
        var unit = UnitVectors();
        int d = Dimension;
        var query = new float[d];
        TensorPrimitives.Subtract(unit.AsSpan(ia * d, d), unit.AsSpan(ib * d, d), query);
        TensorPrimitives.Add(query, unit.AsSpan(ic * d, d), query);
        return Nearest(query, k, [ia, ib, ic]);
    }

    /// <summary>Writes the word2vec text format to <paramref name="path"/> atomically (a temporary file renamed over it).</summary>
    public void SaveText(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        TemporaryFiles.RemoveStale(fullPath);
        string temporary = TemporaryFiles.For(fullPath);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" })
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Count} {Dimension}"));
                var line = new StringBuilder();
                for (int i = 0; i < Count; i++)
                {
                    line.Clear().Append(_words[i]);
                    foreach (float value in this[i])
                    {
                        line.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture));
                    }

                    writer.WriteLine(line);
                }

                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // Left for TemporaryFiles.RemoveStale.
            }

            throw;
        }

        TemporaryFiles.FlushDirectory(Path.GetDirectoryName(fullPath)!);
    }

    /// <summary>
    /// Reads the word2vec text format. The header is checked first (two positive integers, and a file long enough for what
    /// it promises, before anything is allocated for it); then every line (the word, exactly D finite numbers, no repeated
    /// word, exactly the promised number of lines). Any violation throws <see cref="InvalidDataException"/> naming the file,
    /// the line and the rule, and nothing is returned.
    /// </summary>
    public static WordVectors LoadText(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long size = new FileInfo(path).Length;
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        string? header = reader.ReadLine();
        var fields = header?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields is null || fields.Length != 2
            || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int dimension)
            || count <= 0 || dimension <= 0)
        {
            throw Malformed(path, 1, $"the first line must be '<words> <dimension>' (two positive integers), not '{Shorten(header)}'");
        }

        // Each value needs at least two characters (a digit and a separator), each word two (a letter and a newline).
        if ((long)count * (2L * dimension + 2) > size)
        {
            throw Malformed(path, 1, $"the header promises {count} words of {dimension} values, more than the file's {size} bytes can hold");
        }

        var words = new string[count];
        var vectors = new float[(long)count * dimension];
        var seen = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            int lineNumber = i + 2;
            string? line = reader.ReadLine()
                ?? throw Malformed(path, lineNumber, $"the file ends after {i} of the {count} words its header promises");
            var parts = line.TrimEnd(' ').Split(' ');
            if (parts.Length != dimension + 1 || parts[0].Length == 0)
            {
                throw Malformed(path, lineNumber, $"expected a word and {dimension} values separated by single spaces, found {parts.Length - 1} values");
            }

            if (!seen.TryAdd(parts[0], lineNumber))
            {
                throw Malformed(path, lineNumber, $"the word '{parts[0]}' repeats line {seen[parts[0]]}");
            }

            words[i] = parts[0];
            for (int j = 0; j < dimension; j++)
            {
                if (!float.TryParse(parts[j + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
                {
                    throw Malformed(path, lineNumber, $"value {j} of '{parts[0]}' ('{Shorten(parts[j + 1])}') is not a finite number");
                }

                vectors[(long)i * dimension + j] = value;
            }
        }

        string? rest;
        while ((rest = reader.ReadLine()) is not null)
        {
            if (rest.Length > 0)
            {
                throw Malformed(path, count + 2, $"the file has more lines than the {count} words its header promises");
            }
        }

        return new WordVectors(words, vectors, dimension);
    }

    private float[] UnitVectors()
    {
        if (_unit is null)
        {
            var unit = new float[_vectors.Length];
            int d = Dimension;
            for (int i = 0; i < _words.Length; i++)
            {
                var row = _vectors.AsSpan(i * d, d);
                float norm = TensorPrimitives.Norm(row);
                if (norm > 0)
                {
                    TensorPrimitives.Multiply(row, 1 / norm, unit.AsSpan(i * d, d));
                }
            }

            _unit = unit;
        }

        return _unit;
    }

    private static InvalidDataException Malformed(string path, int line, string rule) =>
        new($"{path}: line {line}: not a word2vec text file: {rule}. Nothing was loaded.");

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "...";
}
