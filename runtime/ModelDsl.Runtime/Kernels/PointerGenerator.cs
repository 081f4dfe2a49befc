using System;
using ModelDsl.Kernels.Reference;

namespace ModelDsl.Kernels;

/// <summary>
/// Sizes of a <see cref="PointerGenerator"/> call.
/// </summary>
/// <param name="Rows">Query rows (decoder positions of every item, or decoded hypotheses).</param>
/// <param name="QueriesPerItem">Consecutive rows that read one item's source: the target length in training, the beam width when decoding.</param>
/// <param name="SourceLength">Source positions per item (the row stride of the memory and the ids).</param>
/// <param name="Width">Decoder and memory width D.</param>
/// <param name="InputWidth">Decoder input width E.</param>
/// <param name="Vocabulary">Output vocabulary V; every source id must be below it.</param>
public readonly record struct PointerGeneratorShape(int Rows, int QueriesPerItem, int SourceLength, int Width, int InputWidth, int Vocabulary)
{
    /// <summary>Items (sources): <c>Rows / QueriesPerItem</c>.</summary>
    public int Items => Rows / QueriesPerItem;

    internal void Check(ReadOnlySpan<int> sourceIds, ReadOnlySpan<int> sourceLengths)
    {
        Guard.NonNegative(Rows);
        Guard.Positive(QueriesPerItem);
        Guard.NonNegative(SourceLength);
        Guard.Positive(Width);
        Guard.Positive(InputWidth);
        Guard.Positive(Vocabulary);
        if (Rows % QueriesPerItem != 0)
        {
            throw new ArgumentException($"PointerGenerator: Rows ({Rows}) must be a multiple of QueriesPerItem ({QueriesPerItem}).", nameof(QueriesPerItem));
        }

        Guard.AtLeast(sourceIds, (long)Items * SourceLength);
        Guard.AtLeast(sourceLengths, Items);
        for (int b = 0; b < Items; b++)
        {
            int length = sourceLengths[b];
            if ((uint)length > (uint)SourceLength)
            {
                throw new ArgumentOutOfRangeException(nameof(sourceLengths), length, $"PointerGenerator: source length of item {b} must be in [0, {SourceLength}].");
            }

            for (int j = 0; j < length; j++)
            {
                int id = sourceIds[(b * SourceLength) + j];
                if ((uint)id >= (uint)Vocabulary)
                {
                    throw new ArgumentOutOfRangeException(nameof(sourceIds), id,
                        $"PointerGenerator: source token id {id} (item {b}, position {j}) is outside the output vocabulary [0, {Vocabulary}): a copied token must be an output token.");
                }
            }
        }
    }
}

/// <summary>
/// The pointer-generator head (See et al. 2017): the mixture of the vocabulary softmax and a copy attention's weights
/// scattered onto the source token ids, as log-probabilities (see <see cref="PointerGeneratorReference"/> for the math). The
/// float entry points run the plain loops of the reference: the head's cost is small next to the vocabulary projection's GEMM
/// (per row <c>O(S·D + V)</c>). Rows run in order, so the accumulated gradients are the same bits on every run.
/// </summary>
public static class PointerGenerator
{
    /// <summary>Scratch floats a call needs: a vocabulary row (the forward's scattered copy distribution) or a source row (the backward's).</summary>
    /// <param name="vocabulary">Output vocabulary V.</param>
    /// <param name="sourceLength">Source positions S.</param>
    /// <returns>The length.</returns>
    public static int ScratchLength(int vocabulary, int sourceLength) => Math.Max(vocabulary, sourceLength);

