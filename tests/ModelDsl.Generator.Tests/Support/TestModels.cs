namespace ModelDsl.Generator.Tests.Support;

/// <summary>Model declarations shared by the tests.</summary>
internal static class TestModels
{
    public const string Sentiment = """
        using ModelDsl;

        namespace Demo;

        /// <summary>Binary sentiment over token ids.</summary>
        [Model(MaxBatch = 32)]
        public partial class SentimentClassifier
        {
            /// <summary>Sizes.</summary>
            public const int Vocab = 1000, D = 64, Heads = 4, Length = 64, Classes = 2;

            /// <summary>Token ids.</summary>
            [Input(Length)] public partial TokenInput Text { get; }

            /// <summary>Token embedding.</summary>
            [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }

            /// <summary>Positions.</summary>
            [SinusoidalPositions] public partial Positions Positions { get; }

            /// <summary>Encoder.</summary>
            [TransformerEncoder(Layers = 2, Heads = Heads, FeedForward = 4 * D, Mask = Masks.KeyPadding)]
            public partial EncoderStack Encoder { get; }

            /// <summary>Pooling.</summary>
            [MeanPool] public partial Pool Pool { get; }

            /// <summary>Classifier head.</summary>
            [Dense(Classes)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Head { get; }
        }
        """;

    public const string Gpt = """
        using ModelDsl;

        namespace Demo.Language;

        /// <summary>A small decoder-only language model with tied embeddings.</summary>
        [Model(MaxBatch = 8)]
        internal partial class TinyGpt
        {
            public const int Vocab = 512, D = 48, Context = 32;

            [Input(Context)] public partial TokenInput Tokens { get; }
            [Embedding(Vocab, D)] public partial TokenEmbedding Wte { get; }
            [LearnedPositions(Context)] public partial Positions Wpe { get; }
            [Dropout(0.1f)] public partial DropoutLayer EmbeddingDropout { get; }
            [TransformerDecoder(Layers = 2, Heads = 4, NormFirst = true, Activation = Activation.Gelu, Dropout = 0.1f)]
            public partial DecoderStack Blocks { get; }
            [Dense(Vocab, TiedTo = nameof(Wte), Bias = false)] [CrossEntropyLoss(IgnoreIndex = -1)]
            public partial Dense LmHead { get; }
        }
        """;

    public const string Seq2Seq = """
        using ModelDsl;

        [Model(MaxBatch = 16)]
        public partial class Translator
        {
            public const int Vocab = 300, D = 32, SourceLength = 20, TargetLength = 24;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength, PadId = 1)] public partial TokenInput Target { get; }
            [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [SinusoidalPositions] public partial Positions SourcePositions { get; }
            [TransformerEncoder(Layers = 1, Heads = 4, FeedForward = 64, Mask = Masks.KeyPadding)] public partial EncoderStack Encoder { get; }
            [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [SinusoidalPositions] public partial Positions TargetPositions { get; }
            [TransformerDecoder(Layers = 1, Heads = 4, FeedForward = 64, Memory = nameof(Encoder), Mask = Masks.Causal | Masks.KeyPadding)]
            public partial DecoderStack Decoder { get; }
            [LayerNorm] public partial Norm FinalNorm { get; }
            [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }
        """;

    /// <summary>Dense features, BatchNorm, MSE: the non-sequence path.</summary>
    public const string Regressor = """
        using ModelDsl;

        namespace Demo;

        [Model(MaxBatch = 4)]
        public partial class Regressor
        {
            [Input(Features = 10)] public partial FeatureInput X { get; }
            [Dense(16, Activation = Activation.Relu)] public partial Dense Hidden { get; }
            [BatchNorm] public partial Norm Norm { get; }
            [Dense(3)] [MseLoss] public partial Dense Out { get; }
        }
        """;

    /// <summary>
    /// Per-position regression over two feature sequences: self-attention with key padding over the signal, cross-attention
    /// to a context sequence, BatchNorm over the valid positions, MSE per position.
    /// </summary>
    public const string SequenceRegressor = """
        using ModelDsl;

        namespace Demo;

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
        """;

    /// <summary>Distillation per position: a student tagger against a teacher's logits softened at T = 2 (issue 19's RowLoss packing).</summary>
    public const string SequenceDistillation = """
        using ModelDsl;

        namespace Demo;

        [Model(MaxBatch = 8)]
        public partial class SequenceStudent
        {
            public const int Length = 12, Features = 5, Classes = 6;

            [Input(Length, Features = Features)] public partial FeatureInput Frames { get; }
            [Dense(16, Activation = Activation.Gelu)] public partial Dense Hidden { get; }
            [Dense(Classes)] [KLDivergenceLoss(Temperature = 2f)] public partial Dense Out { get; }
        }
        """;

    /// <summary>Two heads off one encoder (issue 19): a per-position masked-LM head and a pooled two-class head weighted 0.5.</summary>
    public const string TwoHeadBert = """
        using ModelDsl;

        namespace Demo;

        [Model(MaxBatch = 8)]
        public partial class TinyBert
        {
            public const int Vocab = 50, D = 32, Length = 16;

            [Input(Length)] public partial TokenInput Text { get; }
            [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
            [LearnedPositions(Length)] public partial Positions Positions { get; }
            [TransformerEncoder(Layers = 1, Heads = 4, FeedForward = 64)] public partial EncoderStack Encoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Mlm { get; }
            [FirstTokenPool(From = nameof(Encoder))] public partial Pool Cls { get; }
            [Dense(2)] [CrossEntropyLoss(Weight = 0.5f)] public partial Dense Nsp { get; }
        }
        """;

    /// <summary>GRU encoder-decoder with Bahdanau attention and a tanh bridge (bidirectional encoder 2 x 48 -> decoder 64).</summary>
    public const string GruBahdanau = """
        using ModelDsl;

        namespace Demo;

        [Model(MaxBatch = 32)]
        public partial class GruTranslator
        {
            public const int Vocab = 40, E = 64, H = 64, SourceLength = 20, TargetLength = 12;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [RecurrentEncoder(48, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
            [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [RecurrentDecoder(H, Memory = nameof(Encoder), Attention = RecurrentAttention.Bahdanau)] public partial RecurrentDecoderLayer Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }
        """;
}
