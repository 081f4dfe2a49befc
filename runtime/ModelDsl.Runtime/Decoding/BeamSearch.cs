using System;

namespace ModelDsl.Decoding;

/// <summary>
/// Beam search: keeps the <c>width</c> most probable hypotheses of each source, extends them one token per step
/// and returns each source's best finished hypothesis, scored with the length penalty of Wu et al. (2016).
/// </summary>
/// <remarks>
/// <para>
/// Rows: row <c>b * width + k</c> holds hypothesis <c>k</c> of source <c>b</c>. At step 0 every row is fed the start
/// token but only hypothesis 0 of each source is live (the others have log-probability -∞), so the
/// <c>width</c> copies of a source do not yield <c>width</c> copies of the same continuation.
/// </para>
/// <para>
/// Each step, per source: rank every continuation (live row, token) by cumulative log-probability, best first,
/// ties to the lower row, then the lower token; continuations with log-probability -∞ or NaN never count. Of the
/// top <c>width</c>, those ending in the end token become finished hypotheses; the live beam is the best
/// <c>width</c> continuations that do not end, taken from the top <c>2 × width</c> (at most <c>width</c> of which
/// can end, one per row), so the beam stays full as hypotheses finish, as in fairseq and Hugging Face
/// Transformers. Then <see cref="IIncrementalDecoder.Reorder"/> is called with each row's parent row and
/// <c>step + 1</c>, so row <c>r</c>'s decoder state becomes that of the hypothesis it extends.
/// </para>
/// <para>
/// A finished hypothesis with log-probability <c>L</c> and <c>n</c> generated tokens (the end token included)
/// scores <c>L / lp(n)</c>, <c>lp(n) = ((5 + n) / 6)^α</c> with <c>α = lengthPenalty</c>; α = 0 scores by
/// raw log-probability, larger α favours longer outputs. Each source keeps its <c>width</c> best finished
/// hypotheses (a newcomer replaces the worst only if it scores strictly higher).
/// </para>
/// <para>
/// Stopping rule, exact for every α ≥ 0: a live hypothesis with log-probability <c>L</c> (≤ 0) can only reach
/// <c>L' ≤ L</c> at a length <c>n ≤ maxSteps</c>, so it can never score more than <c>L / lp(maxSteps)</c>. A source
/// stops when it holds <c>width</c> finished hypotheses and its best live hypothesis's bound is at most the worst
/// finished score (for α = 0 the bound is <c>L</c> itself, the usual rule), or when it has no live hypothesis left.
/// With α &gt; 0 this can run more steps than heuristics that use the current length, but it never stops while a
/// live hypothesis could still win. The search stops when every source has stopped or after <c>maxSteps</c> steps;
/// then the live hypotheses of sources still running compete with the finished ones, scored the same way with
/// <c>n = maxSteps</c> (no end token). Rows of stopped sources are fed the end token and ignored.
/// </para>
/// <para>
/// Parent pointers are kept for every step, so besides the best tokens the search reports
/// <see cref="RowAt"/>: the row the best hypothesis occupied at each step, to read per-row values the decoder
/// recorded along the best path (for instance cross-attention weights). All buffers are allocated by the
/// constructor; <see cref="Run"/> allocates nothing, and a struct decoder is not boxed.
/// </para>
/// </remarks>
public sealed class BeamSearch
{
    private readonly int _maxRows;                      // maxBatch × maxWidth: the stride of the history
    private readonly int[] _feed;                       // [maxRows]: token each row is fed at the current step
    private readonly float[] _cumulative;               // [maxRows]: log-probability of each row's hypothesis; -∞ = empty
    private readonly int[] _nextFeed;                   // [maxRows]: tokens chosen at this step
    private readonly float[] _nextCumulative;           // [maxRows]
    private readonly int[] _parents;                    // [maxRows]: the row each new row continues
    private readonly float[] _logProbabilities;         // [maxRows, vocabulary]
    private readonly int[] _tokenHistory;               // [maxSteps, maxRows]: token chosen for row r at step s (fed at s + 1)
    private readonly int[] _parentHistory;              // [maxSteps, maxRows]: row that row r continued after step s
    private readonly float[] _candidateLogProbability;  // [2 × maxWidth]: one source's best continuations, best first
    private readonly int[] _candidateRow;               // [2 × maxWidth]
    private readonly int[] _candidateToken;             // [2 × maxWidth]
    private readonly float[] _finishedScore;            // [maxBatch, maxWidth]: length-penalized score
    private readonly float[] _finishedLogProbability;   // [maxBatch, maxWidth]
    private readonly int[] _finishedStep;               // [maxBatch, maxWidth]: step at which the end token was chosen
    private readonly int[] _finishedRow;                // [maxBatch, maxWidth]: row fed at that step
    private readonly int[] _finishedCount;              // [maxBatch]
    private readonly bool[] _done;                      // [maxBatch]
    private readonly float[] _lengthNorm;               // [maxSteps + 1]: lp(n) = ((5 + n) / 6)^α
    private readonly int[] _bestTokens;                 // [maxBatch, maxSteps]
    private readonly int[] _bestRows;                   // [maxBatch, maxSteps]
    private readonly int[] _bestTokenCount;             // [maxBatch]: end excluded
    private readonly int[] _bestPathLength;             // [maxBatch]: steps fed along the best path
    private readonly float[] _bestScore;                // [maxBatch]
    private readonly float[] _bestLogProbability;       // [maxBatch]
    private readonly bool[] _bestEnded;                 // [maxBatch]

