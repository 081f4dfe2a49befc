using ModelDsl;

namespace ModelDsl.Examples.MiniBert;

/// <summary>The sizes both models share, so that the pretrained encoder fits the classifier tensor for tensor.</summary>
public static class Sizes
{
    /// <summary>Word ids (the 7 special tokens included); the vocabulary keeps the most frequent words up to this size.</summary>
    public const int Vocab = 1000;

    /// <summary>Positions per sequence: <c>&lt;cls&gt;</c> and up to 31 words.</summary>
    public const int Length = 32;

    /// <summary>Model width.</summary>
    public const int D = 64;

    /// <summary>Rows per batch.</summary>
    public const int Batch = 32;
}

/// <summary>
/// BERT's pretraining network, small: word embeddings plus learned positions, two pre-norm Transformer encoder layers
/// (GELU, as BERT), and BERT's two heads trained together: the masked-language-model head, a <c>[Dense(Vocab)]</c> over
/// every position whose loss counts only the positions <see cref="ModelDsl.Data.MaskedLanguageModeling"/> chose (the
/// others are labelled -100), and the next-sentence head, a <c>[Dense(2)]</c> on the <c>&lt;cls&gt;</c> position.
/// No segment embedding yet: adding one needs <c>[Add]</c> over two token inputs (docs/bert.md).
/// </summary>
[Model(MaxBatch = Sizes.Batch)]
public partial class MiniBertPretraining
{
    /// <summary>The corrupted words, <c>&lt;cls&gt;</c> first.</summary>
    [Input(Sizes.Length)] public partial TokenInput Text { get; }

    /// <summary>[B, T, D] word embeddings.</summary>
    [Embedding(Sizes.Vocab, Sizes.D)] public partial TokenEmbedding Tokens { get; }

    /// <summary>[B, T, D] plus a learned vector per position.</summary>
    [LearnedPositions(Sizes.Length)] public partial Positions Positions { get; }

    /// <summary>BERT normalizes the embedding sum before the first layer.</summary>
    [LayerNorm] public partial Norm EmbeddingNorm { get; }

    /// <summary>Two layers, 4 heads, padding masked.</summary>
    [TransformerEncoder(Layers = 2, Heads = 4, FeedForward = 4 * Sizes.D, Activation = Activation.Gelu, NormFirst = true, Mask = Masks.KeyPadding)]
    public partial EncoderStack Encoder { get; }

    /// <summary>[B, T, Vocab]: the masked-language-model logits; labels -100 outside the chosen positions. The primary loss (accuracy).</summary>
    [Dense(Sizes.Vocab)] [CrossEntropyLoss(IgnoreIndex = -100)] public partial Dense Mlm { get; }

    /// <summary>[B, D]: the encoder's output at <c>&lt;cls&gt;</c>.</summary>
    [FirstTokenPool(From = nameof(Encoder))] public partial Pool Cls { get; }

    /// <summary>[B, 2]: is the second sentence the one that follows the first (0) or a random one (1)?</summary>
    [Dense(2)] [CrossEntropyLoss] public partial Dense Nsp { get; }
}

/// <summary>
/// The fine-tuning network: the same members up to <see cref="Encoder"/> (same names, same shapes, so
/// <c>LoadMatchingParameters</c> fills them from the pretrained file and skips the MLM and NSP heads), then the mean over the
/// words and a new two-class head.
/// </summary>
[Model(MaxBatch = Sizes.Batch)]
public partial class MiniBertClassifier
{
    /// <summary>The classes: the second sentence is the real continuation (0) or a random one (1); for the odd-word task, the fortune as written (0) or with one word replaced (1).</summary>
    public const int Classes = 2;

    /// <summary>The words, <c>&lt;cls&gt;</c> first.</summary>
    [Input(Sizes.Length)] public partial TokenInput Text { get; }

    /// <summary>[B, T, D] word embeddings (pretrained or not).</summary>
    [Embedding(Sizes.Vocab, Sizes.D)] public partial TokenEmbedding Tokens { get; }

    /// <summary>[B, T, D] plus a learned vector per position.</summary>
    [LearnedPositions(Sizes.Length)] public partial Positions Positions { get; }

    /// <summary>As in pretraining.</summary>
    [LayerNorm] public partial Norm EmbeddingNorm { get; }

    /// <summary>As in pretraining.</summary>
    [TransformerEncoder(Layers = 2, Heads = 4, FeedForward = 4 * Sizes.D, Activation = Activation.Gelu, NormFirst = true, Dropout = 0.1f, Mask = Masks.KeyPadding)]
    public partial EncoderStack Encoder { get; }

    /// <summary>[B, D]: the mean over the real positions (with MLM alone the <c>&lt;cls&gt;</c> vector is not trained to sum up).</summary>
    [MeanPool] public partial Pool Pool { get; }

    /// <summary>The class logits.</summary>
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}
