using System;
using System.Collections.Generic;

namespace ModelDsl.Metrics;

/// <summary>How <see cref="CorpusBleu"/> treats an n-gram order with no match (Chen and Cherry, 2014, name the methods).</summary>
public enum BleuSmoothing
{
    /// <summary>None: an order with no match makes the score 0 (Papineni et al.; NLTK's <c>method0</c>, sacrebleu's <c>none</c>).</summary>
    None,

    /// <summary>A zero match count becomes 0.1 (NLTK's <c>method1</c> with its default epsilon; sacrebleu's <c>floor</c>).</summary>
    Epsilon,

    /// <summary>Orders 2 and up count one more match and one more n-gram, <c>(m + 1) / (d + 1)</c> (Lin and Och, 2004; NLTK's <c>method2</c>).</summary>
    AddOne,

    /// <summary>The k-th order with no match gets precision <c>1 / (2^k · d)</c> (NIST geometric smoothing; NLTK's <c>method3</c>, sacrebleu's <c>exp</c>).</summary>
    Exponential,
}

/// <summary>A corpus BLEU score and its parts.</summary>
/// <param name="Score">BLEU in [0, 1]: the brevity penalty times the geometric mean of the (smoothed) precisions.</param>
/// <param name="BrevityPenalty"><c>1</c> when the hypotheses are longer than the references, else <c>exp(1 - r / c)</c> (0 when c = 0).</param>
/// <param name="Precisions">The modified n-gram precision of each order 1..N, as used in the score (after smoothing).</param>
/// <param name="HypothesisLength">Tokens in all hypotheses (c).</param>
/// <param name="ReferenceLength">Sum over sentences of the reference length closest to the hypothesis length (r; ties to the shorter).</param>
public sealed record BleuScore(double Score, double BrevityPenalty, IReadOnlyList<double> Precisions, long HypothesisLength, long ReferenceLength);

/// <summary>
/// Corpus BLEU (Papineni et al., 2002) over token sequences, as NLTK's <c>corpus_bleu</c> computes it with uniform weights:
/// clipped n-gram matches and n-gram counts are summed over the corpus per order (each sentence's count at least 1), then
/// <c>BLEU = BP · exp(Σ_n log p_n / N)</c> with the brevity penalty of the summed hypothesis length against the summed
/// closest reference lengths. Add sentence pairs with <see cref="Add(ReadOnlySpan{int}, ReadOnlySpan{int})"/> (token ids, one
/// or several references) or <see cref="Add(IReadOnlyList{string}, IReadOnlyList{IReadOnlyList{string}})"/> (tokens as strings,
/// already tokenized: no tokenizer is applied), then read <see cref="Score"/>; the tests compare against NLTK 3.8's values.
/// </summary>
public sealed class CorpusBleu
{
    private readonly long[] _matches;
    private readonly long[] _counts;
    private readonly Dictionary<NGram, int> _hypothesisGrams = [];
    private readonly Dictionary<NGram, int> _referenceMax = [];
    private readonly Dictionary<NGram, int> _referenceGrams = [];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private int[] _hypothesisScratch = [];

    /// <summary>Creates an empty corpus scored up to n-grams of <paramref name="maxOrder"/> tokens.</summary>
    /// <param name="maxOrder">Largest n-gram order, 1 to 4 (BLEU-4 is the standard).</param>
    public CorpusBleu(int maxOrder = 4)
    {
        if (maxOrder is < 1 or > NGram.MaxOrder)
        {
            throw new ArgumentOutOfRangeException(nameof(maxOrder), maxOrder, $"maxOrder must be in [1, {NGram.MaxOrder}]; got {maxOrder}.");
        }

        MaxOrder = maxOrder;
        _matches = new long[maxOrder];
        _counts = new long[maxOrder];
    }

    /// <summary>Largest n-gram order.</summary>
    public int MaxOrder { get; }

    /// <summary>Sentence pairs added since construction or <see cref="Clear"/>.</summary>
    public int Sentences { get; private set; }