    /// <summary>Allocates the buffers for up to <paramref name="maxBatch"/> sources of <paramref name="maxWidth"/> hypotheses.</summary>
    /// <param name="maxBatch">Largest number of sources a <see cref="Run"/> decodes at once.</param>
    /// <param name="maxWidth">Largest beam width.</param>
    /// <param name="maxSteps">Largest number of steps a <see cref="Run"/> takes.</param>
    /// <param name="vocabulary">Number of token ids; the decoder's <see cref="IIncrementalDecoder.Vocabulary"/> must match.</param>
    public BeamSearch(int maxBatch, int maxWidth, int maxSteps, int vocabulary)
    {
        SearchArguments.Capacities(maxBatch, maxWidth, maxSteps, vocabulary);
        MaxBatch = maxBatch;
        MaxWidth = maxWidth;
        MaxSteps = maxSteps;
        Vocabulary = vocabulary;
        _maxRows = maxBatch * maxWidth;
        _feed = new int[_maxRows];
        _cumulative = new float[_maxRows];
        _nextFeed = new int[_maxRows];
        _nextCumulative = new float[_maxRows];
        _parents = new int[_maxRows];
        _logProbabilities = new float[_maxRows * vocabulary];
        _tokenHistory = new int[maxSteps * _maxRows];
        _parentHistory = new int[maxSteps * _maxRows];
        _candidateLogProbability = new float[2 * maxWidth];
        _candidateRow = new int[2 * maxWidth];
        _candidateToken = new int[2 * maxWidth];
        _finishedScore = new float[_maxRows];
        _finishedLogProbability = new float[_maxRows];
        _finishedStep = new int[_maxRows];
        _finishedRow = new int[_maxRows];
        _finishedCount = new int[maxBatch];
        _done = new bool[maxBatch];
        _lengthNorm = new float[maxSteps + 1];
        _bestTokens = new int[maxBatch * maxSteps];
        _bestRows = new int[maxBatch * maxSteps];
        _bestTokenCount = new int[maxBatch];
        _bestPathLength = new int[maxBatch];
        _bestScore = new float[maxBatch];
        _bestLogProbability = new float[maxBatch];
        _bestEnded = new bool[maxBatch];
    }

    /// <summary>Largest number of sources a <see cref="Run"/> accepts.</summary>
    public int MaxBatch { get; }

    /// <summary>Largest beam width a <see cref="Run"/> accepts.</summary>
    public int MaxWidth { get; }

    /// <summary>Largest number of steps a <see cref="Run"/> accepts.</summary>
    public int MaxSteps { get; }

    /// <summary>Number of token ids.</summary>
    public int Vocabulary { get; }

    /// <summary>Number of sources decoded by the last <see cref="Run"/> (0 before the first).</summary>
    public int Batch { get; private set; }

    /// <summary>Beam width of the last <see cref="Run"/>.</summary>
    public int Width { get; private set; }

    /// <summary>Number of decoder steps the last <see cref="Run"/> took.</summary>
    public int Steps { get; private set; }

