namespace ModelDsl;

/// <summary>
/// The element-wise sum of two earlier members with the same shape, e.g. token + position embeddings:
/// <c>[Add(nameof(Tokens), nameof(Positions))]</c>. Both must be float, with the same width and, for sequences, the same sequence.
/// </summary>
public sealed class AddAttribute : LayerAttribute
{
    /// <summary>Sums <paramref name="from"/> and <paramref name="other"/>.</summary>
    /// <param name="from">The first member (nameof); becomes <see cref="LayerAttribute.From"/>.</param>
    /// <param name="other">The second member (nameof).</param>
    public AddAttribute(string from, string other)
    {
        From = from;
        Other = other;
    }

    /// <summary>The second member.</summary>
    public string Other { get; }
}

/// <summary>
/// Two earlier members side by side along the features: <c>[B, a]</c> and <c>[B, b]</c> (or <c>[B, T, a]</c> and <c>[B, T, b]</c> over the
/// same sequence) give <c>[B, a + b]</c> (<c>torch.cat([x, y], dim=-1)</c>).
/// </summary>
public sealed class ConcatAttribute : LayerAttribute
{
    /// <summary>Concatenates <paramref name="from"/>'s features and then <paramref name="other"/>'s.</summary>
    /// <param name="from">The first member (nameof); becomes <see cref="LayerAttribute.From"/>.</param>
    /// <param name="other">The second member (nameof).</param>
    public ConcatAttribute(string from, string other)
    {
        From = from;
        Other = other;
    }

    /// <summary>The second member.</summary>
    public string Other { get; }
}
