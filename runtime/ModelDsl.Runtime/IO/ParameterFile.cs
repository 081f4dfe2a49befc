using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace ModelDsl.IO;

/// <summary>A parameter tensor inside a model's flat parameter block.</summary>
/// <param name="Name">PyTorch <c>state_dict</c> name, e.g. <c>encoder.layers.0.norm1.weight</c>.</param>
/// <param name="Offset">First float in the block.</param>
/// <param name="Shape">Dimensions, PyTorch order (a linear weight is <c>[out, in]</c>).</param>
public sealed record ParameterInfo(string Name, int Offset, int[] Shape)
{
    /// <summary>Number of floats: the product of <see cref="Shape"/>.</summary>
    public int Length
    {
        get
        {
            int length = 1;
            foreach (int dim in Shape)
            {
                length *= dim;
            }

            return length;
        }
    }

    /// <summary>The shape as <c>[a, b]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// Saves and loads a model's parameters as safetensors under their PyTorch names, so weights move
/// between ModelDsl and PyTorch (<c>model.load_state_dict(safetensors.torch.load_file(path))</c>).
/// </summary>
public static class ParameterFile
{
    /// <summary>Writes every parameter of <paramref name="block"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, IReadOnlyList<ParameterInfo> parameters, ReadOnlyMemory<float> block,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var tensors = new NamedTensor[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            CheckInBlock(p, block.Length);
            tensors[i] = new NamedTensor(p.Name, p.Shape, block.Slice(p.Offset, p.Length));
        }

        SafeTensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="block"/>. Every name and shape is checked first;
    /// a file that does not match gets one exception listing each missing, unexpected or mis-shaped
    /// tensor, and <paramref name="block"/> is left untouched. Values are read into a staging copy
    /// and copied in only when every tensor has been read.
    /// </summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="block">The parameter block to fill.</param>
    /// <param name="ignore">A tensor name the file may hold beside the parameters (a checkpoint's optimizer state).</param>
    public static void Load(string path, IReadOnlyList<ParameterInfo> parameters, Span<float> block, string? ignore = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(path);
        TemporaryFiles.RemoveStale(System.IO.Path.GetFullPath(path));
        using var file = SafeTensorsFile.Open(path);
        CheckMatches(file, parameters, block.Length, ignore);
        ReadInto(file, parameters, block);
    }

