namespace ModelDsl.Examples.DateTranslator;

/// <summary>The seq2seq architectures the example can train (<c>--model</c>).</summary>
public enum ModelKind
{
    /// <summary><c>transformer</c>: Transformer encoder-decoder with cross-attention.</summary>
    Transformer,

    /// <summary><c>gru-bahdanau</c>: GRU encoder-decoder with additive (Bahdanau) attention.</summary>
    GruBahdanau,

    /// <summary><c>gru-luong</c>: GRU encoder-decoder with multiplicative (Luong) attention.</summary>
    GruLuong,

    /// <summary><c>gru-plain</c>: GRU encoder-decoder without attention (the final encoder state only).</summary>
    GruPlain,

    /// <summary><c>transformer-copy</c>: the Transformer with a pointer-generator (copy) head.</summary>
    TransformerCopy,
}