    /// <summary>Tokens in all hypotheses so far.</summary>
    public long HypothesisLength { get; private set; }

    /// <summary>Sum of the closest reference lengths so far.</summary>
    public long ReferenceLength { get; private set; }

    /// <summary>Forgets every sentence.</summary>
    public void Clear()
    {
        Array.Clear(_matches);
        Array.Clear(_counts);
        Sentences = 0;
        HypothesisLength = 0;
        ReferenceLength = 0;
        _ids.Clear();
    }

    /// <summary>Adds a hypothesis with its single reference (token ids).</summary>
    public void Add(ReadOnlySpan<int> hypothesis, ReadOnlySpan<int> reference)
    {
        Count(hypothesis, reference.Length);
        _referenceMax.Clear();
        CountInto(_referenceMax, reference, max: true);
        Clip(hypothesis);
    }

    /// <summary>Adds a hypothesis with one or more references (token ids); each n-gram's matches are clipped by its largest count in any reference.</summary>
    public void Add(ReadOnlySpan<int> hypothesis, IReadOnlyList<int[]> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0)
        {
            throw new ArgumentException("a hypothesis needs at least one reference.", nameof(references));
        }

        int closest = -1;
        _referenceMax.Clear();
        for (int i = 0; i < references.Count; i++)
        {
            int[] reference = references[i] ?? throw new ArgumentNullException(nameof(references), $"reference {i} is null.");
            closest = Closer(closest, reference.Length, hypothesis.Length);
            CountInto(_referenceMax, reference, max: true);
        }