    /// <summary>
    /// Non-strict load for transfer learning (PyTorch's <c>load_state_dict(strict=False)</c>): every tensor of
    /// <paramref name="parameters"/> that <paramref name="path"/> holds under the same name, with the same shape and a float
    /// dtype, is loaded into <paramref name="block"/>; the others keep their values. The returned report lists what was
    /// loaded and what was skipped and why (missing in the file, unexpected in the file, shapes differing, with both shapes).
    /// A checkpoint's optimizer state is not a parameter and is neither loaded nor reported. A malformed file is rejected
    /// by <see cref="SafeTensorsFile.Open"/> before anything is read, and the loaded tensors are staged and copied in only
    /// once all of them have been read, so a failed load leaves <paramref name="block"/> untouched.
    /// </summary>
    /// <param name="path">The safetensors file (a <see cref="Save"/> output, a checkpoint, or a PyTorch state dict).</param>
    /// <param name="parameters">The model's tensors.</param>
    /// <param name="block">The block to fill.</param>
    /// <returns>What was loaded and what was skipped.</returns>
    public static LoadReport LoadMatching(string path, IReadOnlyList<ParameterInfo> parameters, Span<float> block)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(path);
        TemporaryFiles.RemoveStale(System.IO.Path.GetFullPath(path));
        using var file = SafeTensorsFile.Open(path);
        string? ignore = file.Metadata.ContainsKey("modeldsl.optimizer") ? "optimizer.state" : null;
        var matching = new List<ParameterInfo>();
        var skipped = new List<SkippedTensor>();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            CheckInBlock(p, block.Length);
            expected.Add(p.Name);
            if (!file.TryGet(p.Name, out var info))
            {
                skipped.Add(new SkippedTensor(p.Name, SkipReason.MissingInFile, null, p.Shape));
            }
            else if (!SameShape(info.Shape, p.Shape))
            {
                skipped.Add(new SkippedTensor(p.Name, SkipReason.ShapeMismatch, info.Shape, p.Shape));
            }
            else if (info.DType is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64))
            {
                skipped.Add(new SkippedTensor(p.Name, SkipReason.NotFloat, info.Shape, p.Shape));
            }
            else
            {
                matching.Add(p);
            }
        }

        foreach (var tensor in file.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (!expected.Contains(tensor.Name) && tensor.Name != ignore)
            {
                skipped.Add(new SkippedTensor(tensor.Name, SkipReason.UnexpectedInFile, tensor.Shape, null));
            }
        }

        var staging = new float[matching.Sum(p => p.Length)];
        int at = 0;
        foreach (var p in matching)
        {
            file.Read(p.Name, staging.AsSpan(at, p.Length));
            at += p.Length;
        }

        at = 0;
        foreach (var p in matching)
        {
            staging.AsSpan(at, p.Length).CopyTo(block.Slice(p.Offset, p.Length));
            at += p.Length;
        }

        return new LoadReport(file.Path, [.. matching.Select(p => p.Name)], skipped);
    }

    /// <summary>
    /// Throws one <see cref="InvalidOperationException"/> listing every parameter of <paramref name="parameters"/> that
    /// <paramref name="file"/> lacks or holds with another shape or a non-float dtype, and every tensor of the file that is
    /// neither a parameter nor <paramref name="ignore"/>.
    /// </summary>
    internal static void CheckMatches(SafeTensorsFile file, IReadOnlyList<ParameterInfo> parameters, int blockLength, string? ignore)
    {
        var problems = new StringBuilder();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            CheckInBlock(p, blockLength);
            expected.Add(p.Name);
            if (!file.TryGet(p.Name, out var info))
            {
                problems.Append("\n  missing: ").Append(p.Name).Append(' ').Append(p.ShapeText);
            }
            else if (!SameShape(info.Shape, p.Shape))
            {
                problems.Append("\n  shape: ").Append(p.Name).Append(" is ").Append(info.ShapeText)
                    .Append(" in the file, ").Append(p.ShapeText).Append(" in the model");
            }
            else if (info.DType is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64))
            {
                problems.Append("\n  dtype: ").Append(p.Name).Append(" is ").Append(SafeTensorsDTypes.Name(info.DType))
                    .Append("; floats load from F32, F16, BF16 or F64");
            }
        }

        foreach (var tensor in file.Tensors)
        {
            if (!expected.Contains(tensor.Name) && tensor.Name != ignore)
            {
                problems.Append("\n  unexpected: ").Append(tensor.Name).Append(' ').Append(tensor.ShapeText);
            }
        }

        if (problems.Length > 0)
        {
            throw new InvalidOperationException($"{file.Path} does not match the model:{problems}");
        }
    }

    /// <summary>
    /// Reads every parameter (already checked by <see cref="CheckMatches"/>) into a staging copy, then copies them into
    /// <paramref name="block"/>: a read error leaves the block untouched.
    /// </summary>
    internal static void ReadInto(SafeTensorsFile file, IReadOnlyList<ParameterInfo> parameters, Span<float> block)
    {
        var staging = new float[block.Length];
        foreach (var p in parameters)
        {
            file.Read(p.Name, staging.AsSpan(p.Offset, p.Length));
        }

        foreach (var p in parameters)
        {
            staging.AsSpan(p.Offset, p.Length).CopyTo(block.Slice(p.Offset, p.Length));
        }
    }

    private static bool SameShape(long[] file, int[] model)
    {
        if (file.Length != model.Length)
        {
            return false;
        }

        for (int i = 0; i < file.Length; i++)
        {
            if (file[i] != model[i])
            {
                return false;
            }
        }

        return true;
    }

    private static void CheckInBlock(ParameterInfo p, int blockLength)
    {
        if (p.Offset < 0 || (long)p.Offset + p.Length > blockLength)
        {
            throw new ArgumentException($"Parameter {p.Name} {p.ShapeText} at offset {p.Offset} does not fit in a block of {blockLength} floats.", nameof(p));
        }
    }
}
