using System;
using System.Collections.Generic;
using System.Globalization;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// Date pairs encoded once into flat id arrays, with batch filling that allocates nothing.
/// <see cref="Create"/> builds a training set and a held-out validation set that share no source text.
/// </summary>
public sealed class DateDataset
{
    /// <summary>Length of every target ("yyyy-MM-dd"), without special tokens.</summary>
    public const int TargetLength = 10;

    private readonly DatePair[] _pairs;
    private readonly int[] _sources;      // (Count, SourceColumns) row-major, PAD after each length
    private readonly int[] _sourceLengths; // (Count)
    private readonly int[] _targets;      // (Count, TargetLength)
    private readonly int[] _order;        // (Count) permutation used by FillBatch

    private DateDataset(DatePair[] pairs)
    {
        _pairs = pairs;
        int longest = 0;
        long total = 0;
        foreach (var pair in pairs)
        {
            longest = Math.Max(longest, pair.Source.Length);
            total += pair.Source.Length;
        }

        LongestSource = longest;
        MeanSourceLength = pairs.Length == 0 ? 0 : total / (double)pairs.Length;
        SourceColumns = Math.Max(1, longest);
        _sources = new int[pairs.Length * SourceColumns];
        _sourceLengths = new int[pairs.Length];
        _targets = new int[pairs.Length * TargetLength];
        _order = new int[pairs.Length];
        for (int i = 0; i < pairs.Length; i++)
        {
            _sourceLengths[i] = CharVocabulary.WriteSource(pairs[i].Source, _sources.AsSpan(i * SourceColumns, SourceColumns));
            int written = CharVocabulary.Encode(pairs[i].Target, _targets.AsSpan(i * TargetLength, TargetLength));
            if (written != TargetLength)
            {
                throw new InvalidOperationException($"The target \"{pairs[i].Target}\" has {written} characters; expected {TargetLength}.");
            }

            _order[i] = i;
        }
    }

    /// <summary>
    /// The longest source any date in 1950–2049 can have in any of <see cref="DateGenerator.Formats"/> (29:
    /// "Wednesday, September 27, 2023"): the bound for a model's source length, whatever the sample.
    /// </summary>
    /// <remarks>
    /// A rendering's length depends only on the format, the weekday, the month and the day of month (years always
    /// have 2 or 4 digits here). The Gregorian calendar repeats every 28 years between 1901 and 2099, so 1950–1977
    /// holds every (weekday, month, day) combination the full range holds.
    /// </remarks>
    public static int LongestPossibleSource { get; } = ComputeLongestPossibleSource();

    /// <summary>Number of pairs.</summary>
    public int Count => _pairs.Length;

    /// <summary>The pairs, in their generated order.</summary>
    public IReadOnlyList<DatePair> Pairs => _pairs;

    /// <summary>The longest source in this set, in characters.</summary>
    public int LongestSource { get; }

    /// <summary>Mean source length in characters.</summary>
    public double MeanSourceLength { get; }

    /// <summary>Columns of the stored source rows (the longest source, at least 1).</summary>
    public int SourceColumns { get; }

    /// <summary>
    /// Makes a training set of <paramref name="trainCount"/> pairs from <c>new DateGenerator(seed)</c> and a
    /// validation set of <paramref name="validationCount"/> distinct pairs from <c>new DateGenerator(seed + 1)</c>.
    /// </summary>
    /// <remarks>
    /// Held out: a validation candidate whose source text occurs in the training set, or earlier in the validation
    /// set, is skipped. The source text is a function of (date, format), so no (date, format) pair is in both sets;
    /// the rule is slightly stronger than that, since two formats can write a date identically ("d MMM yyyy" and
    /// "dd MMM yyyy" from the 10th on), and such a text is held out too. Dates themselves may recur in another
    /// format: the task is to read formats, and 36,525 dates in 15 formats give 547,875 pairs.
    /// Duplicates inside the training set are kept (they are what a stream of random dates gives).
    /// </remarks>
    public static (DateDataset Train, DateDataset Validation) Create(int trainCount, int validationCount, int seed)
    {
        Guard.Positive(trainCount);
        Guard.Positive(validationCount);
        var trainGenerator = new DateGenerator(seed);
        var train = new DatePair[trainCount];
        var seen = new HashSet<string>(trainCount + validationCount, StringComparer.Ordinal);
        for (int i = 0; i < trainCount; i++)
        {
            train[i] = trainGenerator.Next();
            seen.Add(train[i].Source);
        }

        var validationGenerator = new DateGenerator(unchecked(seed + 1));
        var validation = new DatePair[validationCount];
        int filled = 0;
        for (int attempts = 0; filled < validationCount; attempts++)
        {
            if (attempts > 100 * validationCount)
            {
                throw new InvalidOperationException($"Could not find {validationCount} held-out pairs unseen in {trainCount} training pairs.");
            }

            DatePair candidate = validationGenerator.Next();
            if (seen.Add(candidate.Source))
            {
                validation[filled++] = candidate;
            }
        }

        return (new DateDataset(train), new DateDataset(validation));
    }

