using System;
using System.Globalization;
using ModelDsl.Randomness;
using ModelDsl.Tokenization;
using ModelDsl.Training;

namespace ModelDsl.Data;

/// <summary>
/// BERT's masked-language-model corruption (Devlin et al. 2019, section 3.1): each position that does not hold a
/// special token is chosen with probability <see cref="Rate"/> (15 % by default); a chosen position becomes
/// <c>&lt;mask&gt;</c> with probability <see cref="MaskFraction"/> (80 %), a random ordinary token with probability
/// <see cref="RandomFraction"/> (10 %), and keeps its token otherwise (10 %). The label of a chosen position is its
/// original id; every other position gets <see cref="IgnoreIndex"/>, so a <c>[CrossEntropyLoss(IgnoreIndex = ...)]</c>
/// head learns only where the model had to guess.
/// </summary>
/// <remarks>
/// <para>
/// Each position is chosen independently (a Bernoulli draw, as Hugging Face's <c>DataCollatorForLanguageModeling</c>),
/// so a short sentence may get no masked position at all; over many sentences the fractions are the ones given.
/// The draws are counter-based (<see cref="CounterRandom"/>): the corruption of a sequence is a pure function of the
/// seed, the <c>draw</c> number passed to <see cref="Apply"/> and the position, whatever the thread or call order.
/// </para>
/// <para>
/// Never chosen: the ids of the vocabulary's special tokens (<c>&lt;pad&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>,
/// <c>&lt;unk&gt;</c>, <c>&lt;mask&gt;</c>, <c>&lt;cls&gt;</c>, <c>&lt;sep&gt;</c>, those it reserves). A random
/// replacement is drawn uniformly from the ordinary (non-special) ids. <see cref="Apply"/> allocates nothing.
/// </para>
/// </remarks>
public sealed class MaskedLanguageModeling
{
    private const ulong ChooseStream = 0x4D4C4D31UL;    // "MLM1": choose the position, then the action and the random token
    private readonly bool[] _special;                   // [VocabularySize]: true for a reserved special id
    private readonly int[] _ordinary;                   // the ids a random replacement is drawn from

    /// <summary>Creates the corruption for a vocabulary of <paramref name="vocabularySize"/> ids.</summary>
    /// <param name="vocabularySize">The number of ids; every token given to <see cref="Apply"/> must be below it.</param>
    /// <param name="special">The special ids (at least <see cref="SpecialTokens.Mask"/> must be reserved, i.e. &gt;= 0).</param>
    /// <param name="seed">The seed of the draws.</param>
    /// <param name="rate">The fraction of ordinary positions chosen, in (0, 1].</param>
    /// <param name="maskFraction">The fraction of chosen positions replaced by <c>&lt;mask&gt;</c>, in [0, 1].</param>
    /// <param name="randomFraction">The fraction of chosen positions replaced by a random ordinary token; with
    /// <paramref name="maskFraction"/> at most 1 (the rest keep their token).</param>
    /// <param name="ignoreIndex">The label of the positions not chosen (the loss's <c>IgnoreIndex</c>, PyTorch's -100 by default).</param>
    public MaskedLanguageModeling(int vocabularySize, SpecialTokens special, ulong seed, float rate = 0.15f,
        float maskFraction = 0.8f, float randomFraction = 0.1f, int ignoreIndex = -100)
    {
        ArgumentNullException.ThrowIfNull(special);
        if (vocabularySize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "The vocabulary needs at least one id.");
        }