    /// <summary>
    /// Decodes <paramref name="batch"/> sources with <paramref name="width"/> hypotheses each. The caller has
    /// prepared <paramref name="decoder"/> for <c>batch × width</c> rows, row <c>b * width + k</c> holding source
    /// <c>b</c> (every hypothesis of a source starts from the same state).
    /// </summary>
    /// <typeparam name="TDecoder">The decoder type; a struct decoder is not boxed.</typeparam>
    /// <param name="decoder">The model, with <see cref="IIncrementalDecoder.Vocabulary"/> equal to <see cref="Vocabulary"/>.</param>
    /// <param name="batch">Number of sources, in [1, <see cref="MaxBatch"/>].</param>
    /// <param name="width">Beam width, in [1, <see cref="MaxWidth"/>].</param>
    /// <param name="startToken">Token fed to every row at step 0.</param>
    /// <param name="endToken">Token that finishes a hypothesis.</param>
    /// <param name="maxSteps">Largest number of steps, in [1, <see cref="MaxSteps"/>] and at most the decoder's.</param>
    /// <param name="lengthPenalty">α of the length penalty <c>((5 + n) / 6)^α</c>, finite and ≥ 0; 0 ranks by log-probability.</param>
    public void Run<TDecoder>(TDecoder decoder, int batch, int width, int startToken, int endToken, int maxSteps,
        float lengthPenalty = 0f)
        where TDecoder : IIncrementalDecoder, allows ref struct
    {
        if (decoder is null)
        {
            throw new ArgumentNullException(nameof(decoder));
        }

        SearchArguments.Count(batch, MaxBatch, "the maxBatch this search was created with");
        SearchArguments.Count(width, MaxWidth, "the maxWidth this search was created with");
        SearchArguments.Count(maxSteps, MaxSteps, "the maxSteps this search was created with");
        Guard.InRange(startToken, Vocabulary);
        Guard.InRange(endToken, Vocabulary);
        if (!(lengthPenalty >= 0f) || float.IsPositiveInfinity(lengthPenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(lengthPenalty), lengthPenalty,
                $"lengthPenalty must be finite and at least 0; got {lengthPenalty}.");
        }

        SearchArguments.Decoder(decoder.Vocabulary, decoder.MaxRows, decoder.MaxSteps, Vocabulary, batch, width, maxSteps);

        int rows = batch * width;
        int vocabulary = Vocabulary;
        Span<int> feed = _feed.AsSpan(0, rows);
        Span<float> cumulative = _cumulative.AsSpan(0, rows);
        Span<float> logProbabilities = _logProbabilities.AsSpan(0, rows * vocabulary);
        Batch = batch;
        Width = width;
        Steps = 0;
        for (int n = 1; n <= maxSteps; n++)
        {
            _lengthNorm[n] = lengthPenalty == 0f ? 1f : (float)Math.Pow((5.0 + n) / 6.0, lengthPenalty);
        }

        // The bound on what a live hypothesis can still score is L / lp(maxSteps) (see the remarks).
        float boundNorm = _lengthNorm[maxSteps];
        feed.Fill(startToken);
        for (int r = 0; r < rows; r++)
        {
            cumulative[r] = r % width == 0 ? 0f : float.NegativeInfinity;
        }

        _finishedCount.AsSpan(0, batch).Clear();
        _done.AsSpan(0, batch).Clear();

        int running = batch;
        for (int step = 0; ; step++)
        {
            decoder.Step(feed, step, logProbabilities);
            Steps = step + 1;
            float norm = _lengthNorm[step + 1];
            for (int b = 0; b < batch; b++)
            {
                int first = b * width;
                if (_done[b])
                {
                    EmptyNextRows(first, width, endToken);
                    continue;
                }

                int count = SelectCandidates(first, width, logProbabilities);
                int live = 0;
                for (int i = 0; i < count && live < width; i++)
                {
                    float logProbability = _candidateLogProbability[i];
                    int token = _candidateToken[i];
                    if (token == endToken)
                    {
                        if (i < width)
                        {
                            AddFinished(b, width, logProbability, logProbability / norm, step, _candidateRow[i]);
                        }

                        continue;
                    }

                    int next = first + live++;
                    _nextFeed[next] = token;
                    _nextCumulative[next] = logProbability;
                    _parents[next] = _candidateRow[i];
                }

                EmptyNextRows(first + live, width - live, endToken);
                if (live == 0 || (_finishedCount[b] == width && _nextCumulative[first] / boundNorm <= WorstFinished(b, width)))
                {
                    _done[b] = true;
                    running--;
                    EmptyNextRows(first, width, endToken);
                }
            }

            _nextFeed.AsSpan(0, rows).CopyTo(_tokenHistory.AsSpan(step * _maxRows, rows));
            _parents.AsSpan(0, rows).CopyTo(_parentHistory.AsSpan(step * _maxRows, rows));
            _nextFeed.AsSpan(0, rows).CopyTo(feed);
            _nextCumulative.AsSpan(0, rows).CopyTo(cumulative);
            if (running == 0 || step + 1 == maxSteps)
            {
                break;
            }

            decoder.Reorder(_parents.AsSpan(0, rows), step + 1);
        }

        for (int b = 0; b < batch; b++)
        {
            Finish(b, width);
        }
    }

