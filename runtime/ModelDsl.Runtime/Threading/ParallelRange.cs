namespace ModelDsl.Threading;

/// <summary>Splits <c>[0, total)</c> into <c>parts</c> contiguous chunks of near-equal size.</summary>
public static class ParallelRange
{
    /// <summary>The half-open range of chunk <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public static (int Start, int End) Chunk(int total, int parts, int part)
    {
        int baseSize = total / parts, extra = total % parts;
        int start = part * baseSize + (part < extra ? part : extra);
        int size = baseSize + (part < extra ? 1 : 0);
        return (start, start + size);
    }
}
