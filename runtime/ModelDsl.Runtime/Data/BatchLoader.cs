using System;
using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Randomness;
using ModelDsl.Training;

namespace ModelDsl.Data;

/// <summary>Writes one example into one row of a batch (through the batch's checked setters).</summary>
/// <typeparam name="TBatch">The model's generated <c>Batch</c>.</typeparam>
/// <typeparam name="TExample">The example type.</typeparam>
/// <param name="batch">The batch to fill.</param>
/// <param name="row">The row, in <c>[0, MaxBatch)</c>.</param>
/// <param name="example">The example.</param>
public delegate void RowWriter<in TBatch, in TExample>(TBatch batch, int row, TExample example);

/// <summary>
/// Batches by number: the batch for training step <c>index + 1</c> is the <c>index</c>-th one <see cref="Fill"/> gives, whatever
/// was filled before, so a run resumed from a checkpoint reads exactly the batches the uninterrupted run would have read.
/// </summary>
/// <typeparam name="TBatch">The model's generated <c>Batch</c>.</typeparam>
public interface IBatchSource<in TBatch>
    where TBatch : IBatch
{
    /// <summary>Examples in one epoch.</summary>
    int ExampleCount { get; }

    /// <summary>Batches in one epoch (the last one may be partial).</summary>
    long BatchesPerEpoch { get; }

    /// <summary>Fills <paramref name="batch"/> with the <paramref name="index"/>-th batch since the first epoch and sets its <c>Count</c>.</summary>
    /// <param name="batch">The batch to fill.</param>
    /// <param name="index">The batch's number from 0; epoch <c>index / BatchesPerEpoch</c>.</param>
    /// <returns>The rows filled.</returns>
    int Fill(TBatch batch, long index);

    /// <summary>Examples in the batches before the <paramref name="index"/>-th one.</summary>
    long ExamplesBefore(long index);
}

/// <summary>How a <see cref="BatchLoader{TBatch, TExample}"/> orders its examples.</summary>
public sealed record LoaderOptions
{
    /// <summary>Rows per batch; 0 takes the batch's <c>MaxBatch</c>.</summary>
    public int BatchSize { get; init; }

    /// <summary>Whether the examples are shuffled, differently each epoch (default true; false for validation data).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>The seed of the shuffles: same seed, same order every run.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Batches per bucketing window, with <c>lengthOf</c> given: within each window of <c>BucketWindow × BatchSize</c>
    /// shuffled examples, examples are sorted by length so each batch holds rows of similar length; the batches are then
    /// shuffled. Default 16.
    /// </summary>
    public int BucketWindow { get; init; } = 16;
}

