using System;

namespace ModelDsl.Tests.Decoding;

/// <summary>
/// A language model given as a pure function of (source, prefix): what the test decoders serve row by row and what
/// the oracles (<see cref="Exhaustive"/>, <see cref="ReferenceBeam"/>) enumerate.
/// </summary>
internal interface ISequenceModel
{
    int Vocabulary { get; }

    /// <summary>Log-probabilities of the next token after <paramref name="prefix"/> (which starts with the start token).</summary>
    void LogProbabilities(int source, ReadOnlySpan<int> prefix, Span<float> output);
}
