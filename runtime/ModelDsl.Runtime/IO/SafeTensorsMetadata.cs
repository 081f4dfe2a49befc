using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;

namespace ModelDsl.IO;

/// <summary>
/// A safetensors header's <c>__metadata__</c>: every key and value unescaped into one character array, in header order,
/// with the keys indexed in ordinal order for lookups. Strings are created when read, so a header of many tiny entries
/// costs about twice its text when opened rather than two string objects and a dictionary entry per entry (about 13x).
/// </summary>
internal sealed class SafeTensorsMetadata : IReadOnlyDictionary<string, string>
{
    /// <summary>The keys and values: entry i's key is <c>[_bounds[2i], _bounds[2i + 1])</c>, its value <c>[_bounds[2i + 1], _bounds[2i + 2])</c>.</summary>
    private readonly char[] _text;

    private readonly int[] _bounds;

    /// <summary>Entry indices sorted by key (ordinal).</summary>
    private readonly int[] _sorted;

    /// <param name="text">The unescaped keys and values, back to back.</param>
    /// <param name="bounds">2 × count + 1 positions in <paramref name="text"/>.</param>
    internal SafeTensorsMetadata(char[] text, int[] bounds)
    {
        _text = text;
        _bounds = bounds;
        _sorted = new int[Count];
        for (int i = 0; i < _sorted.Length; i++)
        {
            _sorted[i] = i;
        }

        _sorted.AsSpan().Sort((a, b) => Key(a).SequenceCompareTo(Key(b)));
    }

    public int Count => _bounds.Length / 2;

    /// <summary>A key that occurs twice, if any (checked once, when the header is read).</summary>
    internal string? FindDuplicateKey()
    {
        for (int i = 1; i < _sorted.Length; i++)
        {
            if (Key(_sorted[i - 1]).SequenceEqual(Key(_sorted[i])))
            {
                return new string(Key(_sorted[i]));
            }
        }

        return null;
    }

    public string this[string key] =>
        TryGetValue(key, out string? value) ? value : throw new KeyNotFoundException($"The safetensors metadata has no key '{key}'.");

    public IEnumerable<string> Keys
    {
        get
        {
            for (int i = 0; i < Count; i++)
            {
                yield return new string(Key(i));
            }
        }
    }

    public IEnumerable<string> Values
    {
        get
        {
            for (int i = 0; i < Count; i++)
            {
                yield return new string(Value(i));
            }
        }
    }

    public bool ContainsKey(string key) => Find(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        int entry = Find(key);
        value = entry >= 0 ? new string(Value(entry)) : null;
        return entry >= 0;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return new KeyValuePair<string, string>(new string(Key(i)), new string(Value(i)));
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private ReadOnlySpan<char> Key(int entry) => _text.AsSpan(_bounds[2 * entry], _bounds[(2 * entry) + 1] - _bounds[2 * entry]);

    private ReadOnlySpan<char> Value(int entry) => _text.AsSpan(_bounds[(2 * entry) + 1], _bounds[(2 * entry) + 2] - _bounds[(2 * entry) + 1]);

    private int Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        int low = 0, high = _sorted.Length - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) >> 1);
            int order = Key(_sorted[middle]).SequenceCompareTo(key);
            if (order == 0)
            {
                return _sorted[middle];
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }
}
