using System.Globalization;
using System.Text;
using ModelDsl.Generator.Common;

namespace ModelDsl.Generator.Planning;

/// <summary>How a dimension's size is known.</summary>
internal enum DimKind
{
    /// <summary>The run-time batch size B, at most MaxBatch.</summary>
    Batch,

    /// <summary>A run-time sequence length, at most its input's declared maximum.</summary>
    Sequence,

    /// <summary>A compile-time size.</summary>
    Static,
}

/// <summary>One dimension: its name (B, T, D or the constant the user wrote; null for a bare literal) and its (maximum) size.</summary>
internal sealed record Dim(string? Name, long Size, DimKind Kind)
{
    /// <summary>
    /// A sequence dimension's name in generated code: the batch's length variable (<c>T</c>, or <c>TSource</c>, <c>TTarget</c>
    /// with several sequence inputs), while <see cref="Name"/> keeps the declared constant diagnostics speak of (<c>SourceLength</c>).
    /// </summary>
    public string? Code { get; init; }

    /// <summary>As generated code names it: "B", "T" / "TSource", or the value for a static size.</summary>
    public string Compact => Kind == DimKind.Static ? Size.ToString(CultureInfo.InvariantCulture) : Code ?? Name ?? "?";

    /// <summary>"B", "T", "D (64)" or "64".</summary>
    public string Named => Kind != DimKind.Static ? Name ?? "?" : Name is null ? Size.ToString(CultureInfo.InvariantCulture) : Name + " (" + Size.ToString(CultureInfo.InvariantCulture) + ")";
}

/// <summary>A tensor shape with named dimensions; <see cref="Tokens"/> marks integer token ids.</summary>
/// <param name="Source">The input whose sequence dimension this shape carries (lengths, padding), if any.</param>
internal sealed record Shape(EquatableArray<Dim> Dims, bool Tokens, string? Source)
{
    public int Rank => Dims.Count;

    /// <summary>Float [B, T, D] or token ids [B, T].</summary>
    public bool HasSequence => Rank >= 2 && Dims[1].Kind == DimKind.Sequence;

    public bool IsFloatSequence => !Tokens && Rank == 3 && HasSequence;

    /// <summary>The last dimension (the width of a float tensor).</summary>
    public Dim Last => Dims[Rank - 1];

    public long MaxElements
    {
        get
        {
            long count = 1;
            foreach (Dim dim in Dims)
            {
                count = Sizes.Multiply(count, dim.Size);
            }

            return count;
        }
    }

    /// <summary>"[B,T,64]" as in generated comments.</summary>
    public string Compact => Format(named: false);

    /// <summary>"[B, T, D (64)]" (and "token ids [B, T]") as in diagnostics.</summary>
    public string Named => (Tokens ? "token ids " : string.Empty) + Format(named: true);

    public Shape WithLast(Dim last)
    {
        var dims = new Dim[Rank];
        for (int i = 0; i < Rank; i++)
        {
            dims[i] = Dims[i];
        }

        dims[Rank - 1] = last;
        return new Shape(dims.ToEquatableArray(), false, Source);
    }

    public Shape Append(Dim dim)
    {
        var dims = new Dim[Rank + 1];
        for (int i = 0; i < Rank; i++)
        {
            dims[i] = Dims[i];
        }

        dims[Rank] = dim;
        return new Shape(dims.ToEquatableArray(), false, Source);
    }

    public static Shape Create(bool tokens, string? source, params Dim[] dims) => new(dims.ToEquatableArray(), tokens, source);

    private string Format(bool named)
    {
        var builder = new StringBuilder("[");
        for (int i = 0; i < Rank; i++)
        {
            if (i > 0)
            {
                builder.Append(named ? ", " : ",");
            }

            builder.Append(named ? Dims[i].Named : Dims[i].Compact);
        }

        return builder.Append(']').ToString();
    }
}

/// <summary>Saturating size arithmetic: absurd declarations give huge numbers, never overflow.</summary>
internal static class Sizes
{
    public static long Multiply(long a, long b)
    {
        if (a <= 0 || b <= 0)
        {
            return 0;
        }

        return a > long.MaxValue / b ? long.MaxValue : a * b;
    }

    public static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    public static long Multiply(params long[] values)
    {
        long product = 1;
        foreach (long value in values)
        {
            product = Multiply(product, value);
        }

        return product;
    }
}