        if (!(rate > 0f && rate <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The masking rate must be in (0, 1].");
        }

        if (!(maskFraction >= 0f && maskFraction <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(maskFraction), maskFraction, "The mask fraction must be in [0, 1].");
        }

        if (!(randomFraction >= 0f && randomFraction <= 1f - maskFraction + 1e-6f))
        {
            throw new ArgumentOutOfRangeException(nameof(randomFraction), randomFraction,
                string.Create(CultureInfo.InvariantCulture, $"The random fraction must be in [0, 1 - maskFraction] = [0, {1f - maskFraction}]."));
        }

        if (special.Mask < 0 || special.Mask >= vocabularySize)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The vocabulary reserves no <mask> token (Special.Mask is {special.Mask}, vocabulary size {vocabularySize}); build it with SpecialTokenSet.Mask."),
                nameof(special));
        }

        if (ignoreIndex >= 0 && ignoreIndex < vocabularySize)
        {
            throw new ArgumentOutOfRangeException(nameof(ignoreIndex), ignoreIndex,
                string.Create(CultureInfo.InvariantCulture, $"The ignore index must not be a token id (it is in [0, {vocabularySize}))."));
        }

        _special = new bool[vocabularySize];
        foreach (int id in (ReadOnlySpan<int>)[special.Pad, special.Bos, special.Eos, special.Unknown, special.Mask, special.Cls, special.Sep])
        {
            if (id >= 0 && id < vocabularySize)
            {
                _special[id] = true;
            }
        }

        _ordinary = new int[vocabularySize - _special.AsSpan().Count(true)];
        for (int id = 0, next = 0; id < vocabularySize; id++)
        {
            if (!_special[id])
            {
                _ordinary[next++] = id;
            }
        }

        if (_ordinary.Length == 0)
        {
            throw new ArgumentException("The vocabulary holds only special tokens: there is nothing to mask.", nameof(vocabularySize));
        }

        VocabularySize = vocabularySize;
        MaskId = special.Mask;
        Seed = seed;
        Rate = rate;
        MaskFraction = maskFraction;
        RandomFraction = randomFraction;
        IgnoreIndex = ignoreIndex;
    }

    /// <summary>Creates the corruption for <paramref name="vocabulary"/> (its size and its special ids).</summary>
    public MaskedLanguageModeling(ITokenizer vocabulary, ulong seed, float rate = 0.15f, float maskFraction = 0.8f,
        float randomFraction = 0.1f, int ignoreIndex = -100)
        : this((vocabulary ?? throw new ArgumentNullException(nameof(vocabulary))).VocabularySize, vocabulary.Special, seed, rate,
            maskFraction, randomFraction, ignoreIndex)
    {
    }

    /// <summary>The number of ids.</summary>
    public int VocabularySize { get; }

    /// <summary>The <c>&lt;mask&gt;</c> id.</summary>
    public int MaskId { get; }

    /// <summary>The seed of the draws.</summary>
    public ulong Seed { get; }

    /// <summary>The probability that an ordinary position is chosen.</summary>
    public float Rate { get; }

    /// <summary>The probability that a chosen position becomes <c>&lt;mask&gt;</c>.</summary>
    public float MaskFraction { get; }

    /// <summary>The probability that a chosen position becomes a random ordinary token.</summary>
    public float RandomFraction { get; }

    /// <summary>The label of the positions not chosen.</summary>
    public int IgnoreIndex { get; }

    /// <summary>Whether <paramref name="id"/> is one of the special ids (never chosen, never a random replacement).</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    /// <summary>
    /// Corrupts <paramref name="tokens"/> into <paramref name="inputs"/> and writes the labels. Allocates nothing.
    /// </summary>
    /// <param name="tokens">The original ids, each in [0, <see cref="VocabularySize"/>).</param>
    /// <param name="inputs">Receives the corrupted ids; as long as <paramref name="tokens"/> (may be the same memory).</param>
    /// <param name="labels">Receives the original id at each chosen position and <see cref="IgnoreIndex"/> elsewhere;
    /// as long as <paramref name="tokens"/>.</param>
    /// <param name="draw">Which draw this is (e.g. a running count of rows written, or an example's index): the same
    /// seed, draw and tokens always give the same result, another draw another one.</param>
    /// <returns>How many positions were chosen.</returns>
    public int Apply(ReadOnlySpan<int> tokens, Span<int> inputs, Span<int> labels, ulong draw)
    {
        if (inputs.Length != tokens.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"inputs has {inputs.Length} positions but tokens has {tokens.Length}; they must be equally long."), nameof(inputs));
        }

        if (labels.Length != tokens.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"labels has {labels.Length} positions but tokens has {tokens.Length}; they must be equally long."), nameof(labels));
        }

        for (int t = 0; t < tokens.Length; t++)
        {
            if ((uint)tokens[t] >= (uint)VocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[t], string.Create(CultureInfo.InvariantCulture,
                    $"tokens[{t}] is {tokens[t]}, outside the vocabulary [0, {VocabularySize})."));
            }
        }

        // Three counters per position: 3t chooses it, 3t + 1 picks mask / random / keep, 3t + 2 the random token.
        ulong stream = ChooseStream ^ (draw * 0x9E3779B97F4A7C15UL);
        float keepAbove = MaskFraction + RandomFraction;
        int chosen = 0;
        for (int t = 0; t < tokens.Length; t++)
        {
            int token = tokens[t];
            ulong counter = 3UL * (ulong)t;
            if (_special[token] || CounterRandom.Uniform(Seed, stream, counter) >= Rate)
            {
                inputs[t] = token;
                labels[t] = IgnoreIndex;
                continue;
            }

            chosen++;
            labels[t] = token;
            float action = CounterRandom.Uniform(Seed, stream, counter + 1);
            inputs[t] = action < MaskFraction ? MaskId
                : action < keepAbove ? _ordinary[(int)(CounterRandom.Bits(Seed, stream, counter + 2) % (ulong)_ordinary.Length)]
                : token;
        }

        return chosen;
    }

    /// <summary>
    /// A <see cref="RowWriter{TBatch, TExample}"/> for <see cref="BatchLoader{TBatch, TExample}"/>: writes a sequence,
    /// corrupted, into the batch's first token input and its labels into the per-position target. With
    /// <paramref name="sameEveryTime"/> false (training) the n-th row written uses draw n, so every epoch masks
    /// anew (RoBERTa's dynamic masking); with true (validation) the draw is a hash of the sequence's ids, so a
    /// sequence is masked the same way at every evaluation. Allocates nothing per row.
    /// </summary>
    /// <param name="maxLength">The longest sequence (sizes the writer's two scratch rows).</param>
    /// <param name="sameEveryTime">Whether a sequence always gets the same corruption.</param>
    public RowWriter<TBatch, int[]> RowWriter<TBatch>(int maxLength, bool sameEveryTime = false)
        where TBatch : IBatchRows
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        int[] inputs = new int[maxLength];
        int[] labels = new int[maxLength];
        ulong written = 0;
        return (batch, row, sequence) =>
        {
            if (sequence.Length > maxLength)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"The sequence has {sequence.Length} tokens, more than the writer's maxLength {maxLength}."), nameof(sequence));
            }

            ulong draw = sameEveryTime ? ContentHash(sequence) : written++;
            int n = sequence.Length;
            Apply(sequence, inputs.AsSpan(0, n), labels.AsSpan(0, n), draw);
            batch.SetTokens(batch.Layout.TokenInput(), row, inputs.AsSpan(0, n));
            batch.SetLabels(row, labels.AsSpan(0, n));
        };
    }

    /// <summary>FNV-1a over the ids: a draw number that depends on the sequence only.</summary>
    public static ulong ContentHash(ReadOnlySpan<int> tokens)
    {
        ulong hash = 14695981039346656037UL;
        foreach (int token in tokens)
        {
            hash = (hash ^ (uint)token) * 1099511628211UL;
        }

        return hash;
    }
}
