using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace ModelDsl.IO;

/// <summary>Why a non-strict load left a tensor out.</summary>
public enum SkipReason
{
    /// <summary>The model has the tensor; the file does not (it keeps its current values). PyTorch's <c>missing_keys</c>.</summary>
    MissingInFile,

    /// <summary>The file has the tensor; the model does not. PyTorch's <c>unexpected_keys</c>.</summary>
    UnexpectedInFile,

    /// <summary>Both have the name, with different shapes (both are given).</summary>
    ShapeMismatch,

    /// <summary>The file holds it in a dtype that does not load as floats (integers, booleans).</summary>
    NotFloat,
}

/// <summary>One tensor a non-strict load did not load, and why.</summary>
/// <param name="Name">The state-dict name.</param>
/// <param name="Reason">Why it was skipped.</param>
/// <param name="FileShape">Its shape in the file (null when the file lacks it).</param>
/// <param name="ModelShape">Its shape in the model (null when the model lacks it).</param>
public sealed record SkippedTensor(string Name, SkipReason Reason, IReadOnlyList<long>? FileShape, IReadOnlyList<int>? ModelShape)
{
    /// <summary>One line: the name, the reason and the shapes, e.g. <c>head.weight: shape [2, 8] in the file, [5, 8] in the model</c>.</summary>
    public override string ToString() => Reason switch
    {
        SkipReason.MissingInFile => $"{Name} {Shape(ModelShape)}: missing in the file",
        SkipReason.UnexpectedInFile => $"{Name} {Shape(FileShape)}: unexpected (not in the model)",
        SkipReason.ShapeMismatch => $"{Name}: shape {Shape(FileShape)} in the file, {Shape(ModelShape)} in the model",
        _ => $"{Name} {Shape(FileShape)}: not a float tensor in the file",
    };

    private static string Shape<T>(IReadOnlyList<T>? shape) => shape is null ? "[?]" : "[" + string.Join(", ", shape) + "]";
}

/// <summary>
/// What <see cref="ParameterFile.LoadMatching"/> did: the tensors it loaded and the ones it skipped with the reason, as
/// PyTorch's <c>load_state_dict(strict=False)</c> returns its <c>missing_keys</c> and <c>unexpected_keys</c> (and as
/// PyTorch does not, the tensors whose shapes differ, which it would refuse).
/// </summary>
public sealed class LoadReport
{
    internal LoadReport(string path, IReadOnlyList<string> loaded, IReadOnlyList<SkippedTensor> skipped)
    {
        Path = path;
        Loaded = loaded;
        Skipped = skipped;
    }

    /// <summary>The file that was read.</summary>
    public string Path { get; }

    /// <summary>The names loaded (same name, same shape, float dtype), in the model's order.</summary>
    public IReadOnlyList<string> Loaded { get; }

    /// <summary>Every tensor left out: the model's first (in its order), then the file's unexpected ones (in the file's name order).</summary>
    public IReadOnlyList<SkippedTensor> Skipped { get; }

    /// <summary>The model's tensors the file lacks (PyTorch's <c>missing_keys</c>).</summary>
    public IReadOnlyList<string> MissingKeys => Names(SkipReason.MissingInFile);

    /// <summary>The file's tensors the model lacks (PyTorch's <c>unexpected_keys</c>).</summary>
    public IReadOnlyList<string> UnexpectedKeys => Names(SkipReason.UnexpectedInFile);

    /// <summary>The names both have with different shapes.</summary>
    public IReadOnlyList<string> ShapeMismatches => Names(SkipReason.ShapeMismatch);

    /// <summary>A summary: how many were loaded, then one line per skipped tensor.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Path).Append(": loaded ").Append(Loaded.Count).Append(" tensors, skipped ").Append(Skipped.Count);
        foreach (SkippedTensor skipped in Skipped)
        {
            text.Append("\n  ").Append(skipped);
        }

        return text.ToString();
    }

    private string[] Names(SkipReason reason) => [.. Skipped.Where(s => s.Reason == reason).Select(s => s.Name)];
}
