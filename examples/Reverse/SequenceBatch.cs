using System;

namespace ModelDsl.Examples.Reverse;

/// <summary>
/// One reusable batch of source/target pairs laid out for teacher forcing: flat row-major int arrays shaped
/// <c>[MaxBatch, columns]</c> plus per-row lengths. Allocated once; filling it allocates nothing.
/// </summary>
/// <remarks>
/// Row <c>r</c> of <see cref="Source"/> is <c>Source[r * SourceColumns .. (r + 1) * SourceColumns)</c>; rows
/// <see cref="Count"/> and later are left as they were and must be ignored.
/// </remarks>
public sealed class SequenceBatch
{
    /// <summary>Creates a batch of at most <paramref name="maxBatch"/> rows.</summary>
    /// <param name="maxBatch">Rows.</param>
    /// <param name="sourceColumns">Longest source, in tokens.</param>
    /// <param name="targetLength">Longest target, in tokens without special tokens; the decoder rows get one more
    /// column for BOS (input) or EOS (labels).</param>
    public SequenceBatch(int maxBatch, int sourceColumns, int targetLength)
    {
        Guard.Positive(maxBatch);
        Guard.Positive(sourceColumns);
        Guard.Positive(targetLength);
        MaxBatch = maxBatch;
        SourceColumns = sourceColumns;
        TargetColumns = targetLength + 1;
        Source = new int[maxBatch * SourceColumns];
        SourceLengths = new int[maxBatch];
        DecoderInput = new int[maxBatch * TargetColumns];
        Labels = new int[maxBatch * TargetColumns];
        TargetLengths = new int[maxBatch];
    }

    /// <summary>Largest number of rows.</summary>
    public int MaxBatch { get; }

    /// <summary>Columns of <see cref="Source"/>: the longest source in tokens.</summary>
    public int SourceColumns { get; }

    /// <summary>Columns of <see cref="DecoderInput"/> and <see cref="Labels"/>: the longest target plus one.</summary>
    public int TargetColumns { get; }

    /// <summary>Rows in use, <c>[0, MaxBatch]</c>.</summary>
    public int Count { get; set; }

    /// <summary>Source ids, <c>[MaxBatch, SourceColumns]</c>, <see cref="ReverseVocabulary.Pad"/> after each row's length.</summary>
    public int[] Source { get; }

    /// <summary>Real source positions per row, <c>[MaxBatch]</c> (for the encoder's key-padding mask).</summary>
    public int[] SourceLengths { get; }

    /// <summary>Decoder input ids, <c>[MaxBatch, TargetColumns]</c>: <c>BOS y1 .. yn PAD ...</c>.</summary>
    public int[] DecoderInput { get; }

    /// <summary>Labels, <c>[MaxBatch, TargetColumns]</c>: <c>y1 .. yn EOS IgnoreIndex ...</c>.</summary>
    public int[] Labels { get; }

    /// <summary>Real decoder positions per row, <c>[MaxBatch]</c>: the target length plus one.</summary>
    public int[] TargetLengths { get; }

    /// <summary>The real source ids of row <paramref name="row"/> (its first <see cref="SourceLengths"/> columns).</summary>
    public ReadOnlySpan<int> SourceRow(int row)
    {
        Guard.InRange(row, MaxBatch);
        return Source.AsSpan(row * SourceColumns, SourceLengths[row]);
    }

    /// <summary>The real decoder input of row <paramref name="row"/>: <c>BOS y1 .. yn</c>.</summary>
    public ReadOnlySpan<int> DecoderInputRow(int row)
    {
        Guard.InRange(row, MaxBatch);
        return DecoderInput.AsSpan(row * TargetColumns, TargetLengths[row]);
    }

    /// <summary>The real labels of row <paramref name="row"/>: <c>y1 .. yn EOS</c>.</summary>
    public ReadOnlySpan<int> LabelRow(int row)
    {
        Guard.InRange(row, MaxBatch);
        return Labels.AsSpan(row * TargetColumns, TargetLengths[row]);
    }

    /// <summary>
    /// Fills row <paramref name="row"/> from already encoded ids (no special tokens): the padded source, the decoder
    /// input <c>[BOS, target]</c> and the labels <c>[target, EOS]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The source or target is longer than the batch's columns allow.</exception>
    public void SetRow(int row, ReadOnlySpan<int> source, ReadOnlySpan<int> target)
    {
        Guard.InRange(row, MaxBatch);
        if (source.Length > SourceColumns)
        {
            throw new ArgumentException($"The source has {source.Length} tokens; the batch has {SourceColumns} source columns.", nameof(source));
        }

        Span<int> sourceRow = Source.AsSpan(row * SourceColumns, SourceColumns);
        source.CopyTo(sourceRow);
        sourceRow[source.Length..].Fill(ReverseVocabulary.Pad);
        SourceLengths[row] = source.Length;
        ReverseVocabulary.WriteDecoderInput(target, DecoderInput.AsSpan(row * TargetColumns, TargetColumns));
        TargetLengths[row] = ReverseVocabulary.WriteLabels(target, Labels.AsSpan(row * TargetColumns, TargetColumns));
    }

    /// <summary>The longest real source among the first <see cref="Count"/> rows (to run the encoder on fewer columns).</summary>
    public int LongestSource() => Longest(SourceLengths);

    /// <summary>The longest real decoder row among the first <see cref="Count"/> rows.</summary>
    public int LongestTarget() => Longest(TargetLengths);

    private int Longest(int[] lengths)
    {
        int longest = 0;
        for (int row = 0; row < Count; row++)
        {
            longest = Math.Max(longest, lengths[row]);
        }

        return longest;
    }
}
