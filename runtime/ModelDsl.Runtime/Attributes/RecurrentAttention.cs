namespace ModelDsl;

/// <summary>How a recurrent decoder step looks at the encoder states.</summary>
public enum RecurrentAttention
{
    /// <summary>No attention: the encoder's final state is the only context (the plain encoder–decoder).</summary>
    None,

    /// <summary>Additive (Bahdanau et al. 2015): <c>e = vᵀ tanh(W s + U h)</c>; the context joins the cell input.</summary>
    Bahdanau,

    /// <summary>Multiplicative (Luong et al. 2015), <c>score = s · h</c> (decoder and encoder widths equal).</summary>
    LuongDot,

    /// <summary>Multiplicative (Luong et al. 2015), <c>score = sᵀ W_a h</c>.</summary>
    LuongGeneral,

    /// <summary>Luong et al. (2015) "concat", <c>score = vᵀ tanh(W_a [s; h])</c>, with <c>W_a</c> kept as <c>W</c> (state) and <c>U</c> (memory).</summary>
    LuongConcat,
}
