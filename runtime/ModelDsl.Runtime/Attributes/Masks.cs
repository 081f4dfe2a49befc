using System;

namespace ModelDsl;

/// <summary>
/// Attention masks, declared on an attention layer and computed by the kernels (never materialized as a
/// T×T tensor when they can be computed). Polarity everywhere: allowed means "this query may attend to this key".
/// Flags combine: a key is allowed when every declared mask allows it.
/// </summary>
[Flags]
public enum Masks
{
    /// <summary>Every query attends to every key.</summary>
    None = 0,

    /// <summary>Query <c>i</c> attends to keys <c>j &lt;= i</c> (autoregressive).</summary>
    Causal = 1,

    /// <summary>Keys at or after a row's length (the padding) are masked.</summary>
    KeyPadding = 2,

    /// <summary>Query <c>i</c> attends to keys with <c>|i - j| &lt;= WindowRadius</c> (truncated attention).</summary>
    LocalWindow = 4,

    /// <summary>An adjacency matrix supplied at run time in the batch: key <c>j</c> is allowed for query <c>i</c> when <c>adjacency[i, j]</c>.</summary>
    Graph = 8,
}
