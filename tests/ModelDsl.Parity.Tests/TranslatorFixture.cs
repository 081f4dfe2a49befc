using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelDsl.IO;
using Xunit;

namespace ModelDsl.Parity;

/// <summary>Sets one row of a generated Batch input (ids or labels).</summary>
internal delegate void RowSetter(int row, ReadOnlySpan<int> values);

/// <summary>A translator case's batch: ids packed to the longest row (<c>[B, S]</c>, <c>[B, T]</c>), pad id 0, labels -100 past each row.</summary>
internal sealed record TranslatorRows(int[] Source, int[] SourceLengths, int[] Target, int[] TargetLengths, int[] Labels)
{
    public int S => SourceLengths.Max();

    public int T => TargetLengths.Max();

    public int Count => SourceLengths.Length;

    public static TranslatorRows Read(Fixture models, string name) => new(
        models.Ints(name, "source"), models.Ints(name, "source_lengths"), models.Ints(name, "target"),
        models.Ints(name, "target_lengths"), models.Ints(name, "labels"));

    /// <summary>Fills a generated Batch through its checked Set methods (labels past a row's length become the ignore index).</summary>
    public void Fill(RowSetter setSource, RowSetter setTarget, RowSetter setLabels)
    {
        for (int b = 0; b < Count; b++)
        {
            setSource(b, Source.AsSpan(b * S, SourceLengths[b]));
            setTarget(b, Target.AsSpan(b * T, TargetLengths[b]));
            setLabels(b, Labels.AsSpan(b * T, TargetLengths[b]));
        }
    }
}

/// <summary>Loads a case's PyTorch named_parameters into a generated model by name, as a user would load a state_dict.</summary>
internal static class TorchWeights
{
    private const string Prefix = "param.";

    /// <summary>
    /// Writes the case's parameters under their PyTorch names and shapes as a state_dict safetensors file in
    /// <paramref name="folder"/>, loads it with ParameterFile.Load (which throws on any missing, unexpected or mis-shaped
    /// name) and checks every tensor arrived and nothing in the state_dict was left over.
    /// </summary>
    public static void Load(Fixture models, string name, string folder, IReadOnlyList<ParameterEntry> table, Span<float> parameters)
    {
        var tensors = new List<NamedTensor>();
        foreach (string tensor in models.TensorNames(name).Where(t => t.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            tensors.Add(new NamedTensor(tensor[Prefix.Length..], models.Shape(name, tensor), models.Floats(name, tensor)));
        }

        string path = Path.Combine(folder, name + ".safetensors");
        SafeTensorsWriter.Write(path, tensors);
        parameters.Clear();
        ParameterFile.Load(path, [.. table.Select(e => new ParameterInfo(e.Name, e.Offset, [.. e.Shape]))], parameters);
        foreach (var entry in table)
        {
            Assert.True(parameters.Slice(entry.Offset, entry.Length).SequenceEqual(models.Floats(name, Prefix + entry.Name)), entry.Name);
        }

        Assert.Equal(tensors.Count, table.Count);
    }
}
