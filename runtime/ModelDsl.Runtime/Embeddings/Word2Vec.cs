using System;
using System.Numerics.Tensors;
using ModelDsl.Randomness;

namespace ModelDsl.Embeddings;

/// <summary>
/// word2vec (Mikolov et al., 2013): skip-gram or CBOW trained with negative sampling, subsampling of frequent words and
/// a linearly decaying learning rate, following word2vec.c's algorithm, single-threaded and deterministic (no Hogwild
/// threads: same seed, same corpus -> same bits). Every buffer is allocated by the constructor; training allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// Input vectors start uniform in <c>[-0.5/D, 0.5/D)</c>, output vectors at zero (word2vec.c). For each sentence, words
/// are first subsampled (<see cref="Subsampling.KeepProbability"/>, word2vec.c's variant); each remaining position draws a
/// window radius <c>r</c> uniformly from <c>1..Window</c>. Skip-gram: for each neighbour <c>c</c> within <c>r</c>, the
/// input vector of <c>c</c> is the <c>h</c> of one <see cref="NegativeSamplingLoss.Step"/> whose positive is the centre
/// word (word2vec.c's order; by symmetry the same pairs as predicting neighbours from the centre). CBOW: <c>h</c> is the
/// mean of the neighbours' input vectors and the whole gradient <c>∂L/∂h</c> is added to each of them, as word2vec.c does.
/// Negatives are drawn from <see cref="NegativeSampler"/>; a negative equal to the positive is skipped (word2vec.c).
/// </para>
/// <para>
/// Learning rate: <c>lr = lr₀ · max(1e-4, 1 - seen / (Epochs · TokenCount + 1))</c> where <c>seen</c> counts the corpus
/// tokens read so far, subsampled ones included, updated at each sentence start (word2vec.c every 10,000 words).
/// Random draws: <see cref="CounterRandom"/> under <see cref="Word2VecOptions.Seed"/>, one stream per purpose, counters
/// running over the whole training.
/// </para>
/// </remarks>
public sealed class Word2Vec
{
    private const ulong InitStream = 0, KeepStream = 1, WindowStream = 2, NegativeStream = 3;

    private readonly EmbeddingCorpus _corpus;
    private readonly Word2VecOptions _options;
    private readonly NegativeSampler _sampler;
    private readonly float[] _keep;          // [words]: subsampling keep probability
    private readonly float[] _input;         // [words, D]: syn0
    private readonly float[] _output;        // [words, D]: syn1neg
    private readonly float[] _hidden;        // [D]: CBOW's mean of the context
    private readonly float[] _gradient;      // [D]: ∂L/∂h of one step
    private readonly int[] _targets;         // [1 + Negative]
    private readonly int[] _sentence;        // [longest sentence]: the subsampled sentence
    private readonly int _dimension;
    private readonly long _totalTokens;
    private ulong _keepDraws, _windowDraws, _negativeDraws;

    /// <summary>Allocates the vectors and every buffer of training, and initializes the input vectors.</summary>
    public Word2Vec(EmbeddingCorpus corpus, Word2VecOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        _options = options ?? new Word2VecOptions();
        _options.Validate();
        if (corpus.Words.Count == 0)
        {
            throw new ArgumentException("The corpus has no word: lower minCount or give more text.", nameof(corpus));
        }

        _corpus = corpus;
        _dimension = _options.Dimension;
        int words = corpus.Words.Count;
        _sampler = new NegativeSampler(corpus.Counts);
        _keep = Subsampling.KeepProbabilities(corpus.Counts, _options.Sample);
        _input = new float[(long)words * _dimension];
        _output = new float[(long)words * _dimension];
        for (int i = 0; i < _input.Length; i++)
        {
            _input[i] = (CounterRandom.Uniform(_options.Seed, InitStream, (ulong)i) - 0.5f) / _dimension;
        }

        _hidden = new float[_dimension];
        _gradient = new float[_dimension];
        _targets = new int[1 + _options.Negative];
        int longest = 0;
        for (int s = 0; s < corpus.SentenceCount; s++)
        {
            longest = Math.Max(longest, corpus.Sentence(s).Length);
        }

        _sentence = new int[Math.Max(1, longest)];
        _totalTokens = corpus.TokenCount * _options.Epochs;
    }

    /// <summary>The options training runs with.</summary>
    public Word2VecOptions Options => _options;

    /// <summary>The input vectors (word2vec's word vectors) <c>[words, D]</c>.</summary>
    public Span<float> InputVectors => _input;

    /// <summary>The output (context) vectors <c>[words, D]</c>.</summary>
    public Span<float> OutputVectors => _output;

    /// <summary>Corpus tokens read so far (subsampled ones included), over every epoch.</summary>
    public long TokensSeen { get; private set; }

    /// <summary>The learning rate of the next sentence.</summary>
    public float LearningRate =>
        _options.StartingLearningRate * (float)Math.Max(1e-4, 1 - (double)TokensSeen / (_totalTokens + 1));

    /// <summary>Runs <see cref="Word2VecOptions.Epochs"/> epochs; returns the mean loss per example of the last one.</summary>
    public double Train()
    {
        double loss = 0;
        for (int epoch = 0; epoch < _options.Epochs; epoch++)
        {
            loss = TrainEpoch();
        }

        return loss;
    }

    /// <summary>One pass over every sentence in order; returns the mean negative-sampling loss per example.</summary>
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

    /// <summary>Trains on sentence <paramref name="index"/>; returns the summed loss and, in <paramref name="examples"/>, the number of steps.</summary>
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

        double loss = 0;
        examples = 0;
        int window = _options.Window, d = _dimension;
        for (int position = 0; position < length; position++)
        {
            int radius = 1 + (int)((CounterRandom.Bits(_options.Seed, WindowStream, _windowDraws++) >> 33) % (ulong)window);
            int from = Math.Max(0, position - radius), to = Math.Min(length - 1, position + radius);
            int centre = _sentence[position];
            if (_options.Architecture == Word2VecArchitecture.SkipGram)
            {
                for (int c = from; c <= to; c++)
                {
                    if (c == position)
                    {
                        continue;
                    }

                    var h = _input.AsSpan(_sentence[c] * d, d);
                    _gradient.AsSpan().Clear();
                    loss += NegativeSamplingLoss.Step(_gradient, _output, Targets(centre), h, lr, d);
                    TensorPrimitives.MultiplyAdd(_gradient, -lr, h, h);
                    examples++;
                }
            }
            else if (to > from)
            {
                var hidden = _hidden.AsSpan();
                hidden.Clear();
                for (int c = from; c <= to; c++)
                {
                    if (c != position)
                    {
                        TensorPrimitives.Add(hidden, _input.AsSpan(_sentence[c] * d, d), hidden);
                    }
                }

                TensorPrimitives.Multiply(hidden, 1f / (to - from), hidden);
                _gradient.AsSpan().Clear();
                loss += NegativeSamplingLoss.Step(_gradient, _output, Targets(centre), hidden, lr, d);
                for (int c = from; c <= to; c++)
                {
                    if (c != position)
                    {
                        var row = _input.AsSpan(_sentence[c] * d, d);
                        TensorPrimitives.MultiplyAdd(_gradient, -lr, row, row);
                    }
                }

                examples++;
            }
        }

        return loss;
    }

    /// <summary>The trained input vectors under the corpus's words (a copy).</summary>
    public WordVectors ToWordVectors() => new(_corpus.Words, _input.AsSpan(), _dimension);

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
