namespace ModelDsl;

/// <summary>Token embedding: token ids <c>[B, T]</c> to <c>[B, T, Dimension]</c>; parameter <c>weight [Vocab, Dimension]</c>, initialized normal(0, 1).</summary>
/// <param name="vocab">Number of token ids.</param>
/// <param name="dimension">Width of each embedding vector.</param>
public sealed class EmbeddingAttribute(int vocab, int dimension) : LayerAttribute
{
    /// <summary>Number of token ids.</summary>
    public int Vocab { get; } = vocab;

    /// <summary>Width of each embedding vector.</summary>
    public int Dimension { get; } = dimension;

    /// <summary>
    /// Name of an earlier <c>[Embedding]</c> whose table this one uses (same Vocab and Dimension): a translator's shared
    /// source/target embedding. The table is stored, initialized and trained once, under the owner's name.
    /// </summary>
    public string? SharedWith { get; set; }
}

/// <summary>Adds the fixed sinusoidal position encoding of "Attention Is All You Need" to <c>[B, T, D]</c>; no parameters.</summary>
public sealed class SinusoidalPositionsAttribute : LayerAttribute
{
}

/// <summary>Adds a learned position embedding <c>weight [MaxLength, D]</c> to <c>[B, T, D]</c>.</summary>
/// <param name="maxLength">Number of positions; at least the sequence's maximum length.</param>
public sealed class LearnedPositionsAttribute(int maxLength) : LayerAttribute
{
    /// <summary>Number of positions.</summary>
    public int MaxLength { get; } = maxLength;
}

/// <summary>Options shared by the Transformer stacks and attention.</summary>
public abstract class AttentionLayerAttribute : LayerAttribute
{
    /// <summary>Number of heads; must divide the width.</summary>
    public int Heads { get; set; } = 1;

    /// <summary>Masks applied to self-attention.</summary>
    public Masks Mask { get; set; }

    /// <summary>Radius of <see cref="Masks.LocalWindow"/>: keys with <c>|i - j| &lt;= WindowRadius</c> are allowed.</summary>
    public int WindowRadius { get; set; }

    /// <summary>Expected model width; 0 infers it from the input. When set, the input width must equal it.</summary>
    public int Width { get; set; }

    /// <summary>Dropout probability.</summary>
    public float Dropout { get; set; }
}

/// <summary>Options shared by the Transformer encoder and decoder stacks.</summary>
public abstract class TransformerAttribute : AttentionLayerAttribute
{
    /// <summary>Creates the options with PyTorch's defaults (dropout 0.1, ReLU, post-norm).</summary>
    protected TransformerAttribute() => Dropout = 0.1f;

    /// <summary>Number of layers.</summary>
    public int Layers { get; set; } = 1;

    /// <summary>Hidden width of the position-wise feed-forward network; 0 means 4 × width.</summary>
    public int FeedForward { get; set; }

    /// <summary>Activation of the feed-forward network.</summary>
    public Activation Activation { get; set; } = Activation.Relu;

    /// <summary>Pre-norm (LayerNorm before each sublayer) instead of the original post-norm.</summary>
    public bool NormFirst { get; set; }
}

/// <summary>A stack of Transformer encoder layers (self-attention + feed-forward, residuals, LayerNorm) on <c>[B, T, D]</c>.</summary>
public sealed class TransformerEncoderAttribute : TransformerAttribute
{
}

/// <summary>
/// A stack of Transformer decoder layers: masked self-attention, cross-attention to <see cref="Memory"/> (omit it for a
/// decoder-only model such as GPT) and feed-forward, on <c>[B, T, D]</c>. <see cref="AttentionLayerAttribute.Mask"/> defaults to causal.
/// </summary>
public sealed class TransformerDecoderAttribute : TransformerAttribute
{
    /// <summary>Creates the options; the self-attention mask defaults to <see cref="Masks.Causal"/>.</summary>
    public TransformerDecoderAttribute() => Mask = Masks.Causal;

    /// <summary>Name of the member whose output <c>[B, S, D]</c> the cross-attention reads; null for decoder-only.</summary>
    public string? Memory { get; set; }
}

/// <summary>Multi-head attention on <c>[B, T, D]</c>: self-attention, or cross-attention to <see cref="Memory"/>.</summary>
public sealed class MultiHeadAttentionAttribute : AttentionLayerAttribute
{
    /// <summary>Attention with <paramref name="heads"/> heads.</summary>
    /// <param name="heads">Number of heads; must divide the width.</param>
    public MultiHeadAttentionAttribute(int heads) => Heads = heads;

    /// <summary>Name of the member whose output <c>[B, S, D]</c> supplies keys and values; null for self-attention.</summary>
    public string? Memory { get; set; }
}

/// <summary>Mean over the valid (unpadded) positions: <c>[B, T, D]</c> to <c>[B, D]</c>.</summary>
public sealed class MeanPoolAttribute : LayerAttribute
{
}

/// <summary>The first position: <c>[B, T, D]</c> to <c>[B, D]</c> (a [CLS] token).</summary>
public sealed class FirstTokenPoolAttribute : LayerAttribute
{
}

/// <summary>The last valid (unpadded) position of each row: <c>[B, T, D]</c> to <c>[B, D]</c>.</summary>
public sealed class LastTokenPoolAttribute : LayerAttribute
{
}

