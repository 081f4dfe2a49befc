namespace ModelDsl;

/// <summary>
/// The pointer-generator head of See et al. (2017, "Get To The Point"), in place of the <c>[Dense(Vocab)]</c> head of an
/// encoder-decoder: its output is <c>log P</c> <c>[B, T, Vocab]</c>, the log of the mixture
/// <c>P = p_gen · softmax(W h + b) + (1 − p_gen) · Σ_{j: source_j = v} α_j</c>, where <c>α</c> is a copy attention of its own
/// (one head, scaled dot product of <c>W_q h</c> with the <see cref="Memory"/> positions, padding masked),
/// <c>p_gen = σ(w_h · context + w_s · h + w_x · x + b)</c> from the copy context, the decoder state <c>h</c> (the layer's input)
/// and the decoder input <c>x</c> (the <see cref="Input"/> embedding). A <c>[CrossEntropyLoss]</c> on it is <c>−log P(target)</c>
/// (the log-softmax of a normalized log-distribution is itself); decoding takes the same distribution. Source tokens are
/// copied by id, so the source and output vocabularies must be one: the source's embedding vocabulary must not exceed
/// <see cref="Vocab"/> (MDSL1027). Parameters: <c>weight</c> <c>[Vocab, D]</c>, <c>bias</c>, <c>copy_query.weight</c> <c>[D, D]</c>,
/// <c>gate.weight</c> <c>[1, 2D + E]</c>, <c>gate.bias</c> <c>[1]</c>.
/// </summary>
/// <param name="vocab">The output vocabulary (shared with the source).</param>
public sealed class PointerGeneratorAttribute(int vocab) : LayerAttribute
{
    /// <summary>The output vocabulary.</summary>
    public int Vocab { get; } = vocab;

    /// <summary>The encoder output <c>[B, S, D]</c> the head copies from (use <c>nameof</c>); its tokens are the source input's ids.</summary>
    public string? Memory { get; set; }

    /// <summary>The <c>[Embedding]</c> of the decoded input (use <c>nameof</c>): the <c>x</c> of the gate.</summary>
    public string? Input { get; set; }
}