/// <summary>
/// Fills a model's generated <c>Batch</c> from in-memory examples, shuffled each epoch with a seed and optionally
/// bucketed by length. Every example is written once into a scratch batch when the loader is made, so a bad one (too
/// long, a token id out of range, a non-finite feature) is refused then, named by its index; after construction,
/// <see cref="Fill"/> allocates nothing.
/// </summary>
/// <typeparam name="TBatch">The model's generated <c>Batch</c>.</typeparam>
/// <typeparam name="TExample">The example type.</typeparam>
public sealed class BatchLoader<TBatch, TExample> : IBatchSource<TBatch>
    where TBatch : IBatch, new()
{
    private const ulong ShuffleStream = 0x5348_5546_464C_4531; // "SHUFFLE1"
    private const ulong BatchOrderStream = 0x4241_5443_484F_5244; // "BATCHORD"
    private readonly IReadOnlyList<TExample> _examples;
    private readonly RowWriter<TBatch, TExample> _write;
    private readonly LoaderOptions _options;
    private readonly int[] _order;
    private readonly int[]? _lengths;
    private readonly int[]? _keys;
    private readonly int[] _batchOrder;
    private long _epoch = -1;

    /// <summary>Checks every example and prepares the orders.</summary>
    /// <param name="examples">The examples (kept, not copied: do not change them while the loader is used).</param>
    /// <param name="write">Writes one example into one row; see <see cref="Rows"/> for ready-made writers.</param>
    /// <param name="options">Batch size, shuffling and bucketing; null for the defaults.</param>
    /// <param name="lengthOf">The length to bucket by (e.g. the source's token count), or null for no bucketing.</param>
    /// <exception cref="ArgumentException">An example does not fit the batch: the message names its index and what is wrong.</exception>
    public BatchLoader(IReadOnlyList<TExample> examples, RowWriter<TBatch, TExample> write, LoaderOptions? options = null, Func<TExample, int>? lengthOf = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(write);
        _examples = examples;
        _write = write;
        _options = options ?? new LoaderOptions();
        var scratch = new TBatch();
        BatchSize = _options.BatchSize == 0 ? scratch.MaxBatch : _options.BatchSize;
        if (BatchSize < 1 || BatchSize > scratch.MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(options), BatchSize, string.Create(CultureInfo.InvariantCulture,
                $"BatchSize {BatchSize} must be between 1 and the batch's MaxBatch ({scratch.MaxBatch})."));
        }

        if (examples.Count == 0)
        {
            throw new ArgumentException("There are no examples: a loader needs at least one.", nameof(examples));
        }

        if (lengthOf is not null && _options.BucketWindow < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.BucketWindow, "BucketWindow must be at least 1.");
        }

        for (int i = 0; i < examples.Count; i++)
        {
            try
            {
                write(scratch, 0, examples[i]);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Example {i}: {e.Message}"), nameof(examples), e);
            }
        }

        _order = new int[examples.Count];
        _batchOrder = new int[BatchesPerEpochOf(examples.Count, BatchSize)];
        if (lengthOf is not null)
        {
            _lengths = new int[examples.Count];
            _keys = new int[examples.Count];
            for (int i = 0; i < examples.Count; i++)
            {
                _lengths[i] = lengthOf(examples[i]);
            }
        }
    }

    /// <summary>Rows per batch.</summary>
    public int BatchSize { get; }

    /// <inheritdoc/>
    public int ExampleCount => _examples.Count;

    /// <inheritdoc/>
    public long BatchesPerEpoch => _batchOrder.Length;

    /// <inheritdoc/>
    public long ExamplesBefore(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        long epochs = index / _batchOrder.Length;
        long within = index % _batchOrder.Length;
        return (epochs * _examples.Count) + Math.Min(within * BatchSize, _examples.Count);
    }

    /// <inheritdoc/>
    public int Fill(TBatch batch, long index)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        long epoch = index / _batchOrder.Length;
        if (epoch != _epoch)
        {
            Arrange(epoch);
        }

        int start = _batchOrder[(int)(index % _batchOrder.Length)] * BatchSize;
        int rows = Math.Min(BatchSize, _examples.Count - start);
        for (int row = 0; row < rows; row++)
        {
            _write(batch, row, _examples[_order[start + row]]);
        }

        batch.Count = rows;
        return rows;
    }

    /// <summary>The example indices of epoch <paramref name="epoch"/> in the order batches read them (batch by batch), for inspection and tests.</summary>
    public int[] OrderOf(long epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        Arrange(epoch);
        var order = new int[_order.Length];
        for (int b = 0; b < _batchOrder.Length; b++)
        {
            int start = _batchOrder[b] * BatchSize;
            int rows = Math.Min(BatchSize, _order.Length - start);
            Array.Copy(_order, start, order, b * BatchSize, rows);
        }

        return order;
    }

    private static int BatchesPerEpochOf(int examples, int batchSize) => (examples + batchSize - 1) / batchSize;

    // The order of one epoch, from the seed and the epoch alone (so any batch can be found without the ones before it).
    private void Arrange(long epoch)
    {
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }

        for (int b = 0; b < _batchOrder.Length; b++)
        {
            _batchOrder[b] = b;
        }

        if (_options.Shuffle)
        {
            Shuffle(_order, ShuffleStream, epoch);
        }

        if (_lengths is not null)
        {
            int window = _options.BucketWindow * BatchSize;
            for (int i = 0; i < _order.Length; i++)
            {
                _keys![i] = _lengths[_order[i]];
            }

            for (int start = 0; start < _order.Length; start += window)
            {
                int length = Math.Min(window, _order.Length - start);
                Array.Sort(_keys!, _order, start, length);
            }
        }

        if (_options.Shuffle)
        {
            Shuffle(_batchOrder, BatchOrderStream, epoch);
        }

        _epoch = epoch;
    }

    private void Shuffle(int[] items, ulong stream, long epoch)
    {
        ulong seed = _options.Seed ^ (stream * 0x9E37_79B9_7F4A_7C15UL);
        for (int i = items.Length - 1; i > 0; i--)
        {
            ulong bits = CounterRandom.Bits(seed, (ulong)epoch, (ulong)i);
            int j = (int)(bits % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
