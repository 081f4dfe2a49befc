using System;
using System.Collections.Generic;
using System.Globalization;

namespace ModelDsl.IO;

/// <summary>Where training stands: the optimizer's step count and the position of the random streams.</summary>
/// <param name="Step">Optimizer steps taken (the next step is <c>Step + 1</c>).</param>
/// <param name="Seed">The seed of the run's counter-based random streams.</param>
/// <param name="RandomOffset">The next unused counter of those streams (dropout masks drawn so far).</param>
public readonly record struct TrainingPosition(long Step, ulong Seed, ulong RandomOffset);

/// <summary>
/// A training checkpoint in one safetensors file: every parameter under its PyTorch name, the optimizer
/// state as <c>optimizer.state</c>, and the <see cref="TrainingPosition"/> plus the optimizer's name in the
/// metadata. Because randomness is counter-based, resuming from a checkpoint reproduces the uninterrupted
/// run bit for bit. Writes are atomic; a load validates everything before it overwrites anything.
/// </summary>
public static class Checkpoint
{
    private const string StateTensor = "optimizer.state";

    /// <summary>Writes a checkpoint to <paramref name="path"/> (atomically).</summary>
    public static void Save(string path, IReadOnlyList<ParameterInfo> parameters, ReadOnlyMemory<float> parameterBlock,
        string optimizer, ReadOnlyMemory<float> optimizerState, TrainingPosition position)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(optimizer);
        var tensors = new List<NamedTensor>(parameters.Count + 1);
        foreach (var p in parameters)
        {
            if (p.Name == StateTensor)
            {
                throw new ArgumentException($"The parameter name '{StateTensor}' is reserved for the optimizer state.", nameof(parameters));
            }

            if (p.Offset < 0 || (long)p.Offset + p.Length > parameterBlock.Length)
            {
                throw new ArgumentException($"Parameter {p.Name} {p.ShapeText} at offset {p.Offset} does not fit in a block of {parameterBlock.Length} floats.", nameof(parameters));
            }

            tensors.Add(new NamedTensor(p.Name, p.Shape, parameterBlock.Slice(p.Offset, p.Length)));
        }

        tensors.Add(new NamedTensor(StateTensor, [optimizerState.Length], optimizerState));
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["modeldsl.optimizer"] = optimizer,
            ["modeldsl.step"] = position.Step.ToString(CultureInfo.InvariantCulture),
            ["modeldsl.seed"] = position.Seed.ToString(CultureInfo.InvariantCulture),
            ["modeldsl.random_offset"] = position.RandomOffset.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>
    /// Reads a checkpoint into <paramref name="parameterBlock"/> and <paramref name="optimizerState"/> and returns
    /// the training position. Checked first, in this order, and on any mismatch nothing is overwritten: that the file is
    /// a checkpoint; every parameter name and shape (all differences in one message, so another model's checkpoint is
    /// reported by its tensors); the optimizer's name; the step, seed and random offset; the state length.
    /// </summary>
    public static TrainingPosition Load(string path, IReadOnlyList<ParameterInfo> parameters, Span<float> parameterBlock,
        string optimizer, Span<float> optimizerState)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(path);
        TemporaryFiles.RemoveStale(System.IO.Path.GetFullPath(path));
        using var file = SafeTensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("modeldsl.optimizer", out string? saved) || !file.Metadata.TryGetValue("modeldsl.step", out string? step)
            || !file.Metadata.TryGetValue("modeldsl.seed", out string? seed) || !file.Metadata.TryGetValue("modeldsl.random_offset", out string? offset))
        {
            throw new InvalidOperationException($"{path} is not a ModelDsl checkpoint: its metadata lacks modeldsl.optimizer, modeldsl.step, modeldsl.seed or modeldsl.random_offset.");
        }

        ParameterFile.CheckMatches(file, parameters, parameterBlock.Length, ignore: StateTensor);
        if (saved != optimizer)
        {
            throw new InvalidOperationException($"{path} holds the state of a {saved} optimizer; this trainer uses {optimizer}.");
        }

        if (!long.TryParse(step, NumberStyles.None, CultureInfo.InvariantCulture, out long steps)
            || !ulong.TryParse(seed, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seedValue)
            || !ulong.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out ulong offsetValue))
        {
            throw new InvalidOperationException($"{path}: modeldsl.step '{step}', modeldsl.seed '{seed}' or modeldsl.random_offset '{offset}' is not a non-negative integer.");
        }

        if (!file.TryGet(StateTensor, out var info) || info.ElementCount != optimizerState.Length)
        {
            throw new InvalidOperationException($"{path}: the optimizer state has {(info is null ? "no tensor" : info.ElementCount + " floats")}; this trainer needs {optimizerState.Length}.");
        }

        if (info.DType is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64))
        {
            throw new InvalidOperationException($"{path}: the optimizer state is {SafeTensorsDTypes.Name(info.DType)}; it loads from F32, F16, BF16 or F64.");
        }

        // Everything is read before anything is overwritten.
        float[] state = file.ReadArray(StateTensor);
        ParameterFile.ReadInto(file, parameters, parameterBlock);
        state.CopyTo(optimizerState);
        return new TrainingPosition(steps, seedValue, offsetValue);
    }
}
