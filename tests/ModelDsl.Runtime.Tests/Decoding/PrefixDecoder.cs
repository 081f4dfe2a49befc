using System;
using ModelDsl.Decoding;
using ModelDsl.Randomness;

namespace ModelDsl.Tests.Decoding;

/// <summary>
/// A decoder whose state is history: each row keeps the tokens it was fed (its prefix) and asks the model for
/// <c>p(next | source, prefix)</c>, so only a correct <see cref="Reorder"/> keeps it in step with the hypotheses the
/// search believes each row holds. It also checks the contract (steps in order, Reorder's step count, parents
/// inside the same source's rows) and records a key of every row's prefix at every step, for RowAt tests.
/// </summary>
internal sealed class PrefixDecoder : IIncrementalDecoder
{
    private readonly ISequenceModel _model;
    private readonly int[] _prefixes; // [maxRows, maxSteps]: tokens fed to each row so far, start token first
    private readonly int[] _copy;     // [maxRows, maxSteps]: Reorder's staging copy
    private readonly ulong[] _keys;   // [maxSteps, maxRows]: Key(source, prefix) right after row r was fed at step s
    private int _rows;
    private int _width = 1;
    private int _steps;

    public PrefixDecoder(ISequenceModel model, int maxRows, int maxSteps)
    {
        _model = model;
        MaxRows = maxRows;
        MaxSteps = maxSteps;
        _prefixes = new int[maxRows * maxSteps];
        _copy = new int[maxRows * maxSteps];
        _keys = new ulong[maxSteps * maxRows];
    }

    public int Vocabulary => _model.Vocabulary;

    public int MaxRows { get; }

    public int MaxSteps { get; }

    /// <summary>When set, Reorder does nothing: a broken decoder, to show the tests notice.</summary>
    public bool IgnoreReorder { get; set; }

    public int ReorderCalls { get; private set; }

    /// <summary>Starts a search over <c>batch × width</c> rows, row <c>r</c> holding source <c>r / width</c>.</summary>
    public void Prepare(int batch, int width)
    {
        _rows = batch * width;
        _width = width;
        _steps = 0;
        ReorderCalls = 0;
    }

    public void Step(ReadOnlySpan<int> tokens, int step, Span<float> logProbabilities)
    {
        if (tokens.Length != _rows || step != _steps || logProbabilities.Length != _rows * Vocabulary)
        {
            throw new InvalidOperationException($"Step({tokens.Length} rows, step {step}) after {_steps} steps on {_rows} rows.");
        }

        for (int r = 0; r < _rows; r++)
        {
            if ((uint)tokens[r] >= (uint)Vocabulary)
            {
                throw new InvalidOperationException($"row {r} fed token {tokens[r]}.");
            }

            _prefixes[r * MaxSteps + step] = tokens[r];
            ReadOnlySpan<int> prefix = _prefixes.AsSpan(r * MaxSteps, step + 1);
            _model.LogProbabilities(r / _width, prefix, logProbabilities.Slice(r * Vocabulary, Vocabulary));
            _keys[step * MaxRows + r] = Key(r / _width, prefix);
        }

        _steps = step + 1;
    }

    public void Reorder(ReadOnlySpan<int> sources, int steps)
    {
        if (sources.Length != _rows || steps != _steps)
        {
            throw new InvalidOperationException($"Reorder({sources.Length} rows, {steps} steps) after {_steps} steps on {_rows} rows.");
        }

        for (int r = 0; r < _rows; r++)
        {
            if (sources[r] / _width != r / _width)
            {
                throw new InvalidOperationException($"row {r} continues row {sources[r]}, which holds another source.");
            }
        }

        ReorderCalls++;
        if (IgnoreReorder)
        {
            return;
        }

        for (int r = 0; r < _rows; r++)
        {
            _prefixes.AsSpan(sources[r] * MaxSteps, steps).CopyTo(_copy.AsSpan(r * MaxSteps, steps));
        }

        for (int r = 0; r < _rows; r++)
        {
            _copy.AsSpan(r * MaxSteps, steps).CopyTo(_prefixes.AsSpan(r * MaxSteps, steps));
        }
    }

    /// <summary>The token at position <paramref name="step"/> of the prefix row <paramref name="row"/> holds now.</summary>
    public int Fed(int row, int step) => _prefixes[row * MaxSteps + step];

    /// <summary>The key of the prefix row <paramref name="row"/> held right after it was fed at <paramref name="step"/>.</summary>
    public ulong KeyAt(int step, int row) => _keys[step * MaxRows + row];

    /// <summary>A 64-bit hash of (source, prefix).</summary>
    public static ulong Key(int source, ReadOnlySpan<int> prefix)
    {
        ulong key = CounterRandom.Bits(12345, (ulong)source, 0);
        foreach (int token in prefix)
        {
            key = CounterRandom.Bits(key, (ulong)token, 1);
        }

        return key;
    }
}
