using System;
using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Randomness;
using ModelDsl.Tokenization;

namespace ModelDsl.Data;

/// <summary>
/// One next-sentence-prediction example: <c>&lt;cls&gt; A &lt;sep&gt; B &lt;sep&gt;</c>, its segment ids and its label.
/// </summary>
/// <param name="Tokens">The ids, <c>&lt;cls&gt;</c> first.</param>
/// <param name="Segments">0 for <c>&lt;cls&gt;</c>, A and the first <c>&lt;sep&gt;</c>; 1 for B and the last <c>&lt;sep&gt;</c>
/// (BERT's token type ids); as long as <paramref name="Tokens"/>.</param>
/// <param name="IsRandomNext">The label as BERT and Hugging Face give it: 0 when B is the sentence that follows A in its
/// document, 1 when B is a random sentence from another document.</param>
public sealed record SentencePair(int[] Tokens, int[] Segments, int IsRandomNext);

/// <summary>
/// Builds next-sentence-prediction pairs (Devlin et al. 2019, section 3.1): for every sentence A that has a successor
/// in its document, B is that successor with probability 1/2 (label 0) and otherwise a sentence drawn uniformly from
/// another document (label 1). Seeded and counter-based: the pairs are a pure function of the documents and the seed.
/// </summary>
public static class SentencePairs
{
    private const ulong PairStream = 0x4E535031UL;    // "NSP1": per pair, counter 3i coin, 3i + 1 document, 3i + 2 sentence

    /// <summary>Builds one pair per pair of consecutive sentences.</summary>
    /// <param name="documents">Documents, each a list of sentences (token ids without special tokens, none empty).
    /// At least two documents, so that a random B can come from another one.</param>
    /// <param name="special">The special ids: <see cref="SpecialTokens.Cls"/> and <see cref="SpecialTokens.Sep"/> must be reserved.</param>
    /// <param name="maxLength">The longest pair, special tokens included (at least 5: <c>&lt;cls&gt;</c>, two
    /// <c>&lt;sep&gt;</c>, one token of each sentence). Longer pairs lose tokens from the end of the longer sentence.</param>
    /// <param name="seed">The seed of the draws.</param>
    public static SentencePair[] Build(IReadOnlyList<IReadOnlyList<int[]>> documents, SpecialTokens special, int maxLength, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(special);
        if (special.Cls < 0 || special.Sep < 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Sentence pairs need <cls> and <sep> (Special.Cls is {special.Cls}, Special.Sep {special.Sep}); build the vocabulary with SpecialTokenSet.Cls | SpecialTokenSet.Sep."),
                nameof(special));
        }

        if (maxLength < 5)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "A pair needs at least 5 positions: <cls>, two <sep> and a token of each sentence.");
        }

        if (documents.Count < 2)
        {
            throw new ArgumentException($"Sentence pairs need at least 2 documents (a random B comes from another document); {documents.Count} given.", nameof(documents));
        }

        for (int d = 0; d < documents.Count; d++)
        {
            IReadOnlyList<int[]> document = documents[d] ?? throw new ArgumentException($"documents[{d}] is null.", nameof(documents));
            for (int s = 0; s < document.Count; s++)
            {
                if (document[s] is not { Length: > 0 })
                {
                    throw new ArgumentException($"documents[{d}][{s}] is empty or null; every sentence needs a token.", nameof(documents));
                }
            }

            if (document.Count == 0)
            {
                throw new ArgumentException($"documents[{d}] has no sentence.", nameof(documents));
            }
        }

        var pairs = new List<SentencePair>();
        ulong index = 0;
        for (int d = 0; d < documents.Count; d++)
        {
            IReadOnlyList<int[]> document = documents[d];
            for (int s = 0; s + 1 < document.Count; s++, index++)
            {
                ulong counter = 3 * index;
                bool random = CounterRandom.Uniform(seed, PairStream, counter) < 0.5f;
                int[] b = document[s + 1];
                if (random)
                {
                    // Another document, uniformly: draw among the other Count - 1 and skip d.
                    int other = (int)(CounterRandom.Bits(seed, PairStream, counter + 1) % (ulong)(documents.Count - 1));
                    other += other >= d ? 1 : 0;
                    IReadOnlyList<int[]> from = documents[other];
                    b = from[(int)(CounterRandom.Bits(seed, PairStream, counter + 2) % (ulong)from.Count)];
                }

                pairs.Add(Pair(document[s], b, random ? 1 : 0, special, maxLength));
            }
        }

        return pairs.ToArray();
    }

    private static SentencePair Pair(int[] a, int[] b, int label, SpecialTokens special, int maxLength)
    {
        // Truncation as BERT's truncate_seq_pair: shorten the longer sentence (A on ties) until the pair fits.
        int lengthA = a.Length, lengthB = b.Length;
        while (lengthA + lengthB + 3 > maxLength)
        {
            if (lengthA >= lengthB)
            {
                lengthA--;
            }
            else
            {
                lengthB--;
            }
        }

        int n = lengthA + lengthB + 3;
        int[] tokens = new int[n];
        int[] segments = new int[n];
        tokens[0] = special.Cls;
        a.AsSpan(0, lengthA).CopyTo(tokens.AsSpan(1));
        tokens[lengthA + 1] = special.Sep;
        b.AsSpan(0, lengthB).CopyTo(tokens.AsSpan(lengthA + 2));
        tokens[n - 1] = special.Sep;
        segments.AsSpan(lengthA + 2).Fill(1);
        return new SentencePair(tokens, segments, label);
    }
}
