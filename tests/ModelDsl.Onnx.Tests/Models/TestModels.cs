namespace ModelDsl.Onnx.Tests.Models;

/// <summary>Dense feature input, ReLU, BatchNorm (running statistics at inference), per-row MSE.</summary>
[Model(MaxBatch = 4)]
public partial class Regressor
{
    [Input(Features = 10)] public partial FeatureInput X { get; }
    [Dense(16, Activation = Activation.Relu)] public partial Dense Hidden { get; }
    [BatchNorm] public partial Norm Norm { get; }
    [Dense(3)] [MseLoss] public partial Dense Out { get; }
}

/// <summary>Feature sequences, standalone self-attention with key padding and cross-attention to a second sequence, GELU, BatchNorm, per-position MSE.</summary>
[Model(MaxBatch = 8)]
public partial class SequenceRegressor
{
    public const int Length = 12, ContextLength = 6, Features = 5, D = 16;

    [Input(Length, Features = Features)] public partial FeatureInput Signal { get; }
    [Input(ContextLength, Features = D)] public partial FeatureInput Context { get; }
    [Dense(D, From = nameof(Signal), Activation = Activation.Gelu)] public partial Dense Project { get; }
    [MultiHeadAttention(4, Mask = Masks.KeyPadding)] public partial AttentionBlock SelfAttention { get; }
    [MultiHeadAttention(4, Memory = nameof(Context))] public partial AttentionBlock CrossAttention { get; }
    [BatchNorm(Momentum = 0.05f)] public partial Norm Norm { get; }
    [Dense(2)] [MseLoss] public partial Dense Out { get; }
}

