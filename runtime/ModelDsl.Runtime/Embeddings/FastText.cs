using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using System.Text;
using ModelDsl.Randomness;

namespace ModelDsl.Embeddings;

/// <summary>Hyper-parameters of <see cref="FastText"/>; defaults are fastText's skip-gram ones except <see cref="Buckets"/>.</summary>
public sealed record FastTextOptions
{
    /// <summary>The vector width D.</summary>
    public int Dimension { get; init; } = 100;

    /// <summary>The largest window radius (each position draws 1..Window).</summary>
    public int Window { get; init; } = 5;

    /// <summary>Negative words per positive.</summary>
    public int Negative { get; init; } = 5;

    /// <summary>The subsampling threshold (fastText: 1e-4); 0 keeps every word.</summary>
    public double Sample { get; init; } = 1e-4;

    /// <summary>Passes over the corpus.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>The starting learning rate, decayed linearly as in <see cref="Word2Vec"/>.</summary>
    public float LearningRate { get; init; } = 0.05f;

    /// <summary>The shortest character n-gram.</summary>
    public int MinN { get; init; } = 3;

    /// <summary>The longest character n-gram.</summary>
    public int MaxN { get; init; } = 6;

    /// <summary>Hash buckets shared by all n-grams (fastText: 2,000,000; smaller here so a model fits in a few hundred MB).</summary>
    public int Buckets { get; init; } = 200_000;

    /// <summary>The seed of every random draw.</summary>
    public ulong Seed { get; init; } = 1;

    internal void Validate()
    {
        Guard.Positive(Dimension);
        Guard.Positive(Window);
        Guard.Positive(Negative);
        Guard.Positive(Epochs);
        Guard.Positive(MinN);
        Guard.Positive(Buckets);
        if (MaxN < MinN)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxN), MaxN, $"MaxN must be at least MinN ({MinN}).");
        }

        if (!(Sample >= 0) || double.IsInfinity(Sample) || !(LearningRate > 0) || float.IsInfinity(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(Sample), $"Sample ({Sample}) must be finite and non-negative, LearningRate ({LearningRate}) finite and positive.");
        }
    }
}

/// <summary>
/// fastText-style subword skip-gram (Bojanowski et al., 2017): a word's input vector is the mean of its own row and of
/// the rows of its character n-grams (lengths <see cref="FastTextOptions.MinN"/>..<see cref="FastTextOptions.MaxN"/> of
/// <c>"&lt;" + word + "&gt;"</c>, hashed into <see cref="FastTextOptions.Buckets"/> shared rows), so a word never seen in
/// training still gets a vector from its n-grams. Trained with negative sampling like <see cref="Word2Vec"/>'s skip-gram,
/// single-threaded and deterministic; every buffer is allocated by the constructor, training allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// Hash: 32-bit FNV-1a (offset basis 2166136261, prime 16777619) over the UTF-8 bytes of the n-gram, modulo the bucket
/// count, as fastText hashes; fastText sign-extends bytes above 0x7F before the xor, so non-ASCII n-grams land in other
/// buckets than fastText's. N-grams are taken over UTF-16 characters (fastText: over UTF-8 code points); the two agree
/// outside surrogate pairs. The whole bracketed word is one of the n-grams when its length is within the range (fastText too).
/// </para>
/// <para>
/// Training, per centre word <c>w</c> with subword rows <c>S_w</c> (its own row and its n-gram buckets): its input
/// <c>h = mean(S_w)</c> is computed once per window; each neighbour within the drawn radius is the positive of one
/// <see cref="NegativeSamplingLoss.Step"/> (output rows updated at once); the summed <c>∂L/∂h</c> of the window is then
/// added, times <c>-lr</c>, to every row of <c>S_w</c> (fastText adds the whole gradient to every row too, but after each
/// neighbour, recomputing <c>h</c>). Negatives come from <see cref="NegativeSampler"/> (unigram^0.75; fastText uses
/// ^0.5 and redraws a negative equal to the positive, here it is skipped). Subsampling, learning-rate decay and
/// initialization of the output rows (zero) as in <see cref="Word2Vec"/>; input rows uniform in <c>[-1/D, 1/D)</c> (fastText).
/// </para>
/// </remarks>
public sealed class FastText
{
    private const ulong InitStream = 10, KeepStream = 11, WindowStream = 12, NegativeStream = 13;

