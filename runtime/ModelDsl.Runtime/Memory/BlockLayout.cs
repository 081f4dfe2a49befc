using System;
using System.Collections.Generic;

namespace ModelDsl.Memory;

/// <summary>A named range of floats inside an <see cref="AlignedBlock"/>.</summary>
/// <param name="Name">Hierarchical name, e.g. <c>encoder.layers.0.self_attn.in_proj_weight</c>.</param>
/// <param name="Offset">First float, a multiple of 16 (64 bytes).</param>
/// <param name="Length">Number of floats.</param>
public readonly record struct BlockSegment(string Name, int Offset, int Length)
{
    /// <summary>One past the last float.</summary>
    public int End => Offset + Length;

    /// <inheritdoc/>
    public override string ToString() => $"{Name}[{Offset}..{End})";
}

/// <summary>
/// Plans one block: segments are added in order, each starting on a 64-byte boundary.
/// Parameters, their gradients and every optimizer state share one layout, so a parameter's
/// gradient and moments sit at the same offsets in their own blocks.
/// </summary>
public sealed class BlockLayout
{
    private const int AlignFloats = AlignedBlock.Alignment / sizeof(float);
    private readonly List<BlockSegment> _segments = [];
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private long _total;

    /// <summary>Floats the block needs, padding included.</summary>
    public int TotalLength => (int)_total;

    /// <summary>The segments in the order they were added.</summary>
    public IReadOnlyList<BlockSegment> Segments => _segments;

    /// <summary>Adds a segment of <paramref name="length"/> floats named <paramref name="name"/>.</summary>
    public BlockSegment Add(string name, int length)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Guard.NonNegative(length);
        if (_byName.ContainsKey(name))
        {
            throw new ArgumentException($"A segment named '{name}' is already in the layout.", nameof(name));
        }

        long offset = (_total + AlignFloats - 1) / AlignFloats * AlignFloats;
        long end = offset + length;
        if (end > int.MaxValue)
        {
            throw new InvalidOperationException($"Adding '{name}' ({length} floats) makes the block larger than {int.MaxValue} floats.");
        }

        var segment = new BlockSegment(name, (int)offset, length);
        _byName.Add(name, _segments.Count);
        _segments.Add(segment);
        _total = end;
        return segment;
    }

    /// <summary>The segment named <paramref name="name"/>.</summary>
    public BlockSegment this[string name] =>
        _byName.TryGetValue(name, out int index)
            ? _segments[index]
            : throw new KeyNotFoundException($"No segment named '{name}' in the layout.");

    /// <summary>Looks up a segment by name.</summary>
    public bool TryGet(string name, out BlockSegment segment)
    {
        if (_byName.TryGetValue(name, out int index))
        {
            segment = _segments[index];
            return true;
        }

        segment = default;
        return false;
    }
}