/// <summary>
/// Local-window attention with key padding, pre-norm, tanh-GELU, LayerNorm, GELU and leaky ReLU (slope 0.3) as layers, PReLU,
/// dropout, last-token pooling.
/// </summary>
[Model(MaxBatch = 6)]
public partial class WindowClassifier
{
    public const int Vocab = 30, D = 24, Length = 16;

    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [LearnedPositions(Length)] public partial Positions Positions { get; }
    [TransformerEncoder(Layers = 2, Heads = 3, FeedForward = 40, Mask = Masks.KeyPadding | Masks.LocalWindow, WindowRadius = 2, NormFirst = true, Activation = Activation.GeluTanh)]
    public partial EncoderStack Encoder { get; }
    [LayerNorm] public partial Norm Norm { get; }
    [Activation(Activation.Gelu)] public partial ActivationLayer Gelu { get; }
    [Activation(Activation.LeakyRelu, Slope = 0.3f)] public partial ActivationLayer Leaky { get; }
    [PReLU(PerChannel = true, Channels = D)] public partial PReLULayer Slope { get; }
    [Dropout(0.2f)] public partial DropoutLayer Drop { get; }
    [LastTokenPool] public partial Pool Pool { get; }
    [Dense(4, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>Graph-masked attention over nodes with first-token pooling and sigmoid/leaky-ReLU heads.</summary>
[Model(MaxBatch = 4)]
public partial class GraphClassifier
{
    public const int Vocab = 12, D = 16, Nodes = 9;

    [Input(Nodes)] public partial TokenInput Graph { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 32, Mask = Masks.Graph | Masks.KeyPadding)] public partial EncoderStack Encoder { get; }
    [FirstTokenPool] public partial Pool Pool { get; }
    [Dense(8, Activation = Activation.LeakyRelu)] public partial Dense Hidden { get; }
    [Dense(2, Activation = Activation.Sigmoid)] [MseLoss] public partial Dense Out { get; }
}

/// <summary>A seq2seq Transformer whose target embedding shares the source table, with a tied output head.</summary>
[Model(MaxBatch = 4)]
public partial class SharedTranslator
{
    public const int Vocab = 20, D = 16, SourceLength = 9, TargetLength = 7;

    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [SinusoidalPositions] public partial Positions SourcePositions { get; }
    [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 32, Mask = Masks.KeyPadding, Dropout = 0f)] public partial EncoderStack Encoder { get; }
    [Embedding(Vocab, D, From = nameof(Target), SharedWith = nameof(SourceEmbedding))] public partial TokenEmbedding TargetEmbedding { get; }
    [SinusoidalPositions] public partial Positions TargetPositions { get; }
    [TransformerDecoder(Layers = 2, Heads = 2, FeedForward = 32, Memory = nameof(Encoder), Mask = Masks.Causal | Masks.KeyPadding, Dropout = 0f)]
    public partial DecoderStack Decoder { get; }
    [Dense(Vocab, TiedTo = nameof(SourceEmbedding), Bias = false)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>A stacked bidirectional GRU encoder classifying by its final state (PyTorch's h_n).</summary>
[Model(MaxBatch = 5)]
public partial class GruClassifier
{
    public const int Vocab = 20, E = 12, H = 10, Length = 11;

    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, E)] public partial TokenEmbedding Tokens { get; }
    [RecurrentEncoder(H, Cell = RecurrentCell.Gru, Bidirectional = true, Layers = 2)] public partial RecurrentStack Encoder { get; }
    [FinalStatePool] public partial Pool Final { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>A bidirectional LSTM tagger: per-position logits.</summary>
[Model(MaxBatch = 5)]
public partial class LstmTagger
{
    public const int Vocab = 16, E = 8, H = 6, Length = 9;

    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, E)] public partial TokenEmbedding Tokens { get; }
    [RecurrentEncoder(H, Cell = RecurrentCell.Lstm, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
    [Dense(4)] [CrossEntropyLoss] public partial Dense Tags { get; }
}

/// <summary>A two-layer tanh RNN over feature sequences, mean-pooled, regressed with MSE.</summary>
[Model(MaxBatch = 5)]
public partial class RnnRegressor
{
    public const int Length = 10, Features = 3, H = 7;

    [Input(Length, Features = Features)] public partial FeatureInput Signal { get; }
    [RecurrentEncoder(H, Cell = RecurrentCell.Rnn, Layers = 2)] public partial RecurrentStack Encoder { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(2)] [MseLoss] public partial Dense Out { get; }
}

/// <summary>An LSTM encoder-decoder with Luong general attention; the encoder's state is as wide as the decoder's (no bridge).</summary>
[Model(MaxBatch = 5)]
public partial class LstmLuongTranslator
{
    public const int Vocab = 14, E = 8, H = 6, SourceLength = 9, TargetLength = 7;

    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(H, Cell = RecurrentCell.Lstm)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(H, Cell = RecurrentCell.Lstm, Attention = RecurrentAttention.LuongGeneral, Memory = nameof(Encoder))]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>A GRU decoder with Luong concat attention, which has no ONNX export: every ONNX method throws naming the option.</summary>
[Model(MaxBatch = 4)]
public partial class GruLuongConcatModel
{
    public const int Vocab = 14, E = 8, H = 6, SourceLength = 9, TargetLength = 7;

    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(H)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(H, Attention = RecurrentAttention.LuongConcat, Memory = nameof(Encoder))]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>An LSTM decoder started from its LSTM encoder's final cell (CellFromEncoder), which has no ONNX export: every ONNX method throws naming the option.</summary>
[Model(MaxBatch = 4)]
public partial class LstmCellFromEncoderModel
{
    public const int Vocab = 14, E = 8, H = 6, SourceLength = 9, TargetLength = 7;

    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(H, Cell = RecurrentCell.Lstm)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(H, Cell = RecurrentCell.Lstm, Attention = RecurrentAttention.LuongGeneral, Memory = nameof(Encoder), CellFromEncoder = true)]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>A tanh RNN decoder with Luong dot attention over a GRU encoder as wide as the decoder (no bridge).</summary>
[Model(MaxBatch = 5)]
public partial class RnnLuongDotTranslator
{
    public const int Vocab = 12, E = 5, H = 7, SourceLength = 8, TargetLength = 6;

    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [RecurrentEncoder(H, Cell = RecurrentCell.Gru)] public partial RecurrentStack Encoder { get; }
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [RecurrentDecoder(H, Cell = RecurrentCell.Rnn, Attention = RecurrentAttention.LuongDot, Memory = nameof(Encoder))]
    public partial RecurrentDecoderLayer Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>Two heads off one encoder, each with its loss (a masked-LM head over positions and a pooled pair head): refused by the export.</summary>
[Model(MaxBatch = 4)]
public partial class TwoHeadEncoder
{
    public const int Vocab = 20, D = 16, Length = 8;

    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 32)] public partial EncoderStack Encoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Mlm { get; }
    [FirstTokenPool(From = nameof(Encoder))] public partial Pool Cls { get; }
    [Dense(2)] [CrossEntropyLoss(Weight = 0.5f)] public partial Dense Nsp { get; }
}