    /// <summary>The best hypothesis's tokens for source <paramref name="b"/>, start and end tokens excluded.</summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public ReadOnlySpan<int> Tokens(int b)
    {
        Guard.InRange(b, Batch);
        return _bestTokens.AsSpan(b * MaxSteps, _bestTokenCount[b]);
    }

    /// <summary>
    /// The best hypothesis's score: its log-probability divided by <c>((5 + n) / 6)^α</c>, <c>n</c> its generated
    /// tokens (end included when emitted). Equals <see cref="LogProbability"/> when the length penalty is 0;
    /// -∞ if the decoder gave no token a finite log-probability.
    /// </summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public float Score(int b)
    {
        Guard.InRange(b, Batch);
        return _bestScore[b];
    }

    /// <summary>Sum of the log-probabilities of the best hypothesis's tokens, end token included when emitted.</summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public float LogProbability(int b)
    {
        Guard.InRange(b, Batch);
        return _bestLogProbability[b];
    }

    /// <summary>Whether the best hypothesis of source <paramref name="b"/> emitted the end token (false: cut at <c>maxSteps</c>).</summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public bool Ended(int b)
    {
        Guard.InRange(b, Batch);
        return _bestEnded[b];
    }

    /// <summary>
    /// The rows the best hypothesis of source <paramref name="b"/> occupied, one per step it was fed a token:
    /// element <c>s</c> is <see cref="RowAt"/>(b, s). Its length is <c>Tokens(b).Length</c>, plus 1 when the
    /// hypothesis <see cref="Ended"/>.
    /// </summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    public ReadOnlySpan<int> Rows(int b)
    {
        Guard.InRange(b, Batch);
        return _bestRows.AsSpan(b * MaxSteps, _bestPathLength[b]);
    }

    /// <summary>
    /// The row the best hypothesis of source <paramref name="b"/> occupied when it was fed the token of
    /// <paramref name="step"/> (the start token at step 0, then <c>Tokens(b)[step - 1]</c>): what the decoder
    /// wrote for that row at that step, such as attention weights, belongs to the best hypothesis, and its
    /// log-probabilities there gave the next token (<c>Tokens(b)[step]</c>, or the end token).
    /// </summary>
    /// <param name="b">Source index, in [0, <see cref="Batch"/>).</param>
    /// <param name="step">Step, in [0, <c>Rows(b).Length</c>).</param>
    public int RowAt(int b, int step)
    {
        Guard.InRange(b, Batch);
        Guard.InRange(step, _bestPathLength[b]);
        return _bestRows[b * MaxSteps + step];
    }

    /// <summary>
    /// Fills the candidate buffers with the best <c>2 × width</c> continuations of the live rows
    /// <c>first .. first + width - 1</c>, best first (ties: lower row, then lower token); returns how many.
    /// </summary>
    private int SelectCandidates(int first, int width, ReadOnlySpan<float> logProbabilities)
    {
        int vocabulary = Vocabulary;
        int capacity = 2 * width;
        int count = 0;
        float threshold = float.NegativeInfinity; // a candidate must beat it strictly: -∞ and NaN never enter
        for (int r = first; r < first + width; r++)
        {
            float prefix = _cumulative[r];
            if (!(prefix > float.NegativeInfinity))
            {
                continue;
            }

            ReadOnlySpan<float> row = logProbabilities.Slice(r * vocabulary, vocabulary);
            for (int token = 0; token < row.Length; token++)
            {
                float candidate = prefix + row[token];
                if (!(candidate > threshold))
                {
                    continue;
                }

                // Insert after every candidate at least as good: earlier (lower row, lower token) wins ties.
                int i = count < capacity ? count++ : capacity - 1;
                while (i > 0 && _candidateLogProbability[i - 1] < candidate)
                {
                    _candidateLogProbability[i] = _candidateLogProbability[i - 1];
                    _candidateRow[i] = _candidateRow[i - 1];
                    _candidateToken[i] = _candidateToken[i - 1];
                    i--;
                }

                _candidateLogProbability[i] = candidate;
                _candidateRow[i] = r;
                _candidateToken[i] = token;
                if (count == capacity)
                {
                    threshold = _candidateLogProbability[capacity - 1];
                }
            }
        }

        return count;
    }

