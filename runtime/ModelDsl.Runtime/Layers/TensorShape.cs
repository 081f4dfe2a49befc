using System;
using System.Collections.Generic;

namespace ModelDsl;

/// <summary>
/// A planned tensor shape: its text as the generator shows it (<c>[B,T,64]</c>, where <c>B</c> and <c>T</c> are
/// the run-time batch size and sequence length) and the maximum size of every dimension.
/// </summary>
public sealed class TensorShape
{
    private readonly int[] _maxSizes;

    /// <summary>Creates a shape.</summary>
    /// <param name="text">Display text, e.g. <c>[B,T,64]</c>.</param>
    /// <param name="maxSizes">Maximum size of each dimension (batch and length at their declared maxima).</param>
    public TensorShape(string text, params int[] maxSizes)
    {
        Text = text ?? throw new ArgumentNullException(nameof(text));
        _maxSizes = (int[])(maxSizes ?? throw new ArgumentNullException(nameof(maxSizes))).Clone();
    }

    /// <summary>Display text, e.g. <c>[B,T,64]</c>.</summary>
    public string Text { get; }

    /// <summary>Maximum size of each dimension.</summary>
    public IReadOnlyList<int> MaxSizes => _maxSizes;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _maxSizes.Length;

    /// <summary>Number of elements at the maximum sizes.</summary>
    public long MaxElementCount
    {
        get
        {
            long count = 1;
            foreach (int size in _maxSizes)
            {
                count *= size;
            }

            return count;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Text;
}
