using System;
using System.Collections.Generic;
using ModelDsl.Memory;

namespace ModelDsl;

/// <summary>One parameter tensor in a model's parameter block, named as in a PyTorch <c>state_dict</c>.</summary>
public sealed class ParameterEntry
{
    private readonly int[] _shape;

    /// <summary>Creates an entry.</summary>
    /// <param name="name">State-dict name, e.g. <c>encoder.layers.0.linear1.weight</c>.</param>
    /// <param name="offset">First float in the block (a multiple of 16).</param>
    /// <param name="length">Number of floats (the product of <paramref name="shape"/>).</param>
    /// <param name="shape">PyTorch shape, e.g. <c>[out, in]</c> for a linear weight.</param>
    public ParameterEntry(string name, int offset, int length, params int[] shape)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Offset = offset;
        Length = length;
        _shape = (int[])(shape ?? throw new ArgumentNullException(nameof(shape))).Clone();
    }

    /// <summary>State-dict name.</summary>
    public string Name { get; }

    /// <summary>First float in the block.</summary>
    public int Offset { get; }

    /// <summary>Number of floats.</summary>
    public int Length { get; }

    /// <summary>PyTorch shape.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The same range as a <see cref="BlockSegment"/>.</summary>
    public BlockSegment Segment => new(Name, Offset, Length);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", _shape)}] @{Offset}";
}
