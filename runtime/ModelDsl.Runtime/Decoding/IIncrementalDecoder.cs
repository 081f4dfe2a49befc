using System;

namespace ModelDsl.Decoding;

/// <summary>
/// A sequence model that extends a set of hypotheses one token at a time, keeping whatever it needs from earlier
/// steps (a Transformer's key/value cache, an RNN's state) so a step never recomputes the prefix. Generated
/// seq2seq models implement it; <see cref="GreedySearch"/>, <see cref="BeamSearch"/> and <see cref="Sampler"/>
/// drive it.
/// </summary>
/// <remarks>
/// Rows are hypotheses. Before a search the caller prepares the decoder for <c>batch × width</c> rows (row
/// <c>b * width + k</c> is hypothesis <c>k</c> of source <c>b</c>), e.g. by encoding each source once per row.
/// Implementations must not allocate in <see cref="Step"/> or <see cref="Reorder"/>.
/// </remarks>
public interface IIncrementalDecoder
{
    /// <summary>Number of token ids (the width of a row of log-probabilities).</summary>
    int Vocabulary { get; }

    /// <summary>Largest number of rows <see cref="Step"/> accepts.</summary>
    int MaxRows { get; }

    /// <summary>Largest number of steps (output positions, start token included) a hypothesis can take.</summary>
    int MaxSteps { get; }

    /// <summary>
    /// Feeds each row's latest token (the start token at step 0) at position <paramref name="step"/> and writes the
    /// log-probabilities of the next token, <c>[rows, Vocabulary]</c>, into <paramref name="logProbabilities"/>.
    /// </summary>
    /// <param name="tokens">One token per row; its length is the number of rows.</param>
    /// <param name="step">Position of these tokens, 0 for the first; steps come in order 0, 1, 2, ...</param>
    /// <param name="logProbabilities"><c>[rows, Vocabulary]</c>, overwritten.</param>
    void Step(ReadOnlySpan<int> tokens, int step, Span<float> logProbabilities);

    /// <summary>
    /// After step <paramref name="steps"/> - 1, row <c>r</c> continues the hypothesis that row <c>sources[r]</c> held:
    /// copy whatever state the decoder keeps per row (beam search calls this; a source may be repeated).
    /// </summary>
    /// <param name="sources">For each row, the row it continues; its length is the number of rows.</param>
    /// <param name="steps">Steps taken so far (positions <c>0 .. steps-1</c> are in the cache).</param>
    void Reorder(ReadOnlySpan<int> sources, int steps);
}
