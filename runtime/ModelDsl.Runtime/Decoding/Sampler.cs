using System;
using ModelDsl.Randomness;

namespace ModelDsl.Decoding;

/// <summary>
/// Ancestral sampling with temperature, top-k and nucleus (top-p): each source starts from the start token and draws
/// every next token from <c>softmax(logp / temperature)</c>, restricted to the <c>topK</c> most probable tokens and then
/// to the smallest set of most probable tokens whose probability reaches <c>topP</c> (Holtzman et al., 2020), until it
/// emits the end token or <c>maxSteps</c> steps have run.
/// </summary>
/// <remarks>
/// <para>
/// One row per source, as in <see cref="GreedySearch"/> (a row that has ended keeps being fed the end token and its
/// outputs are ignored; <see cref="IIncrementalDecoder.Reorder"/> is never called). With <c>topK &gt; 0</c> only the
/// <c>topK</c> tokens of highest log-probability can be drawn (ties to the lower token id), renormalized;
/// <c>topK = 1</c> is greedy decoding. Temperatures below 1 sharpen the distribution, above 1 flatten it. With
/// <c>topP &lt; 1</c> the tokens left by top-k are taken from the most probable down (ties to the lower token id) while
/// the probability of those taken before is below <c>topP</c> (the token that reaches it is kept, and always at least
/// one: the order of Hugging Face's temperature, top-k and top-p warpers), then renormalized.
/// </para>
/// <para>
/// Reproducible: the draw of source <c>b</c> at step <c>s</c> is the uniform
/// <see cref="CounterRandom.UniformDouble"/>(seed, b, s), so a source's sample depends only on the seed and on its
/// own log-probabilities, not on the batch it ran in, the other sources or the thread count. The drawn token is the
/// first whose cumulative weight (in token order, summed in double) exceeds that uniform times the total weight.
/// </para>
/// <para>
/// <see cref="Score"/> is the log-probability of the sample under the model, not under the tempered or truncated
/// distribution. All buffers are allocated by the constructor; <c>Run</c> allocates nothing, and a struct
/// decoder is not boxed.
/// </para>
/// </remarks>
public sealed class Sampler
{
    private readonly int[] _feed;               // [maxBatch]: the token each row is fed at the current step
    private readonly float[] _logProbabilities; // [maxBatch, vocabulary]
    private readonly float[] _scratch;          // [vocabulary]: a row's log-probabilities for the top-k selection
    private readonly float[] _weights;          // [vocabulary]: unnormalized tempered probabilities of the allowed tokens
    private readonly int[] _order;              // [vocabulary]: allowed tokens by decreasing weight, for top-p
    private readonly int[] _tokens;             // [maxBatch, maxSteps]: generated tokens, end excluded
    private readonly int[] _lengths;            // [maxBatch]
    private readonly float[] _scores;           // [maxBatch]
    private readonly bool[] _ended;             // [maxBatch]

    /// <summary>Allocates the buffers for up to <paramref name="maxBatch"/> sources and <paramref name="maxSteps"/> steps.</summary>
    /// <param name="maxBatch">Largest number of sources a <c>Run</c> samples at once.</param>
    /// <param name="maxSteps">Largest number of steps a <c>Run</c> takes.</param>
    /// <param name="vocabulary">Number of token ids; the decoder's <see cref="IIncrementalDecoder.Vocabulary"/> must match.</param>
    public Sampler(int maxBatch, int maxSteps, int vocabulary)
    {
        SearchArguments.Capacities(maxBatch, 1, maxSteps, vocabulary);
        MaxBatch = maxBatch;
        MaxSteps = maxSteps;
        Vocabulary = vocabulary;
        _feed = new int[maxBatch];
        _logProbabilities = new float[maxBatch * vocabulary];
        _scratch = new float[vocabulary];
        _weights = new float[vocabulary];
        _order = new int[vocabulary];
        _tokens = new int[maxBatch * maxSteps];
        _lengths = new int[maxBatch];
        _scores = new float[maxBatch];
        _ended = new bool[maxBatch];
    }

    /// <summary>Largest number of sources a <c>Run</c> accepts.</summary>
    public int MaxBatch { get; }

