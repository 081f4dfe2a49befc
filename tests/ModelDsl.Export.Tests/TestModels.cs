namespace ModelDsl.Export;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>Dense features, a tanh layer, BatchNorm (batch statistics, momentum 0.2) and an MSE head.</summary>
[Model(MaxBatch = 8)]
public partial class FeatureRegressor
{
    [Input(Features = 5)] public partial FeatureInput X { get; }
    [Dense(8, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [BatchNorm(Momentum = 0.2f)] public partial Norm Norm { get; }
    [Dense(3)] [MseLoss] public partial Dense Out { get; }
}

/// <summary>
/// A feature sequence: GELU projection, BatchNorm over the valid positions, a pre-norm encoder with a local window (radius 1) and
/// key padding, tanh-GELU feed-forward and dropout 0.2 (off for the comparison), LayerNorm, per-position MSE.
/// </summary>
[Model(MaxBatch = 4)]
public partial class WindowedSequenceRegressor
{
    public const int Length = 7, D = 8;
    [Input(Length, Features = 4)] public partial FeatureInput Signal { get; }
    [Dense(D, Activation = Activation.Gelu)] public partial Dense Project { get; }
    [BatchNorm(Momentum = 0.5f)] public partial Norm Norm { get; }
    [TransformerEncoder(Layers = 2, Heads = 2, FeedForward = 16, Mask = Masks.KeyPadding | Masks.LocalWindow, WindowRadius = 1, NormFirst = true,
        Activation = Activation.GeluTanh, Dropout = 0.2f)]
    public partial EncoderStack Encoder { get; }
    [LayerNorm] public partial Norm Final { get; }
    [Dense(2)] [MseLoss] public partial Dense Out { get; }
}

/// <summary>
/// Graph masks: an encoder and a standalone attention block over token embeddings attend along a run-time adjacency (with a
/// query that has no neighbour: a zero context), first-token pool, PReLU per channel, a leaky ReLU of slope 0.2 as a layer,
/// dropout, cross-entropy with smoothing.
/// </summary>
[Model(MaxBatch = 4)]
public partial class GraphClassifier
{
    public const int Vocab = 11, D = 8, Length = 6;
    [Input(Length)] public partial TokenInput Nodes { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [TransformerEncoder(Heads = 2, FeedForward = 16, Mask = Masks.Graph | Masks.KeyPadding, Activation = Activation.Gelu, Dropout = 0f)]
    public partial EncoderStack Encoder { get; }
    [MultiHeadAttention(4, Mask = Masks.Graph)] public partial AttentionBlock Neighbours { get; }
    [FirstTokenPool] public partial Pool Pool { get; }
    [PReLU(PerChannel = true)] public partial PReLULayer Slope { get; }
    [Activation(Activation.LeakyRelu, Slope = 0.2f)] public partial ActivationLayer Leaky { get; }
    [Dropout(0.3f)] public partial DropoutLayer Drop { get; }
    [Dense(3)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Head { get; }
}

/// <summary>A causal language model with a local window (radius 2), learned positions and a leaky-ReLU feed-forward.</summary>
[Model(MaxBatch = 4)]
public partial class WindowedLanguageModel
{
    public const int Vocab = 13, D = 8, Length = 9;
    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [LearnedPositions(Length)] public partial Positions Positions { get; }
    [TransformerDecoder(Layers = 2, Heads = 2, FeedForward = 16, Mask = Masks.Causal | Masks.LocalWindow, WindowRadius = 2,
        Activation = Activation.LeakyRelu, Dropout = 0f)]
    public partial DecoderStack Blocks { get; }
    [Dense(Vocab)] [CrossEntropyLoss(IgnoreIndex = -1)] public partial Dense Head { get; }
}

/// <summary>
/// Shared embeddings: the target side uses the source table (SharedWith) and the head is tied to it; pre-norm GELU stacks,
/// target key padding on the decoder, a final LayerNorm, label smoothing 0.1.
/// </summary>
[Model(MaxBatch = 4)]
public partial class SharedTranslator
{
    public const int Vocab = 15, D = 8, SourceLength = 8, TargetLength = 6;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [SinusoidalPositions] public partial Positions SourcePositions { get; }
    [TransformerEncoder(Layers = 2, Heads = 2, FeedForward = 16, Mask = Masks.KeyPadding, NormFirst = true, Activation = Activation.Gelu, Dropout = 0f)]
    public partial EncoderStack Encoder { get; }
    [Embedding(Vocab, D, From = nameof(Target), SharedWith = nameof(SourceEmbedding))] public partial TokenEmbedding TargetEmbedding { get; }
    [SinusoidalPositions] public partial Positions TargetPositions { get; }
    [TransformerDecoder(Layers = 2, Heads = 2, FeedForward = 16, Memory = nameof(Encoder), Mask = Masks.Causal | Masks.KeyPadding, NormFirst = true,
        Activation = Activation.Gelu, Dropout = 0f)]
    public partial DecoderStack Decoder { get; }
    [LayerNorm] public partial Norm FinalNorm { get; }
    [Dense(Vocab, TiedTo = nameof(SourceEmbedding), Bias = false)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Logits { get; }
}

/// <summary>A 2-layer LSTM encoder and an LSTM decoder with Luong general attention (no bridge), label smoothing.</summary>
[Model(MaxBatch = 4)]
public partial class LstmLuongTranslator
{
    public const int Vocab = 13, E = 5, H = 7, SourceLength = 8, TargetLength = 6;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(H, Cell = RecurrentCell.Lstm, Layers = 2)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(H, Cell = RecurrentCell.Lstm, Attention = RecurrentAttention.LuongGeneral, Memory = nameof(Encoder))]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Logits { get; }
}

/// <summary>A bidirectional GRU encoder (4 + 4) and an LSTM decoder (6: a bridge 8 -> 6) with Luong concat attention of size 5.</summary>
[Model(MaxBatch = 4)]
public partial class LstmConcatTranslator
{
    public const int Vocab = 11, E = 4, SourceLength = 7, TargetLength = 5;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(4, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(6, Cell = RecurrentCell.Lstm, Attention = RecurrentAttention.LuongConcat, AttentionSize = 5, Memory = nameof(Encoder))]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>
/// A bidirectional LSTM encoder (3 + 3) whose joined final state and final cell start an LSTM decoder (6) with Luong dot attention
/// (CellFromEncoder: the export's recurrent_encoder returns c_n's last layer too).
/// </summary>
[Model(MaxBatch = 4)]
public partial class LstmCellHandedTranslator
{
    public const int Vocab = 11, E = 4, SourceLength = 7, TargetLength = 5;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(3, Cell = RecurrentCell.Lstm, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(6, Cell = RecurrentCell.Lstm, Attention = RecurrentAttention.LuongDot, Memory = nameof(Encoder), CellFromEncoder = true)]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>A bidirectional plain-RNN encoder (3 + 3) and an RNN decoder (6) with Luong dot attention.</summary>
[Model(MaxBatch = 4)]
public partial class RnnDotTranslator
{
    public const int Vocab = 11, E = 4, SourceLength = 7, TargetLength = 5;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(3, Cell = RecurrentCell.Rnn, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(6, Cell = RecurrentCell.Rnn, Attention = RecurrentAttention.LuongDot, Memory = nameof(Encoder))]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>A bidirectional LSTM encoder (4 + 4) and an LSTM decoder (5: a bridge 8 -> 5) with Bahdanau attention of size 3.</summary>
[Model(MaxBatch = 4)]
public partial class LstmBahdanauTranslator
{
    public const int Vocab = 11, E = 4, SourceLength = 7, TargetLength = 5;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(4, Cell = RecurrentCell.Lstm, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(5, Cell = RecurrentCell.Lstm, Attention = RecurrentAttention.Bahdanau, AttentionSize = 3, Memory = nameof(Encoder))]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>A 2-layer bidirectional GRU encoder's final state (FinalStatePool) into a ReLU layer and a classifier.</summary>
[Model(MaxBatch = 4)]
public partial class FinalStateClassifier
{
    public const int Vocab = 9, E = 4, Length = 7;
    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, E)] public partial TokenEmbedding Tokens { get; }
    [RecurrentEncoder(5, Bidirectional = true, Layers = 2)] public partial RecurrentStack Encoder { get; }
    [FinalStatePool] public partial Pool Final { get; }
    [Dense(6, Activation = Activation.Relu)] public partial Dense Hidden { get; }
    [Dense(4)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>
/// Standalone attention: key-padded self-attention over source tokens, causal self-attention over a feature sequence, cross-
/// attention from it to the source (memory key padding), sigmoid projection, per-position cross-entropy along the features.
/// </summary>
[Model(MaxBatch = 4)]
public partial class Attentive
{
    public const int Vocab = 12, D = 8, SourceLength = 7, QueryLength = 5, Classes = 4;
    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(QueryLength, Features = D)] public partial FeatureInput Query { get; }
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [MultiHeadAttention(2, Mask = Masks.KeyPadding)] public partial AttentionBlock SourceSelf { get; }
    [MultiHeadAttention(2, From = nameof(Query), Mask = Masks.Causal | Masks.KeyPadding)] public partial AttentionBlock QuerySelf { get; }
    [MultiHeadAttention(4, Memory = nameof(SourceSelf))] public partial AttentionBlock Cross { get; }
    [Dense(D, Activation = Activation.Sigmoid)] public partial Dense Mix { get; }
    [LastTokenPool] public partial Pool Last { get; }
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>A member whose state-dict name is a Python keyword cannot be a submodule: the export refuses it.</summary>
[Model(MaxBatch = 2)]
public partial class KeywordModel
{
    [Input(Features = 3)] public partial FeatureInput X { get; }
    [Dense(2)] [MseLoss] public partial Dense Lambda { get; }
}

#pragma warning restore CS1591
