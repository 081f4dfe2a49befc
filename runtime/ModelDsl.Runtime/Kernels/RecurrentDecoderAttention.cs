namespace ModelDsl.Kernels;

/// <summary>How a <see cref="RecurrentDecoder"/> looks at the encoder states (the memory) at each step.</summary>
public enum DecoderAttention
{
    /// <summary>
    /// No attention: the plain encoder–decoder of Cho et al. (2014) and Sutskever et al. (2014), where the single
    /// context vector is the initial state. <c>s_t = cell(x_t, s_{t−1})</c>, output <c>o_t = s_t</c> <c>[H]</c>.
    /// </summary>
    None,

    /// <summary>
    /// Additive attention of Bahdanau, Cho and Bengio (2015), "Neural Machine Translation by Jointly Learning to Align and
    /// Translate": <c>e_tj = vᵀ tanh(W s_{t−1} + U h_j)</c>, <c>α_t = softmax(e_t)</c> over valid keys,
    /// <c>c_t = Σ_j α_tj h_j</c>, <c>s_t = cell([x_t; c_t], s_{t−1})</c>, output <c>o_t = [s_t; c_t]</c> <c>[H + M]</c>.
    /// </summary>
    Bahdanau,

    /// <summary>
    /// Multiplicative "dot" attention of Luong, Pham and Manning (2015), "Effective Approaches to Attention-based Neural
    /// Machine Translation": <c>s_t = cell(x_t, s_{t−1})</c>, score <c>s_t · h_j</c> (needs H = M), <c>c_t = Σ_j α_tj h_j</c>,
    /// output <c>o_t = tanh(W_c [c_t; s_t])</c> <c>[H]</c>. Without input feeding.
    /// </summary>
    LuongDot,

    /// <summary>
    /// Luong et al. (2015) "general" attention: as <see cref="LuongDot"/> with score <c>s_tᵀ W_a h_j</c>
    /// (<c>W_a [H, M]</c>). Without input feeding.
    /// </summary>
    LuongGeneral,

    /// <summary>
    /// Luong et al. (2015) "concat" attention: as <see cref="LuongDot"/> with score <c>vᵀ tanh(W_a [s_t; h_j])</c>, where
    /// <c>W_a [A, H + M]</c> is kept as its two blocks, <c>W [A, H]</c> on the state and <c>U [A, M]</c> on the memory (so
    /// <c>U h_j</c> is computed once per source), and <c>v [A]</c>. Without input feeding.
    /// </summary>
    LuongConcat,
}