    /// <summary>Largest number of steps a <c>Run</c> accepts.</summary>
    public int MaxSteps { get; }

    /// <summary>Number of token ids.</summary>
    public int Vocabulary { get; }

    /// <summary>Number of sources sampled by the last <c>Run</c> (0 before the first).</summary>
    public int Batch { get; private set; }

    /// <summary>Number of decoder steps the last <c>Run</c> took.</summary>
    public int Steps { get; private set; }

    /// <summary>
    /// Samples one sequence for each of <paramref name="batch"/> sources. The caller has prepared
    /// <paramref name="decoder"/> for <paramref name="batch"/> rows (row <c>b</c> is source <c>b</c>).
    /// </summary>
    /// <typeparam name="TDecoder">The decoder type; a struct decoder is not boxed.</typeparam>
    /// <param name="decoder">The model, with <see cref="IIncrementalDecoder.Vocabulary"/> equal to <see cref="Vocabulary"/>.</param>
    /// <param name="batch">Number of sources, in [1, <see cref="MaxBatch"/>].</param>
    /// <param name="startToken">Token fed to every row at step 0.</param>
    /// <param name="endToken">Token that ends a row.</param>
    /// <param name="maxSteps">Largest number of steps, in [1, <see cref="MaxSteps"/>] and at most the decoder's.</param>
    /// <param name="temperature">Divides the log-probabilities before the softmax; finite and greater than 0.</param>
    /// <param name="topK">Number of most probable tokens that may be drawn, in [0, <see cref="Vocabulary"/>]; 0 allows every token.</param>
    /// <param name="seed">Seed of the counter-based random numbers.</param>
    public void Run<TDecoder>(TDecoder decoder, int batch, int startToken, int endToken, int maxSteps, float temperature,
        int topK, ulong seed)
        where TDecoder : IIncrementalDecoder, allows ref struct =>
        Run(decoder, batch, startToken, endToken, maxSteps, temperature, topK, 1f, seed);

    /// <summary>
    /// As <see cref="Run{TDecoder}(TDecoder, int, int, int, int, float, int, ulong)"/>, with nucleus sampling: after top-k,
    /// only the most probable tokens whose probability together reaches <paramref name="topP"/> may be drawn.
    /// </summary>
    /// <typeparam name="TDecoder">The decoder type; a struct decoder is not boxed.</typeparam>
    /// <param name="decoder">The model, with <see cref="IIncrementalDecoder.Vocabulary"/> equal to <see cref="Vocabulary"/>.</param>
    /// <param name="batch">Number of sources, in [1, <see cref="MaxBatch"/>].</param>
    /// <param name="startToken">Token fed to every row at step 0.</param>
    /// <param name="endToken">Token that ends a row.</param>
    /// <param name="maxSteps">Largest number of steps, in [1, <see cref="MaxSteps"/>] and at most the decoder's.</param>
    /// <param name="temperature">Divides the log-probabilities before the softmax; finite and greater than 0.</param>
    /// <param name="topK">Number of most probable tokens that may be drawn, in [0, <see cref="Vocabulary"/>]; 0 allows every token.</param>
    /// <param name="topP">Probability mass of the nucleus, in (0, 1]; 1 turns nucleus sampling off.</param>
    /// <param name="seed">Seed of the counter-based random numbers.</param>
    public void Run<TDecoder>(TDecoder decoder, int batch, int startToken, int endToken, int maxSteps, float temperature,
        int topK, float topP, ulong seed)
        where TDecoder : IIncrementalDecoder, allows ref struct
    {
        if (decoder is null)
        {
            throw new ArgumentNullException(nameof(decoder));
        }

        SearchArguments.Count(batch, MaxBatch, "the maxBatch this sampler was created with");
        SearchArguments.Count(maxSteps, MaxSteps, "the maxSteps this sampler was created with");
        Guard.InRange(startToken, Vocabulary);
        Guard.InRange(endToken, Vocabulary);
        if (!(temperature > 0f) || float.IsPositiveInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature,
                $"temperature must be finite and greater than 0; got {temperature}.");
        }

        if ((uint)topK > (uint)Vocabulary)
        {
            throw new ArgumentOutOfRangeException(nameof(topK), topK,
                $"topK must be in [0, {Vocabulary}] (the vocabulary; 0 = every token); got {topK}.");
        }

