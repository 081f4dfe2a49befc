using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using ModelDsl.Randomness;

namespace ModelDsl.Embeddings;

/// <summary>Hyper-parameters of <see cref="GloVe"/>; defaults are the paper's (x_max 100, α 3/4, AdaGrad at 0.05).</summary>
public sealed record GloVeOptions
{
    /// <summary>The vector width D.</summary>
    public int Dimension { get; init; } = 100;

    /// <summary>The count at which the weight f reaches 1.</summary>
    public double XMax { get; init; } = 100;

    /// <summary>The exponent of the weight f below <see cref="XMax"/>.</summary>
    public double Alpha { get; init; } = 0.75;

    /// <summary>AdaGrad's learning rate.</summary>
    public float LearningRate { get; init; } = 0.05f;

    /// <summary>Passes over the non-zero entries (the paper: 50 below D = 300, 100 above).</summary>
    public int Epochs { get; init; } = 25;

    /// <summary>The seed of the initialization and of each epoch's order.</summary>
    public ulong Seed { get; init; } = 1;

    internal void Validate()
    {
        Guard.Positive(Dimension);
        Guard.Positive(Epochs);
        if (!(XMax > 0) || !(Alpha >= 0) || !(LearningRate > 0) || double.IsInfinity(XMax) || double.IsInfinity(Alpha) || float.IsInfinity(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(XMax), $"XMax ({XMax}) and LearningRate ({LearningRate}) must be finite and positive, Alpha ({Alpha}) finite and non-negative.");
        }
    }
}

/// <summary>
/// GloVe (Pennington et al., 2014): word vectors <c>w</c>, context vectors <c>w̃</c> and biases fitted to the log
/// co-occurrence counts by <see cref="GloVeLoss"/>, with AdaGrad (Duchi et al.) as the paper trains them: each parameter
/// keeps the sum <c>G</c> of its squared gradients and moves by <c>-lr · g / √G</c>. <c>G</c> starts at 1 (glove.c's
/// choice; the paper does not say), parameters uniform in <c>[-0.5/D, 0.5/D)</c> (glove.c). Each epoch visits every
/// non-zero entry once in a fresh seeded random order. The vectors returned are <c>w + w̃</c>, as the paper reports.
/// Single-threaded and deterministic; every buffer is allocated by the constructor, epochs allocate nothing.
/// </summary>
public sealed class GloVe
{
    private readonly Cooccurrences _counts;
    private readonly IReadOnlyList<string> _words;
    private readonly GloVeOptions _options;
    private readonly float[] _word, _context;             // [V, D]
    private readonly float[] _wordBias, _contextBias;     // [V]
    private readonly float[] _wordSquares, _contextSquares; // [V, D]: AdaGrad's G
    private readonly float[] _wordBiasSquares, _contextBiasSquares; // [V]
    private readonly float[] _dWord, _dContext, _root;    // [D]
    private readonly float[] _logCounts, _weights;        // [entries]
    private readonly int[] _order;                        // [entries]
    private int _epoch;

    /// <summary>Allocates and initializes the parameters for <paramref name="counts"/> over <paramref name="words"/>.</summary>
    public GloVe(Cooccurrences counts, IReadOnlyList<string> words, GloVeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(words);
        if (words.Count != counts.WordCount)
        {
            throw new ArgumentException($"{words.Count} words for a {counts.WordCount}×{counts.WordCount} co-occurrence matrix.", nameof(words));
        }

        if (counts.EntryCount == 0)
        {
            throw new ArgumentException("The co-occurrence matrix is empty: nothing to fit.", nameof(counts));
        }

        _options = options ?? new GloVeOptions();
        _options.Validate();
        _counts = counts;
        _words = words;
        int v = counts.WordCount, d = _options.Dimension;
        _word = Initial((long)v * d, 0);
        _context = Initial((long)v * d, 1);
        _wordBias = Initial(v, 2);
        _contextBias = Initial(v, 3);
        _wordSquares = Ones((long)v * d);
        _contextSquares = Ones((long)v * d);
        _wordBiasSquares = Ones(v);
        _contextBiasSquares = Ones(v);
        _dWord = new float[d];
        _dContext = new float[d];
        _root = new float[d];
        _logCounts = new float[counts.EntryCount];
        _weights = new float[counts.EntryCount];
        _order = new int[counts.EntryCount];
        for (int i = 0; i < counts.EntryCount; i++)
        {
            _logCounts[i] = (float)Math.Log(counts.Values[i]);
            _weights[i] = (float)GloVeLoss.Weight(counts.Values[i], _options.XMax, _options.Alpha);
            _order[i] = i;
        }
    }