/// <summary>
/// The final state of a <c>[RecurrentEncoder]</c>'s last layer, in PyTorch's <c>h_n</c> layout: <c>[B, T, 2H]</c> to <c>[B, 2H]</c>
/// (<c>torch.cat([h_n[-2], h_n[-1]], -1)</c>) for a bidirectional encoder, <c>[B, T, H]</c> to <c>[B, H]</c> (<c>h_n[-1]</c>)
/// for a unidirectional one. The forward half is the output at the row's last valid position, the reverse half the output at
/// position 0. For an LSTM it is the hidden state <c>h_n</c>, not the cell.
/// </summary>
public sealed class FinalStatePoolAttribute : LayerAttribute
{
}

/// <summary>Fully connected layer on the last dimension: <c>[..., In]</c> to <c>[..., Units]</c>; parameters <c>weight [Units, In]</c>, <c>bias [Units]</c>.</summary>
/// <param name="units">Output width.</param>
public sealed class DenseAttribute(int units) : LayerAttribute
{
    /// <summary>Output width.</summary>
    public int Units { get; } = units;

    /// <summary>Activation applied to the output.</summary>
    public Activation Activation { get; set; }

    /// <summary>Whether the layer has a bias.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Name of an <c>[Embedding]</c> whose weight <c>[Vocab, D]</c> this layer shares (Units must be Vocab, the input width D).</summary>
    public string? TiedTo { get; set; }
}

/// <summary>Dropout: zeroes each element with probability <c>Probability</c> while training and scales the rest by <c>1 / (1 - p)</c>.</summary>
/// <param name="probability">Drop probability in [0, 1).</param>
public sealed class DropoutAttribute(float probability) : LayerAttribute
{
    /// <summary>Drop probability.</summary>
    public float Probability { get; } = probability;
}

/// <summary>Layer normalization over the last dimension (eps 1e-5); parameters <c>weight</c> (ones), <c>bias</c> (zeros).</summary>
public sealed class LayerNormAttribute : LayerAttribute
{
}

/// <summary>
/// Batch normalization over the last dimension (the features), with running statistics for evaluation;
/// parameters <c>weight</c>, <c>bias</c>; buffers <c>running_mean</c>, <c>running_var</c>.
/// </summary>
public sealed class BatchNormAttribute : LayerAttribute
{
    /// <summary>Running-statistics momentum (PyTorch's default 0.1).</summary>
    public float Momentum { get; set; } = 0.1f;
}

/// <summary>
/// A recurrent encoder on <c>[B, T, E]</c>: <see cref="Layers"/> stacked RNN/GRU/LSTM layers, optionally bidirectional
/// (forward and backward states concatenated), over each row's valid positions. Output <c>[B, T, Hidden × directions]</c>;
/// its final state <c>[B, Hidden × directions]</c> (last layer, forward then backward) starts a <see cref="RecurrentDecoderAttribute"/>.
/// Parameters as PyTorch's <c>nn.GRU</c>: <c>weight_ih_l{k}</c>, <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c> (and <c>_reverse</c>).
/// </summary>
/// <param name="hidden">Width of each direction's state.</param>
public sealed class RecurrentEncoderAttribute(int hidden) : LayerAttribute
{
    /// <summary>Width of each direction's state.</summary>
    public int Hidden { get; } = hidden;

    /// <summary>The recurrent cell.</summary>
    public RecurrentCell Cell { get; set; } = RecurrentCell.Gru;

    /// <summary>Number of stacked layers.</summary>
    public int Layers { get; set; } = 1;

    /// <summary>Run a second layer backwards over each row and concatenate the two directions.</summary>
    public bool Bidirectional { get; set; }
}

/// <summary>
/// A recurrent decoder on the embedded decoder input <c>[B, T, E]</c> (teacher forcing) that reads the encoder named by
/// <see cref="Memory"/>: it starts from the encoder's final state (through a learned <c>tanh</c> bridge when the widths
/// differ) and attends over the encoder states at every step (<see cref="Attention"/>). Output <c>[B, T, Hidden + M]</c>
/// for Bahdanau (state and context), <c>[B, T, Hidden]</c> otherwise.
/// </summary>
/// <param name="hidden">Width of the decoder state.</param>
public sealed class RecurrentDecoderAttribute(int hidden) : LayerAttribute
{
    /// <summary>Width of the decoder state.</summary>
    public int Hidden { get; } = hidden;

    /// <summary>The recurrent cell.</summary>
    public RecurrentCell Cell { get; set; } = RecurrentCell.Gru;

    /// <summary>How each step looks at the encoder states.</summary>
    public RecurrentAttention Attention { get; set; } = RecurrentAttention.Bahdanau;

    /// <summary>Name of the <c>[RecurrentEncoder]</c> this decoder reads (its states and its final state). Required.</summary>
    public string? Memory { get; set; }

    /// <summary>Width A of <c>W s + U h</c> (Bahdanau and Luong concat attention); 0 means <see cref="Hidden"/>.</summary>
    public int AttentionSize { get; set; }

    /// <summary>
    /// Start the LSTM cell state from the encoder's final cell (PyTorch's <c>(h_n, c_n)</c> handed on) instead of zeros:
    /// both the encoder and this decoder must be <see cref="RecurrentCell.Lstm"/> and the encoder's final width
    /// (<c>Hidden × directions</c>, the two directions' cells joined when bidirectional) must equal <see cref="Hidden"/>,
    /// as there is no bridge for the cell (MDSL1021 otherwise).
    /// </summary>
    public bool CellFromEncoder { get; set; }
}
