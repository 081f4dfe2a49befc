using System;
using System.Runtime.CompilerServices;

namespace ModelDsl.Kernels;

/// <summary>
/// Which keys each query may attend to in <see cref="Attention"/>. Polarity: <em>allowed</em> means
/// "query <c>i</c> may attend to key <c>j</c>". A mask is the conjunction (AND) of the parts it was
/// built from; an empty mask (<see cref="None"/>) allows everything.
/// </summary>
/// <remarks>
/// <para>Parts, each a predicate of (batch <c>b</c>, query <c>i</c>, key <c>j</c>), where query <c>i</c>
/// sits at absolute position <c>p = QueryOffset + i</c> and key <c>j</c> at position <c>j</c>:</para>
/// <list type="bullet">
/// <item><b>Causal</b>: <c>j &lt;= p</c>. With offset 0 and <c>queryLength == keyLength</c> this is the usual
/// <c>j &lt;= i</c>; for incremental decoding (one new query against a cache of <c>keyLength</c> keys)
/// use offset <c>keyLength - queryLength</c>.</item>
/// <item><b>Key padding</b>: <c>j &lt; keyLengths[b]</c>, lengths given per batch element at run time.</item>
/// <item><b>Local window</b> (truncated attention): <c>|p - j| &lt;= radius</c>.</item>
/// <item><b>Adjacency</b> (graph attention): <c>allowed[b, i, j]</c> from a row-major boolean matrix
/// <c>[B, Tq, Tk]</c>, or <c>[Tq, Tk]</c> shared by every batch element (told apart by length).</item>
/// </list>
/// <para>Causal, key padding and window are computed, never materialized: kernels derive each query's
/// contiguous range of possibly allowed keys and skip the rest. Only an adjacency matrix is data.
/// The mask borrows the spans it was given; it is a <c>ref struct</c>, so it cannot outlive them.</para>
/// </remarks>
public readonly ref struct AttentionMask
{
    private readonly ReadOnlySpan<int> _keyLengths;
    private readonly ReadOnlySpan<bool> _allowed;
    private readonly int _windowSpan; // radius + 1; 0 (the default) means no window, so default(AttentionMask) is None.

    private AttentionMask(bool causal, int queryOffset, int windowRadius, ReadOnlySpan<int> keyLengths, ReadOnlySpan<bool> allowed, bool hasKeyLengths, bool hasAllowed)
    {
        IsCausal = causal;
        QueryOffset = queryOffset;
        _windowSpan = Math.Min(windowRadius, int.MaxValue - 1) + 1;
        _keyLengths = keyLengths;
        _allowed = allowed;
        HasKeyPadding = hasKeyLengths;
        HasAdjacency = hasAllowed;
    }

    /// <summary>Every query attends to every key (the same as <c>default(AttentionMask)</c>).</summary>
    public static AttentionMask None => new(false, 0, -1, default, default, false, false);

    /// <summary>True when query position <c>QueryOffset + i</c> may attend only to keys <c>j &lt;= QueryOffset + i</c>.</summary>
    public bool IsCausal { get; }

    /// <summary>Absolute position of query 0 (used by the causal and window parts); 0 unless set.</summary>
    public int QueryOffset { get; }

    /// <summary>True when the mask has a local window part.</summary>
    public bool HasWindow => _windowSpan > 0;

    /// <summary>The window radius, or -1 when there is no window part.</summary>
    public int WindowRadius => _windowSpan - 1;

    /// <summary>True when the mask has per-batch valid key lengths.</summary>
    public bool HasKeyPadding { get; }

    /// <summary>Per-batch valid key lengths (empty unless <see cref="HasKeyPadding"/>).</summary>
    public ReadOnlySpan<int> KeyLengths => _keyLengths;

    /// <summary>True when the mask has an adjacency matrix part.</summary>
    public bool HasAdjacency { get; }

    /// <summary>The adjacency matrix, <c>[B, Tq, Tk]</c> or <c>[Tq, Tk]</c> (empty unless <see cref="HasAdjacency"/>).</summary>
    public ReadOnlySpan<bool> Allowed => _allowed;

    /// <summary>True when the mask allows everything.</summary>
    public bool IsNone => !IsCausal && !HasWindow && !HasKeyPadding && !HasAdjacency;

    /// <summary>Causal mask: query <c>i</c> (at position <paramref name="queryOffset"/> + i) sees keys <c>j &lt;= queryOffset + i</c>.</summary>
    /// <param name="queryOffset">Absolute position of query 0; <c>keyLength - queryLength</c> for incremental decoding.</param>
    public static AttentionMask Causal(int queryOffset = 0)
    {
        Guard.NonNegative(queryOffset);
        return new(true, queryOffset, -1, default, default, false, false);
    }

    /// <summary>Key padding: in batch element <c>b</c>, keys <c>j &gt;= keyLengths[b]</c> are masked.</summary>
    /// <param name="keyLengths">One valid length per batch element, each in <c>[0, keyLength]</c> (checked by the kernel).</param>
    public static AttentionMask KeyPadding(ReadOnlySpan<int> keyLengths) => None.WithKeyPadding(keyLengths);

    /// <summary>Local window (truncated attention): query at position <c>p</c> sees keys with <c>|p - j| &lt;= radius</c>.</summary>
    public static AttentionMask LocalWindow(int radius, int queryOffset = 0)
    {
        Guard.NonNegative(radius);
        Guard.NonNegative(queryOffset);
        return new(false, queryOffset, radius, default, default, false, false);
    }

    /// <summary>
    /// Adjacency (graph attention): a row-major boolean matrix, <c>[B, Tq, Tk]</c> or <c>[Tq, Tk]</c> shared by every
    /// batch element; <c>allowed[b, i, j]</c> true means query <c>i</c> may attend to key <c>j</c>.
    /// </summary>
    public static AttentionMask Adjacency(ReadOnlySpan<bool> allowed) => None.WithAdjacency(allowed);

    /// <summary>This mask AND the causal part.</summary>
    public AttentionMask WithCausal() =>
        new(true, QueryOffset, WindowRadius, _keyLengths, _allowed, HasKeyPadding, HasAdjacency);

    /// <summary>This mask with query 0 at absolute position <paramref name="queryOffset"/>.</summary>
    public AttentionMask WithQueryOffset(int queryOffset)
    {
        Guard.NonNegative(queryOffset);
        return new(IsCausal, queryOffset, WindowRadius, _keyLengths, _allowed, HasKeyPadding, HasAdjacency);
    }

    /// <summary>This mask AND key padding with per-batch valid lengths.</summary>
    public AttentionMask WithKeyPadding(ReadOnlySpan<int> keyLengths) =>
        new(IsCausal, QueryOffset, WindowRadius, keyLengths, _allowed, true, HasAdjacency);

    /// <summary>This mask AND a local window of <paramref name="radius"/>.</summary>
    public AttentionMask WithLocalWindow(int radius)
    {
        Guard.NonNegative(radius);
        return new(IsCausal, QueryOffset, radius, _keyLengths, _allowed, HasKeyPadding, HasAdjacency);
    }

    /// <summary>This mask AND an adjacency matrix (see <see cref="Adjacency"/>).</summary>
    public AttentionMask WithAdjacency(ReadOnlySpan<bool> allowed) =>
        new(IsCausal, QueryOffset, WindowRadius, _keyLengths, allowed, HasKeyPadding, true);

    /// <summary>
    /// The mask's predicate: may query <paramref name="query"/> of batch element <paramref name="batchIndex"/>
    /// attend to key <paramref name="key"/>? Assumes <see cref="Validate"/> passed for these dimensions.
    /// </summary>
    public bool IsAllowed(int batchIndex, int query, int key, int queryLength, int keyLength)
    {
        int position = QueryOffset + query;
        if (IsCausal && key > position)
        {
            return false;
        }

        if (HasWindow && Math.Abs(position - key) > WindowRadius)
        {
            return false;
        }

        if (HasKeyPadding && key >= _keyLengths[batchIndex])
        {
            return false;
        }

        if (HasAdjacency)
        {
            long plane = (long)queryLength * keyLength;
            long start = _allowed.Length == plane ? 0 : batchIndex * plane;
            return _allowed[(int)(start + (long)query * keyLength + key)];
        }

        return true;
    }

    /// <summary>
    /// Checks the mask's data against the attention dimensions: one key length per batch element, each in
    /// <c>[0, keyLength]</c>; an adjacency matrix of <c>B·Tq·Tk</c> or <c>Tq·Tk</c> entries. Messages name <c>mask</c>.
    /// </summary>
    public void Validate(int batch, int queryLength, int keyLength)
    {
        if (HasKeyPadding)
        {
            if (_keyLengths.Length != batch)
            {
                ThrowKeyLengthsCount(_keyLengths.Length, batch);
            }

            for (int b = 0; b < batch; b++)
            {
                if ((uint)_keyLengths[b] > (uint)keyLength)
                {
                    ThrowKeyLength(b, _keyLengths[b], keyLength);
                }
            }
        }

        if (HasAdjacency)
        {
            long plane = (long)queryLength * keyLength;
            if (_allowed.Length != plane && _allowed.Length != plane * batch)
            {
                ThrowAllowedLength(_allowed.Length, plane, plane * batch);
            }
        }
    }

    /// <summary>
    /// The contiguous key range <c>[start, end)</c> outside which the computed parts (causal, window, padding)
    /// mask every key of this query; empty when <c>end &lt;= start</c>. Adjacency is not applied.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void KeyRange(bool causal, int queryOffset, int windowRadius, int keyLimit, int query, out int start, out int end)
    {
        int position = queryOffset + query;
        start = 0;
        end = keyLimit;
        if (causal)
        {
            end = Math.Min(end, position + 1);
        }

        if (windowRadius >= 0)
        {
            // Clamp in 64-bit: a radius near int.MaxValue must not overflow.
            start = (int)Math.Max(start, (long)position - windowRadius);
            end = (int)Math.Min(end, (long)position + windowRadius + 1);
        }
    }

    private static void ThrowKeyLengthsCount(int actual, int batch) =>
        throw new ArgumentException($"mask.KeyLengths has {actual} elements; expected one per batch element ({batch}).", "mask");

    private static void ThrowKeyLength(int b, int length, int keyLength) =>
        throw new ArgumentException($"mask.KeyLengths[{b}] is {length}; must be in [0, keyLength = {keyLength}].", "mask");

    private static void ThrowAllowedLength(int actual, long plane, long full) =>
        throw new ArgumentException($"mask.Allowed has {actual} elements; expected Tq·Tk = {plane} or B·Tq·Tk = {full}.", "mask");
}
