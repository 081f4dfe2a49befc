using System;

namespace ModelDsl.Decoding;

/// <summary>
/// Greedy decoding: each source starts from the start token and takes the most probable next token at every
/// step (the lowest token id on ties) until it emits the end token or <c>maxSteps</c> steps have run.
/// </summary>
/// <remarks>
/// <para>
/// One row per source (row <c>b</c> is source <c>b</c>; width 1). Step <c>s</c> feeds every row its latest token at
/// position <c>s</c>, the start token at step 0. A row that has emitted the end token keeps being fed the end token
/// (so the decoder always sees <c>batch</c> rows) and its outputs are ignored; the search stops when every row has
/// ended or after <c>maxSteps</c> steps. Greedy search never calls <see cref="IIncrementalDecoder.Reorder"/>.
/// </para>
/// <para>
/// All buffers are allocated by the constructor for the largest batch and step count; <see cref="Run"/> allocates
/// nothing. The decoder is a generic argument, so a struct decoder is called without boxing (it is copied, so it
/// should keep its state behind references).
/// </para>
/// </remarks>
public sealed class GreedySearch
{
    private readonly int[] _feed;               // [maxBatch]: the token each row is fed at the current step
    private readonly float[] _logProbabilities; // [maxBatch, vocabulary]: the decoder's output at the current step
    private readonly int[] _tokens;             // [maxBatch, maxSteps]: generated tokens, end excluded
    private readonly int[] _lengths;            // [maxBatch]: number of generated tokens, end excluded
    private readonly float[] _scores;           // [maxBatch]: sum of the chosen tokens' log-probabilities
    private readonly bool[] _ended;             // [maxBatch]: whether the row emitted the end token

    /// <summary>Allocates the buffers for up to <paramref name="maxBatch"/> sources and <paramref name="maxSteps"/> steps.</summary>
    /// <param name="maxBatch">Largest number of sources a <see cref="Run"/> decodes at once.</param>
    /// <param name="maxSteps">Largest number of steps a <see cref="Run"/> takes.</param>
    /// <param name="vocabulary">Number of token ids; the decoder's <see cref="IIncrementalDecoder.Vocabulary"/> must match.</param>
    public GreedySearch(int maxBatch, int maxSteps, int vocabulary)
    {
        SearchArguments.Capacities(maxBatch, 1, maxSteps, vocabulary);
        MaxBatch = maxBatch;
        MaxSteps = maxSteps;
        Vocabulary = vocabulary;
        _feed = new int[maxBatch];
        _logProbabilities = new float[maxBatch * vocabulary];
        _tokens = new int[maxBatch * maxSteps];
        _lengths = new int[maxBatch];
        _scores = new float[maxBatch];
        _ended = new bool[maxBatch];
    }

    /// <summary>Largest number of sources a <see cref="Run"/> accepts.</summary>
    public int MaxBatch { get; }

    /// <summary>Largest number of steps a <see cref="Run"/> accepts.</summary>
    public int MaxSteps { get; }

    /// <summary>Number of token ids.</summary>
    public int Vocabulary { get; }

    /// <summary>Number of sources decoded by the last <see cref="Run"/> (0 before the first).</summary>
    public int Batch { get; private set; }

    /// <summary>Number of decoder steps the last <see cref="Run"/> took.</summary>
    public int Steps { get; private set; }

    /// <summary>
    /// Decodes <paramref name="batch"/> sources. The caller has prepared <paramref name="decoder"/> for
    /// <paramref name="batch"/> rows (row <c>b</c> is source <c>b</c>).
    /// </summary>
    /// <typeparam name="TDecoder">The decoder type; a struct decoder is not boxed.</typeparam>
    /// <param name="decoder">The model, with <see cref="IIncrementalDecoder.Vocabulary"/> equal to <see cref="Vocabulary"/>.</param>
    /// <param name="batch">Number of sources, in [1, <see cref="MaxBatch"/>].</param>
    /// <param name="startToken">Token fed to every row at step 0.</param>
    /// <param name="endToken">Token that ends a row.</param>
    /// <param name="maxSteps">Largest number of steps, in [1, <see cref="MaxSteps"/>] and at most the decoder's.</param>
    public void Run<TDecoder>(TDecoder decoder, int batch, int startToken, int endToken, int maxSteps)
        where TDecoder : IIncrementalDecoder, allows ref struct
    {
        if (decoder is null)
        {
            throw new ArgumentNullException(nameof(decoder));
        }

        SearchArguments.Count(batch, MaxBatch, "the maxBatch this search was created with");
        SearchArguments.Count(maxSteps, MaxSteps, "the maxSteps this search was created with");
        Guard.InRange(startToken, Vocabulary);
        Guard.InRange(endToken, Vocabulary);
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
                int token = ArgMax(row);
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

    /// <summary>The tokens generated for source <paramref name="b"/> by the last <see cref="Run"/>, start and end tokens excluded.</summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public ReadOnlySpan<int> Tokens(int b)
    {
        Guard.InRange(b, Batch);
        return _tokens.AsSpan(b * MaxSteps, _lengths[b]);
    }

    /// <summary>Sum of the log-probabilities of source <paramref name="b"/>'s tokens, the end token included when it was emitted.</summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public float Score(int b)
    {
        Guard.InRange(b, Batch);
        return _scores[b];
    }

    /// <summary>Whether source <paramref name="b"/> emitted the end token (false: it was cut at <c>maxSteps</c>).</summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public bool Ended(int b)
    {
        Guard.InRange(b, Batch);
        return _ended[b];
    }

    /// <summary>Index of the largest value, the first one on ties; NaN is never chosen (0 if nothing beats -inf).</summary>
    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        float bestValue = float.NegativeInfinity;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] > bestValue)
            {
                bestValue = values[i];
                best = i;
            }
        }

        return best;
    }
}