    /// <summary>The source ids of pair <paramref name="index"/> (no special tokens).</summary>
    public ReadOnlySpan<int> SourceIds(int index)
    {
        Guard.InRange(index, Count);
        return _sources.AsSpan(index * SourceColumns, _sourceLengths[index]);
    }

    /// <summary>The target ids of pair <paramref name="index"/> (no special tokens), <see cref="TargetLength"/> long.</summary>
    public ReadOnlySpan<int> TargetIds(int index)
    {
        Guard.InRange(index, Count);
        return _targets.AsSpan(index * TargetLength, TargetLength);
    }

    /// <summary>Number of batches of <paramref name="batchSize"/> rows in one pass (the last one may be partial).</summary>
    public int BatchCount(int batchSize)
    {
        Guard.Positive(batchSize);
        return (Count + batchSize - 1) / batchSize;
    }

    /// <summary>Shuffles the order <see cref="FillBatch"/> reads in place (Fisher–Yates); call once per epoch.</summary>
    public void Shuffle(System.Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        random.Shuffle(_order);
    }

    /// <summary>Restores the generated order (for a validation pass that is the same every time).</summary>
    public void ResetOrder()
    {
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }
    }

    /// <summary>
    /// Fills <paramref name="batch"/> with batch number <paramref name="batchIndex"/> of the current order, batches
    /// being <see cref="SequenceBatch.MaxBatch"/> rows, and returns the rows filled (less than MaxBatch for the last).
    /// </summary>
    public int FillBatch(SequenceBatch batch, int batchIndex)
    {
        ArgumentNullException.ThrowIfNull(batch);
        CheckColumns(batch);
        Guard.InRange(batchIndex, BatchCount(batch.MaxBatch));
        int start = batchIndex * batch.MaxBatch;
        int count = Math.Min(batch.MaxBatch, Count - start);
        for (int row = 0; row < count; row++)
        {
            int index = _order[start + row];
            batch.SetRow(row, SourceIds(index), TargetIds(index));
        }

        batch.Count = count;
        return count;
    }

    /// <summary>Fills all <see cref="SequenceBatch.MaxBatch"/> rows of <paramref name="batch"/> with pairs drawn uniformly with replacement.</summary>
    public void FillRandom(SequenceBatch batch, System.Random random)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(random);
        CheckColumns(batch);
        for (int row = 0; row < batch.MaxBatch; row++)
        {
            int index = random.Next(Count);
            batch.SetRow(row, SourceIds(index), TargetIds(index));
        }

        batch.Count = batch.MaxBatch;
    }

    private void CheckColumns(SequenceBatch batch)
    {
        if (batch.SourceColumns < LongestSource || batch.TargetColumns < TargetLength + 1)
        {
            throw new ArgumentException(
                $"The batch has {batch.SourceColumns} source and {batch.TargetColumns} target columns; this set needs {LongestSource} and {TargetLength + 1}.",
                nameof(batch));
        }
    }

    private static int ComputeLongestPossibleSource()
    {
        var first = new DateOnly(1950, 1, 1);
        int days = new DateOnly(1978, 1, 1).DayNumber - first.DayNumber;
        int longest = 0;
        Span<char> text = stackalloc char[64];
        for (int day = 0; day < days; day++)
        {
            DateOnly date = first.AddDays(day);
            foreach (string format in DateGenerator.Formats)
            {
                if (!date.TryFormat(text, out int written, format, CultureInfo.InvariantCulture))
                {
                    throw new InvalidOperationException($"A date in the format \"{format}\" is longer than {text.Length} characters.");
                }

                longest = Math.Max(longest, written);
            }
        }

        return longest;
    }
}
