namespace ModelDsl.Training.Tests;

/// <summary>Pooled classifier with dropout (so a resumed run must also resume the dropout stream).</summary>
[Model(MaxBatch = 4)]
public partial class TinyClassifier
{
    public const int Vocab = 12, D = 8, Length = 6, Classes = 3;

    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [Dropout(0.1f)] public partial DropoutLayer Drop { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>Per-token labels over one token input (tagging, language modelling).</summary>
[Model(MaxBatch = 4)]
public partial class TinyTagger
{
    public const int Vocab = 10, D = 8, Length = 5, Tags = 10;

    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [Dense(Tags)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>Encoder-decoder: labels follow the decoder input <c>Target</c>.</summary>
[Model(MaxBatch = 4)]
public partial class TinyTranslator
{
    public const int Vocab = 16, D = 8, SourceLength = 5, TargetLength = 5;

    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 16, Mask = Masks.KeyPadding)] public partial EncoderStack Encoder { get; }
    [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [TransformerDecoder(Layers = 1, Heads = 2, FeedForward = 16, Memory = nameof(Encoder), Mask = Masks.Causal | Masks.KeyPadding)]
    public partial DecoderStack Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>Dense features to a class.</summary>
[Model(MaxBatch = 4)]
public partial class FeatureClassifier
{
    [Input(Features = 3)] public partial FeatureInput X { get; }
    [Dense(2)] [CrossEntropyLoss] public partial Dense Out { get; }
}

/// <summary>TinyClassifier's encoder with a five-class head: the target of a transfer (same embedding, another head shape).</summary>
[Model(MaxBatch = 4)]
public partial class FiveClassClassifier
{
    public const int Classes = 5;

    [Input(TinyClassifier.Length)] public partial TokenInput Text { get; }
    [Embedding(TinyClassifier.Vocab, TinyClassifier.D)] public partial TokenEmbedding Tokens { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}