        Count(hypothesis, closest);
        Clip(hypothesis);
    }

    /// <summary>
    /// Adds a tokenized hypothesis with its tokenized references (strings compared ordinally; each distinct string gets an id
    /// of this corpus, so do not mix this overload with the token-id ones on one corpus).
    /// </summary>
    public void Add(IReadOnlyList<string> hypothesis, IReadOnlyList<IReadOnlyList<string>> references)
    {
        ArgumentNullException.ThrowIfNull(hypothesis);
        ArgumentNullException.ThrowIfNull(references);
        _hypothesisScratch = Ids(hypothesis, _hypothesisScratch);
        var ids = new int[references.Count][];
        for (int i = 0; i < references.Count; i++)
        {
            ids[i] = Ids(references[i] ?? throw new ArgumentNullException(nameof(references), $"reference {i} is null."), null);
        }

        Add(_hypothesisScratch.AsSpan(0, hypothesis.Count), ids);
    }

    /// <summary>The corpus score with <paramref name="smoothing"/>; 0 for an empty corpus or when no unigram matches.</summary>
    public BleuScore Score(BleuSmoothing smoothing = BleuSmoothing.None)
    {
        double penalty = BrevityPenalty(ReferenceLength, HypothesisLength);
        var precisions = new double[MaxOrder];
        int zeros = 0;
        bool zero = false;
        for (int n = 0; n < MaxOrder; n++)
        {
            long matches = _matches[n];
            long count = _counts[n];
            if (smoothing == BleuSmoothing.AddOne && n > 0)
            {
                matches++;
                count++;
            }

            if (count == 0)
            {
                precisions[n] = 0;
                zero = true;
                continue;
            }

            if (matches == 0)
            {
                switch (smoothing)
                {
                    case BleuSmoothing.Epsilon:
                        precisions[n] = 0.1 / count;
                        continue;
                    case BleuSmoothing.Exponential:
                        zeros++;
                        precisions[n] = 1.0 / (Math.Pow(2, zeros) * count);
                        continue;
                    default:
                        precisions[n] = 0;
                        zero = true;
                        continue;
                }
            }

            precisions[n] = (double)matches / count;
        }

        // As NLTK: no unigram match is 0 whatever the smoothing.
        if (zero || _matches[0] == 0)
        {
            return new BleuScore(0, penalty, precisions, HypothesisLength, ReferenceLength);
        }

        double logSum = 0;
        foreach (double p in precisions)
        {
            logSum += Math.Log(p);
        }

        return new BleuScore(penalty * Math.Exp(logSum / MaxOrder), penalty, precisions, HypothesisLength, ReferenceLength);
    }

    /// <summary><c>1</c> if <paramref name="hypothesis"/> &gt; <paramref name="reference"/>, 0 for an empty hypothesis, else <c>exp(1 - r / c)</c>.</summary>
    public static double BrevityPenalty(long reference, long hypothesis) =>
        hypothesis > reference ? 1.0 : hypothesis == 0 ? 0.0 : Math.Exp(1.0 - ((double)reference / hypothesis));

    /// <summary>The closer of two reference lengths to <paramref name="hypothesis"/>; ties go to the shorter (-1: none yet).</summary>
    private static int Closer(int best, int candidate, int hypothesis)
    {
        if (best < 0)
        {
            return candidate;
        }

        int a = Math.Abs(candidate - hypothesis);
        int b = Math.Abs(best - hypothesis);
        return a < b || (a == b && candidate < best) ? candidate : best;
    }

    private void Count(ReadOnlySpan<int> hypothesis, int closestReference)
    {
        Sentences++;
        HypothesisLength += hypothesis.Length;
        ReferenceLength += closestReference;
    }

    private void Clip(ReadOnlySpan<int> hypothesis)
    {
        _hypothesisGrams.Clear();
        CountInto(_hypothesisGrams, hypothesis, max: false);
        var grams = new long[MaxOrder];
        foreach (KeyValuePair<NGram, int> gram in _hypothesisGrams)
        {
            int allowed = _referenceMax.TryGetValue(gram.Key, out int max) ? max : 0;
            _matches[gram.Key.Order - 1] += Math.Min(gram.Value, allowed);
            grams[gram.Key.Order - 1] += gram.Value;
        }

        // NLTK's modified_precision: each sentence's denominator is at least 1, per order.
        for (int n = 0; n < MaxOrder; n++)
        {
            _counts[n] += Math.Max(1, grams[n]);
        }
    }

    /// <summary>Counts the n-grams of <paramref name="tokens"/>; with <paramref name="max"/>, keeps each one's largest count over calls.</summary>
    private void CountInto(Dictionary<NGram, int> target, ReadOnlySpan<int> tokens, bool max)
    {
        Dictionary<NGram, int> counts = max ? _referenceGrams : target;
        if (max)
        {
            counts.Clear();
        }

        for (int order = 1; order <= MaxOrder; order++)
        {
            for (int i = 0; i + order <= tokens.Length; i++)
            {
                var gram = new NGram(tokens.Slice(i, order));
                counts[gram] = counts.TryGetValue(gram, out int c) ? c + 1 : 1;
            }
        }

        if (max)
        {
            foreach (KeyValuePair<NGram, int> gram in counts)
            {
                if (!target.TryGetValue(gram.Key, out int known) || gram.Value > known)
                {
                    target[gram.Key] = gram.Value;
                }
            }
        }
    }

    private int[] Ids(IReadOnlyList<string> tokens, int[]? reuse)
    {
        int[] ids = reuse is not null && reuse.Length >= tokens.Count ? reuse : new int[tokens.Count];
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i] ?? throw new ArgumentNullException(nameof(tokens), $"token {i} is null.");
            if (!_ids.TryGetValue(token, out int id))
            {
                id = _ids.Count;
                _ids[token] = id;
            }

            ids[i] = id;
        }

        return ids;
    }

    /// <summary>An n-gram of up to four token ids.</summary>
    private readonly record struct NGram
    {
        public const int MaxOrder = 4;

        public NGram(ReadOnlySpan<int> tokens)
        {
            Order = tokens.Length;
            A = tokens[0];
            B = tokens.Length > 1 ? tokens[1] : 0;
            C = tokens.Length > 2 ? tokens[2] : 0;
            D = tokens.Length > 3 ? tokens[3] : 0;
        }

        public int Order { get; }

        public int A { get; }

        public int B { get; }

        public int C { get; }

        public int D { get; }
    }
}