    /// <summary>The word vectors <c>w</c> <c>[V, D]</c>.</summary>
    public Span<float> WordVectors => _word;

    /// <summary>The context vectors <c>w̃</c> <c>[V, D]</c>.</summary>
    public Span<float> ContextVectors => _context;

    /// <summary>Runs <see cref="GloVeOptions.Epochs"/> epochs; returns the mean loss per entry of the last.</summary>
    public double Train()
    {
        double loss = 0;
        for (int e = 0; e < _options.Epochs; e++)
        {
            loss = TrainEpoch();
        }

        return loss;
    }

    /// <summary>One AdaGrad pass over every non-zero entry in a seeded random order; returns the mean loss per entry before each update.</summary>
    public double TrainEpoch()
    {
        ulong stream = 100 + (ulong)_epoch++;
        for (int i = _order.Length - 1; i > 0; i--)
        {
            int j = (int)(((CounterRandom.Bits(_options.Seed, stream, (ulong)i) >> 32) * (ulong)(i + 1)) >> 32);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }

        double loss = 0;
        for (int n = 0; n < _order.Length; n++)
        {
            loss += Update(_order[n]);
        }

        return loss / _order.Length;
    }

    /// <summary>The vectors <c>w + w̃</c> under the words (a copy).</summary>
    public WordVectors ToWordVectors()
    {
        var sum = new float[_word.Length];
        TensorPrimitives.Add(_word, _context, sum);
        return new WordVectors(_words, sum, _options.Dimension);
    }

    private float Update(int entry)
    {
        int d = _options.Dimension;
        int i = _counts.Rows[entry], j = _counts.Columns[entry];
        var w = _word.AsSpan(i * d, d);
        var c = _context.AsSpan(j * d, d);
        float diff = TensorPrimitives.Dot(w, c) + _wordBias[i] + _contextBias[j] - _logCounts[entry];
        float f = _weights[entry];
        float e = 2 * f * diff;   // ∂J/∂b = ∂J/∂b̃; ∂J/∂w = e w̃, ∂J/∂w̃ = e w
        TensorPrimitives.Multiply(c, e, _dWord);
        TensorPrimitives.Multiply(w, e, _dContext);
        AdaGrad(w, _wordSquares.AsSpan(i * d, d), _dWord);
        AdaGrad(c, _contextSquares.AsSpan(j * d, d), _dContext);
        float lr = _options.LearningRate;
        _wordBiasSquares[i] += e * e;
        _wordBias[i] -= lr * e / MathF.Sqrt(_wordBiasSquares[i]);
        _contextBiasSquares[j] += e * e;
        _contextBias[j] -= lr * e / MathF.Sqrt(_contextBiasSquares[j]);
        return f * diff * diff;
    }

    // G += g²; θ -= lr · g / √G, in place. The gradient span is overwritten.
    private void AdaGrad(Span<float> parameters, Span<float> squares, Span<float> gradient)
    {
        TensorPrimitives.MultiplyAdd(gradient, gradient, squares, squares);
        TensorPrimitives.Sqrt(squares, _root);
        TensorPrimitives.Divide(gradient, _root, gradient);
        TensorPrimitives.MultiplyAdd(gradient, -_options.LearningRate, parameters, parameters);
    }

    private float[] Initial(long length, ulong stream)
    {
        var values = new float[length];
        for (long k = 0; k < length; k++)
        {
            values[k] = (CounterRandom.Uniform(_options.Seed, stream, (ulong)k) - 0.5f) / _options.Dimension;
        }

        return values;
    }

    private static float[] Ones(long length)
    {
        var values = new float[length];
        Array.Fill(values, 1f);
        return values;
    }
}