    /// <summary>Marks <paramref name="count"/> next rows from <paramref name="first"/> empty: fed the end token, continuing themselves.</summary>
    private void EmptyNextRows(int first, int count, int endToken)
    {
        for (int r = first; r < first + count; r++)
        {
            _nextFeed[r] = endToken;
            _nextCumulative[r] = float.NegativeInfinity;
            _parents[r] = r;
        }
    }

    /// <summary>Adds a finished hypothesis to source <paramref name="b"/>'s list, replacing the worst when full if it scores higher.</summary>
    private void AddFinished(int b, int width, float logProbability, float score, int step, int row)
    {
        int count = _finishedCount[b];
        int slot;
        if (count < width)
        {
            slot = b * MaxWidth + count;
            _finishedCount[b] = count + 1;
        }
        else
        {
            slot = WorstFinishedSlot(b, width);
            if (!(score > _finishedScore[slot]))
            {
                return;
            }
        }

        _finishedScore[slot] = score;
        _finishedLogProbability[slot] = logProbability;
        _finishedStep[slot] = step;
        _finishedRow[slot] = row;
    }

    private int WorstFinishedSlot(int b, int width)
    {
        int first = b * MaxWidth;
        int worst = first;
        for (int i = first + 1; i < first + width; i++)
        {
            if (_finishedScore[i] < _finishedScore[worst])
            {
                worst = i;
            }
        }

        return worst;
    }

    private float WorstFinished(int b, int width) => _finishedScore[WorstFinishedSlot(b, width)];

    /// <summary>Picks source <paramref name="b"/>'s best hypothesis (finished, or live when cut at maxSteps) and follows its parents.</summary>
    private void Finish(int b, int width)
    {
        bool found = false;
        float bestScore = float.NegativeInfinity, bestLogProbability = float.NegativeInfinity;
        int bestStep = 0, bestRow = 0, bestToken = 0;
        bool bestEnded = false;
        for (int i = b * MaxWidth; i < b * MaxWidth + _finishedCount[b]; i++)
        {
            if (!found || _finishedScore[i] > bestScore)
            {
                found = true;
                bestScore = _finishedScore[i];
                bestLogProbability = _finishedLogProbability[i];
                bestStep = _finishedStep[i];
                bestRow = _finishedRow[i];
                bestEnded = true;
            }
        }

        if (!_done[b])
        {
            // Cut at maxSteps: the live hypotheses compete, scored with n = Steps generated tokens.
            int last = Steps - 1;
            for (int r = b * width; r < (b + 1) * width; r++)
            {
                float logProbability = _cumulative[r];
                if (!(logProbability > float.NegativeInfinity))
                {
                    continue;
                }

                float score = logProbability / _lengthNorm[Steps];
                if (!found || score > bestScore)
                {
                    found = true;
                    bestScore = score;
                    bestLogProbability = logProbability;
                    bestStep = last;
                    bestRow = _parentHistory[last * _maxRows + r];
                    bestToken = _tokenHistory[last * _maxRows + r];
                    bestEnded = false;
                }
            }
        }

        int output = b * MaxSteps;
        _bestScore[b] = bestScore;
        _bestLogProbability[b] = bestLogProbability;
        _bestEnded[b] = bestEnded;
        if (!found)
        {
            _bestTokenCount[b] = 0;
            _bestPathLength[b] = 0;
            return;
        }

        // The hypothesis was fed tokens at steps 0 .. bestStep; at step bestStep it sat in bestRow and chose bestToken.
        _bestPathLength[b] = bestStep + 1;
        _bestTokenCount[b] = bestEnded ? bestStep : bestStep + 1;
        _bestRows[output + bestStep] = bestRow;
        if (!bestEnded)
        {
            _bestTokens[output + bestStep] = bestToken;
        }

        int row = bestRow;
        for (int s = bestStep; s >= 1; s--)
        {
            // At step s the row was fed the token chosen for it at step s - 1, when it continued its parent.
            int history = (s - 1) * _maxRows + row;
            _bestTokens[output + s - 1] = _tokenHistory[history];
            row = _parentHistory[history];
            _bestRows[output + s - 1] = row;
        }
    }
}