        if (!(topP > 0f && topP <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(topP), topP,
                $"topP must be in (0, 1] (1 = no nucleus restriction); got {topP}.");
        }

        SearchArguments.Decoder(decoder.Vocabulary, decoder.MaxRows, decoder.MaxSteps, Vocabulary, batch, 1, maxSteps);

        int vocabulary = Vocabulary;
        Span<int> feed = _feed.AsSpan(0, batch);
        Span<float> logProbabilities = _logProbabilities.AsSpan(0, batch * vocabulary);
        feed.Fill(startToken);
        _lengths.AsSpan(0, batch).Clear();
        _scores.AsSpan(0, batch).Clear();
        _ended.AsSpan(0, batch).Clear();
        Batch = batch;
        Steps = 0;
        float inverseTemperature = 1f / temperature;
        int k = topK == 0 ? vocabulary : topK;

        int live = batch;
        for (int step = 0; step < maxSteps && live > 0; step++)
        {
            decoder.Step(feed, step, logProbabilities);
            Steps = step + 1;
            for (int b = 0; b < batch; b++)
            {
                if (_ended[b])
                {
                    continue;
                }

                ReadOnlySpan<float> row = logProbabilities.Slice(b * vocabulary, vocabulary);
                double uniform = CounterRandom.UniformDouble(seed, (ulong)b, (ulong)step);
                int token = Draw(row, inverseTemperature, k, topP, uniform);
                _scores[b] += row[token];
                if (token == endToken)
                {
                    _ended[b] = true;
                    live--;
                }
                else
                {
                    _tokens[b * MaxSteps + _lengths[b]++] = token;
                }

                feed[b] = token;
            }
        }
    }

    /// <summary>The tokens sampled for source <paramref name="b"/> by the last <c>Run</c>, start and end tokens excluded.</summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public ReadOnlySpan<int> Tokens(int b)
    {
        Guard.InRange(b, Batch);
        return _tokens.AsSpan(b * MaxSteps, _lengths[b]);
    }

    /// <summary>
    /// Sum of the model's log-probabilities of source <paramref name="b"/>'s tokens (untempered), the end token
    /// included when it was drawn.
    /// </summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public float Score(int b)
    {
        Guard.InRange(b, Batch);
        return _scores[b];
    }

    /// <summary>Whether source <paramref name="b"/> drew the end token (false: it was cut at <c>maxSteps</c>).</summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public bool Ended(int b)
    {
        Guard.InRange(b, Batch);
        return _ended[b];
    }

    /// <summary>Draws a token from the tempered distribution of <paramref name="row"/> restricted to its top <paramref name="k"/>.</summary>
    private int Draw(ReadOnlySpan<float> row, float inverseTemperature, int k, float topP, double uniform)
    {
        int vocabulary = row.Length;
        float max = float.NegativeInfinity;
        for (int t = 0; t < vocabulary; t++)
        {
            max = Math.Max(max, float.IsNaN(row[t]) ? float.NegativeInfinity : row[t]);
        }

        if (!(max > float.NegativeInfinity))
        {
            return 0; // no token has a finite log-probability: nothing to draw from
        }

        // Allowed tokens: all when k = vocabulary; otherwise those above the k-th largest value, then the ones equal
        // to it in token order until k are taken.
        float kth = float.NegativeInfinity;
        int ties = vocabulary;
        if (k < vocabulary)
        {
            Span<float> scratch = _scratch;
            for (int t = 0; t < vocabulary; t++)
            {
                scratch[t] = float.IsNaN(row[t]) ? float.NegativeInfinity : row[t];
            }

            kth = SelectDescending(scratch, k - 1);
            ties = k;
            for (int t = 0; t < vocabulary; t++)
            {
                if (row[t] > kth)
                {
                    ties--;
                }
            }
        }

        double total = 0;
        for (int t = 0; t < vocabulary; t++)
        {
            float value = row[t];
            bool allowed = value > kth || (value == kth && ties-- > 0);
            float weight = allowed ? MathF.Exp((value - max) * inverseTemperature) : 0f;
            weight = weight > 0f ? weight : 0f; // NaN -> 0
            _weights[t] = weight;
            total += weight;
        }

        if (topP < 1f)
        {
            total = Nucleus(topP, total);
        }

        double target = uniform * total;
        double cumulative = 0;
        int last = 0;
        for (int t = 0; t < vocabulary; t++)
        {
            float weight = _weights[t];
            if (weight > 0f)
            {
                cumulative += weight;
                last = t;
                if (cumulative > target)
                {
                    return t;
                }
            }
        }

        return last; // rounding left the target at the very top
    }

    /// <summary>
    /// Keeps in <see cref="_weights"/> the nucleus: the allowed tokens by decreasing weight (ties to the lower id) while the
    /// weight taken before each is below <paramref name="topP"/> of <paramref name="total"/>; zeroes the rest and returns the
    /// nucleus's total weight.
    /// </summary>
    private double Nucleus(float topP, double total)
    {
        int allowed = 0;
        for (int t = 0; t < _weights.Length; t++)
        {
            if (_weights[t] > 0f)
            {
                _order[allowed++] = t;
            }
        }

        Span<int> order = _order.AsSpan(0, allowed);
        SortByWeightDescending(order, _weights);
        double limit = topP * total;
        double taken = 0;
        int kept = 0;
        while (kept < allowed && (kept == 0 || taken < limit))
        {
            taken += _weights[order[kept++]];
        }

        for (int i = kept; i < allowed; i++)
        {
            _weights[order[i]] = 0f;
        }

        return taken;
    }

    /// <summary>
    /// Sorts token ids by decreasing weight, ties by increasing id: an in-place heapsort (the framework's span sort turns a
    /// comparer into a delegate, which allocates; this allocates nothing and is O(n log n) whatever the weights).
    /// </summary>
    internal static void SortByWeightDescending(Span<int> order, ReadOnlySpan<float> weights)
    {
        // A heap whose root is the token that comes last in the wanted order; moving roots to the end sorts the span.
        for (int start = (order.Length / 2) - 1; start >= 0; start--)
        {
            SiftDown(order, weights, start, order.Length);
        }

        for (int end = order.Length - 1; end > 0; end--)
        {
            (order[0], order[end]) = (order[end], order[0]);
            SiftDown(order, weights, 0, end);
        }
    }

    /// <summary>Whether token <paramref name="x"/> comes after token <paramref name="y"/>: smaller weight, or equal weight and larger id.</summary>
    private static bool After(int x, int y, ReadOnlySpan<float> weights) =>
        weights[x] < weights[y] || (weights[x] == weights[y] && x > y);

    private static void SiftDown(Span<int> heap, ReadOnlySpan<float> weights, int root, int count)
    {
        while (true)
        {
            int child = (2 * root) + 1;
            if (child >= count)
            {
                return;
            }

            if (child + 1 < count && After(heap[child + 1], heap[child], weights))
            {
                child++;
            }

            if (!After(heap[child], heap[root], weights))
            {
                return;
            }

            (heap[root], heap[child]) = (heap[child], heap[root]);
            root = child;
        }
    }

    /// <summary>
    /// The value at index <paramref name="k"/> of <paramref name="values"/> sorted in descending order
    /// (quickselect with three-way partitions, so runs of equal values such as masked -∞ cost one pass); reorders
    /// <paramref name="values"/>, which must hold no NaN.
    /// </summary>
    internal static float SelectDescending(Span<float> values, int k)
    {
        int low = 0, high = values.Length - 1;
        while (low < high)
        {
            float a = values[low], b = values[low + ((high - low) >> 1)], c = values[high];
            float pivot = Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));

            // [low, greater) > pivot, [greater, i) == pivot, (less, high] < pivot.
            int greater = low, i = low, less = high;
            while (i <= less)
            {
                float value = values[i];
                if (value > pivot)
                {
                    values[i] = values[greater];
                    values[greater++] = value;
                    i++;
                }
                else if (value < pivot)
                {
                    values[i] = values[less];
                    values[less--] = value;
                }
                else
                {
                    i++;
                }
            }

            if (k < greater)
            {
                high = greater - 1;
            }
            else if (k > less)
            {
                low = less + 1;
            }
            else
            {
                return pivot;
            }
        }

        return values[low];
    }
}
