using System;
using ModelDsl.Decoding;

namespace ModelDsl.Tests.Decoding;

/// <summary>
/// A struct decoder over a <see cref="MarkovTable"/>: its only state is the token each row is fed, so Reorder has
/// nothing to copy. Being a struct, it shows the searches call it without boxing (the allocation tests).
/// </summary>
internal readonly struct MarkovDecoder(MarkovTable table, int maxRows, int maxSteps) : IIncrementalDecoder
{
    public int Vocabulary => table.Vocabulary;

    public int MaxRows { get; } = maxRows;

    public int MaxSteps { get; } = maxSteps;

    public void Step(ReadOnlySpan<int> tokens, int step, Span<float> logProbabilities)
    {
        int vocabulary = table.Vocabulary;
        for (int r = 0; r < tokens.Length; r++)
        {
            table.LogProbabilityTable.AsSpan(tokens[r] * vocabulary, vocabulary).CopyTo(logProbabilities.Slice(r * vocabulary, vocabulary));
        }
    }

    public void Reorder(ReadOnlySpan<int> sources, int steps)
    {
    }
}