    /// <summary>Forward in float; see <see cref="PointerGeneratorReference.Forward"/>.</summary>
    /// <param name="output">log P <c>[Rows, V]</c>.</param>
    /// <param name="weights">Copy attention <c>[Rows, S]</c>.</param>
    /// <param name="context">Copy context <c>[Rows, D]</c>.</param>
    /// <param name="gate">Gate pre-activation <c>[Rows]</c>.</param>
    /// <param name="logits">Vocabulary logits <c>[Rows, V]</c>.</param>
    /// <param name="query">Copy queries <c>[Rows, D]</c>.</param>
    /// <param name="state">Decoder states <c>[Rows, D]</c>.</param>
    /// <param name="input">Decoder inputs <c>[Rows, E]</c>.</param>
    /// <param name="memory">Encoder outputs <c>[Items, S, D]</c>.</param>
    /// <param name="sourceIds">Source ids <c>[Items, S]</c>.</param>
    /// <param name="sourceLengths">Source lengths <c>[Items]</c>.</param>
    /// <param name="gateWeight"><c>[w_h | w_s | w_x]</c>.</param>
    /// <param name="gateBias"><c>[b]</c>.</param>
    /// <param name="shape">Sizes.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats.</param>
    public static void Forward(
        Span<float> output, Span<float> weights, Span<float> context, Span<float> gate,
        ReadOnlySpan<float> logits, ReadOnlySpan<float> query, ReadOnlySpan<float> state, ReadOnlySpan<float> input, ReadOnlySpan<float> memory,
        ReadOnlySpan<int> sourceIds, ReadOnlySpan<int> sourceLengths, ReadOnlySpan<float> gateWeight, ReadOnlySpan<float> gateBias,
        PointerGeneratorShape shape, Span<float> scratch) =>
        PointerGeneratorReference.Forward(output, weights, context, gate, logits, query, state, input, memory, sourceIds, sourceLengths, gateWeight, gateBias, shape, scratch);

    /// <summary>Backward in float, accumulating; see <see cref="PointerGeneratorReference.Backward"/>.</summary>
    /// <param name="dLogits">Gradient of the logits.</param>
    /// <param name="dQuery">Gradient of the queries.</param>
    /// <param name="dState">Gradient of the states.</param>
    /// <param name="dInput">Gradient of the inputs.</param>
    /// <param name="dMemory">Gradient of the memory.</param>
    /// <param name="dGateWeight">Gradient of the gate weights.</param>
    /// <param name="dGateBias">Gradient of the gate bias.</param>
    /// <param name="dOutput">Gradient of log P.</param>
    /// <param name="output">The forward's log P.</param>
    /// <param name="weights">The forward's copy attention.</param>
    /// <param name="context">The forward's copy context.</param>
    /// <param name="gate">The forward's gate pre-activation.</param>
    /// <param name="logits">The forward's logits.</param>
    /// <param name="query">The forward's queries.</param>
    /// <param name="state">The forward's states.</param>
    /// <param name="input">The forward's inputs.</param>
    /// <param name="memory">The forward's memory.</param>
    /// <param name="sourceIds">The forward's source ids.</param>
    /// <param name="sourceLengths">The forward's source lengths.</param>
    /// <param name="gateWeight">The forward's gate weights.</param>
    /// <param name="shape">Sizes.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats.</param>
    public static void Backward(
        Span<float> dLogits, Span<float> dQuery, Span<float> dState, Span<float> dInput, Span<float> dMemory, Span<float> dGateWeight, Span<float> dGateBias,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> output, ReadOnlySpan<float> weights, ReadOnlySpan<float> context, ReadOnlySpan<float> gate,
        ReadOnlySpan<float> logits, ReadOnlySpan<float> query, ReadOnlySpan<float> state, ReadOnlySpan<float> input, ReadOnlySpan<float> memory,
        ReadOnlySpan<int> sourceIds, ReadOnlySpan<int> sourceLengths, ReadOnlySpan<float> gateWeight, PointerGeneratorShape shape, Span<float> scratch) =>
        PointerGeneratorReference.Backward(dLogits, dQuery, dState, dInput, dMemory, dGateWeight, dGateBias, dOutput, output, weights, context, gate,
            logits, query, state, input, memory, sourceIds, sourceLengths, gateWeight, shape, scratch);
}
