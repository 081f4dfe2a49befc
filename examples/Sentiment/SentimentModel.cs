namespace ModelDsl.Examples.Sentiment;

/// <summary>
/// A two-layer Transformer encoder classifier over the review words: the generator writes its layout, its Batch
/// and its Trainer (forward, backward, optimizer step) from these declarations.
/// </summary>
[Model(MaxBatch = 32)]
public partial class SentimentModel
{
    /// <summary>Vocabulary size (at least <see cref="ReviewGenerator.Vocabulary"/>'s count; checked at start-up).</summary>
    public const int Vocab = 50;

    /// <summary>Model width.</summary>
    public const int D = 64;

    /// <summary>Longest review in words.</summary>
    public const int Length = 24;

    /// <summary>Negative, positive.</summary>
    public const int Classes = 2;

    /// <summary>The review's word ids.</summary>
    [Input(Length)] public partial TokenInput Text { get; }

    /// <summary>Word embeddings.</summary>
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }

    /// <summary>Fixed sinusoidal positions: word order matters for this task.</summary>
    [SinusoidalPositions] public partial Positions Positions { get; }

    /// <summary>Two post-norm layers; padding keys are masked.</summary>
    [TransformerEncoder(Layers = 2, Heads = 4, FeedForward = 2 * D, Mask = Masks.KeyPadding)]
    public partial EncoderStack Encoder { get; }

    /// <summary>Mean over the real words.</summary>
    [MeanPool] public partial Pool Pool { get; }

    /// <summary>Class logits.</summary>
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}