    private readonly EmbeddingCorpus _corpus;
    private readonly FastTextOptions _options;
    private readonly NegativeSampler _sampler;
    private readonly float[] _keep;           // [words]
    private readonly float[] _input;          // [words + buckets, D]
    private readonly float[] _output;         // [words, D]
    private readonly int[] _subwordStarts;    // [words + 1]
    private readonly int[] _subwords;         // rows of every word's S_w, word after word
    private readonly float[] _hidden, _gradient, _windowGradient; // [D]
    private readonly int[] _targets;          // [1 + Negative]
    private readonly int[] _sentence;         // [longest sentence]
    private readonly long _totalTokens;
    private ulong _keepDraws, _windowDraws, _negativeDraws;

    /// <summary>Hashes every vocabulary word's n-grams, allocates the rows and every training buffer.</summary>
    public FastText(EmbeddingCorpus corpus, FastTextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        _options = options ?? new FastTextOptions();
        _options.Validate();
        if (corpus.Words.Count == 0)
        {
            throw new ArgumentException("The corpus has no word: lower minCount or give more text.", nameof(corpus));
        }

        _corpus = corpus;
        int words = corpus.Words.Count, d = _options.Dimension;
        _sampler = new NegativeSampler(corpus.Counts);
        _keep = Subsampling.KeepProbabilities(corpus.Counts, _options.Sample);
        _input = new float[((long)words + _options.Buckets) * d];
        for (long i = 0; i < _input.Length; i++)
        {
            _input[i] = (2 * CounterRandom.Uniform(_options.Seed, InitStream, (ulong)i) - 1) / d;
        }

        _output = new float[(long)words * d];
        _subwordStarts = new int[words + 1];
        var rows = new List<int>();
        var buckets = new List<int>();
        for (int w = 0; w < words; w++)
        {
            rows.Add(w);
            buckets.Clear();
            NGramBuckets(corpus.Words[w], buckets);
            foreach (int b in buckets)
            {
                rows.Add(words + b);
            }

            _subwordStarts[w + 1] = rows.Count;
        }

        _subwords = rows.ToArray();
        _hidden = new float[d];
        _gradient = new float[d];
        _windowGradient = new float[d];
        _targets = new int[1 + _options.Negative];
        int longest = 1;
        for (int s = 0; s < corpus.SentenceCount; s++)
        {
            longest = Math.Max(longest, corpus.Sentence(s).Length);
        }

        _sentence = new int[longest];
        _totalTokens = corpus.TokenCount * _options.Epochs;
    }

    /// <summary>The input rows <c>[words + buckets, D]</c>: each word's own row, then the n-gram buckets.</summary>
    public Span<float> InputRows => _input;

    /// <summary>Corpus tokens read so far.</summary>
    public long TokensSeen { get; private set; }

    /// <summary>The learning rate of the next sentence: <c>lr₀ · max(1e-4, 1 - seen / (Epochs · TokenCount + 1))</c>.</summary>
    public float LearningRate =>
        _options.LearningRate * (float)Math.Max(1e-4, 1 - (double)TokensSeen / (_totalTokens + 1));

    /// <summary>
    /// The character n-grams of <paramref name="word"/>: every substring of <c>"&lt;" + word + "&gt;"</c> of length
    /// <paramref name="minN"/> to <paramref name="maxN"/>, by start position then length.
    /// </summary>
    public static List<string> CharacterNGrams(string word, int minN = 3, int maxN = 6)
    {
        ArgumentException.ThrowIfNullOrEmpty(word);
        string bracketed = "<" + word + ">";
        var grams = new List<string>();
        for (int start = 0; start < bracketed.Length; start++)
        {
            for (int n = minN; n <= maxN && start + n <= bracketed.Length; n++)
            {
                grams.Add(bracketed.Substring(start, n));
            }
        }

        return grams;
    }

