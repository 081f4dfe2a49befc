using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using ModelDsl.IO;

namespace ModelDsl.Parity;

/// <summary>
/// One fixture file written by <c>tests/parity/generate.py</c>: cases named in its metadata, tensors
/// named <c>&lt;case&gt;/&lt;tensor&gt;</c>. Files are opened once per process and shared by every test.
/// </summary>
public sealed class Fixture
{
    private static readonly Dictionary<string, Fixture> s_cache = new(StringComparer.Ordinal);
    private readonly SafeTensorsFile _file;
    private readonly Dictionary<string, JsonElement> _cases = new(StringComparer.Ordinal);

    private Fixture(string family)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", family + ".safetensors");
        _file = SafeTensorsFile.Open(path);
        using var cases = JsonDocument.Parse(_file.Metadata["cases"]);
        foreach (var item in cases.RootElement.EnumerateArray())
        {
            _cases.Add(item.GetProperty("name").GetString()!, item.Clone());
        }
    }

    /// <summary>The fixture file of <paramref name="family"/> (e.g. "attention").</summary>
    public static Fixture Load(string family)
    {
        lock (s_cache)
        {
            if (!s_cache.TryGetValue(family, out var fixture))
            {
                fixture = new Fixture(family);
                s_cache.Add(family, fixture);
            }

            return fixture;
        }
    }

    /// <summary>The names of every case, in file order, for <c>[MemberData]</c>.</summary>
    public static TheoryData<string> CaseNames(string family, Func<JsonElement, bool>? where = null)
    {
        var data = new TheoryData<string>();
        foreach (var (name, config) in Load(family)._cases)
        {
            if (where is null || where(config))
            {
                data.Add(name);
            }
        }

        return data;
    }

    /// <summary>The configuration of case <paramref name="name"/>.</summary>
    public JsonElement Config(string name) => _cases[name];

    /// <summary>The names of case <paramref name="name"/>'s tensors, without the case prefix.</summary>
    public IEnumerable<string> TensorNames(string name)
    {
        string prefix = name + "/";
        foreach (var tensor in _file.Tensors)
        {
            if (tensor.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return tensor.Name[prefix.Length..];
            }
        }
    }

    /// <summary>Whether the case has tensor <paramref name="tensor"/>.</summary>
    public bool Has(string name, string tensor) => _file.TryGet($"{name}/{tensor}", out _);

    /// <summary>The shape of tensor <paramref name="tensor"/> of case <paramref name="name"/>.</summary>
    public int[] Shape(string name, string tensor) => Array.ConvertAll(_file[$"{name}/{tensor}"].Shape, d => checked((int)d));

    /// <summary>Float tensor <paramref name="tensor"/> of case <paramref name="name"/>.</summary>
    public float[] Floats(string name, string tensor) => _file.ReadArray($"{name}/{tensor}");

    /// <summary>Integer tensor as ints (ids, lengths).</summary>
    public int[] Ints(string name, string tensor) => Array.ConvertAll(_file.ReadIntegers($"{name}/{tensor}"), v => checked((int)v));

    /// <summary>Boolean tensor.</summary>
    public bool[] Bools(string name, string tensor) => Array.ConvertAll(_file.ReadIntegers($"{name}/{tensor}"), v => v != 0);
}