    /// <summary>32-bit FNV-1a over the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static uint Fnv1a(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 16777619;
        }

        return hash;
    }

    /// <summary>
    /// The vector of any word: for a vocabulary word the mean of its own row and its n-gram rows (what training used);
    /// for another word the mean of its n-gram rows (zero if it has none).
    /// </summary>
    public float[] Vector(string word)
    {
        ArgumentException.ThrowIfNullOrEmpty(word);
        int d = _options.Dimension;
        var vector = new float[d];
        if (_corpus.TryGetId(word, out int id))
        {
            Mean(_subwords.AsSpan(_subwordStarts[id], _subwordStarts[id + 1] - _subwordStarts[id]), vector);
            return vector;
        }

        var buckets = new List<int>();
        NGramBuckets(word, buckets);
        if (buckets.Count == 0)
        {
            return vector;
        }

        var rows = buckets.ToArray();
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] += _corpus.Words.Count;
        }

        Mean(rows, vector);
        return vector;
    }

    /// <summary>The vocabulary's vectors (<see cref="Vector"/> of each word).</summary>
    public WordVectors ToWordVectors()
    {
        int d = _options.Dimension;
        var all = new float[_corpus.Words.Count * d];
        for (int w = 0; w < _corpus.Words.Count; w++)
        {
            Mean(_subwords.AsSpan(_subwordStarts[w], _subwordStarts[w + 1] - _subwordStarts[w]), all.AsSpan(w * d, d));
        }

        return new WordVectors(_corpus.Words, all, d);
    }

    /// <summary>Runs every epoch; returns the mean loss per example of the last.</summary>
    public double Train()
    {
        double loss = 0;
        for (int e = 0; e < _options.Epochs; e++)
        {
            loss = TrainEpoch();
        }

        return loss;
    }

    /// <summary>One pass over every sentence; returns the mean loss per (word, neighbour) example.</summary>
    public double TrainEpoch()
    {
        double loss = 0;
        long examples = 0;
        for (int s = 0; s < _corpus.SentenceCount; s++)
        {
            loss += TrainSentence(s, out int count);
            examples += count;
        }

        return examples == 0 ? 0 : loss / examples;
    }

    /// <summary>Trains on sentence <paramref name="index"/>; returns the summed loss and the number of examples.</summary>
    public double TrainSentence(int index, out int examples)
    {
        var raw = _corpus.Sentence(index);
        float lr = LearningRate;
        TokensSeen += raw.Length;
        int length = 0;
        foreach (int word in raw)
        {
            if (CounterRandom.Uniform(_options.Seed, KeepStream, _keepDraws++) < _keep[word])
            {
                _sentence[length++] = word;
            }
        }

        int d = _options.Dimension;
        double loss = 0;
        examples = 0;
        for (int position = 0; position < length; position++)
        {
            int radius = 1 + (int)((CounterRandom.Bits(_options.Seed, WindowStream, _windowDraws++) >> 33) % (ulong)_options.Window);
            int from = Math.Max(0, position - radius), to = Math.Min(length - 1, position + radius);
            if (to == from)
            {
                continue;
            }

            int centre = _sentence[position];
            var rows = _subwords.AsSpan(_subwordStarts[centre], _subwordStarts[centre + 1] - _subwordStarts[centre]);
            Mean(rows, _hidden);
            _windowGradient.AsSpan().Clear();
            for (int c = from; c <= to; c++)
            {
                if (c == position)
                {
                    continue;
                }

                _gradient.AsSpan().Clear();
                loss += NegativeSamplingLoss.Step(_gradient, _output, Targets(_sentence[c]), _hidden, lr, d);
                TensorPrimitives.Add(_windowGradient, _gradient, _windowGradient);
                examples++;
            }

            foreach (int row in rows)
            {
                var r = _input.AsSpan(row * d, d);
                TensorPrimitives.MultiplyAdd(_windowGradient, -lr, r, r);
            }
        }

        return loss;
    }

    private void Mean(ReadOnlySpan<int> rows, Span<float> result)
    {
        int d = _options.Dimension;
        result.Clear();
        foreach (int row in rows)
        {
            TensorPrimitives.Add(result, _input.AsSpan(row * d, d), result);
        }

        TensorPrimitives.Multiply(result, 1f / rows.Length, result);
    }

    private void NGramBuckets(string word, List<int> buckets)
    {
        foreach (string gram in CharacterNGrams(word, _options.MinN, _options.MaxN))
        {
            buckets.Add((int)(Fnv1a(gram) % (uint)_options.Buckets));
        }
    }

    private ReadOnlySpan<int> Targets(int positive)
    {
        _targets[0] = positive;
        int count = 1;
        for (int k = 0; k < _options.Negative; k++)
        {
            int negative = _sampler.Sample(_options.Seed, NegativeStream, _negativeDraws++);
            if (negative != positive)
            {
                _targets[count++] = negative;
            }
        }

        return _targets.AsSpan(0, count);
    }
}
