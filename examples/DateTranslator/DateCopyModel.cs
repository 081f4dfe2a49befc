namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// <see cref="DateModel"/> with a pointer-generator head (See et al. 2017) in place of its <c>[Dense(Vocab)]</c> head: each
/// output character is generated from the vocabulary or copied from a source position (a copy attention over the encoder
/// output, scattered onto the source characters), mixed by a learned gate p_gen. Same encoder, decoder and seed.
/// </summary>
[Model(MaxBatch = 64)]
public partial class DateCopyModel
{
    /// <summary>
    /// Token ids: the library vocabulary's seven special tokens and the 44 characters (51 ids; checked against
    /// <c>DateDataset.Vocabulary.VocabularySize</c> at start-up), rounded up to a multiple of 8.
    /// </summary>
    public const int Vocab = 56;

    /// <summary>Model width.</summary>
    public const int D = 64;

    /// <summary>Longest written date in characters (at least <see cref="DateDataset.LongestPossibleSource"/>; checked at start-up).</summary>
    public const int SourceLength = 32;

    /// <summary>Decoder positions: the start token and the ten ISO characters as input, the ten characters and the end token as labels.</summary>
    public const int TargetLength = DateDataset.TargetLength + 1;

    /// <summary>The written date's characters.</summary>
    [Input(SourceLength)] public partial TokenInput Source { get; }

    /// <summary>The decoder input: the start token, then the ISO date (teacher forcing).</summary>
    [Input(TargetLength)] public partial TokenInput Target { get; }

    /// <summary>Source character embeddings.</summary>
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }

    /// <summary>Fixed sinusoidal source positions.</summary>
    [SinusoidalPositions] public partial Positions SourcePositions { get; }

    /// <summary>Two post-norm encoder layers; padding keys are masked.</summary>
    [TransformerEncoder(Layers = 2, Heads = 4, FeedForward = 2 * D, Mask = Masks.KeyPadding, Dropout = 0f)]
    public partial EncoderStack Encoder { get; }

    /// <summary>Target character embeddings.</summary>
    [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }

    /// <summary>Learned target positions (the ISO layout is fixed, position by position).</summary>
    [LearnedPositions(TargetLength)] public partial Positions TargetPositions { get; }

    /// <summary>Two post-norm decoder layers: causal self-attention, cross-attention to the encoder, feed-forward.</summary>
    [TransformerDecoder(Layers = 2, Heads = 4, FeedForward = 2 * D, Memory = nameof(Encoder), Mask = Masks.Causal, Dropout = 0f)]
    public partial DecoderStack Decoder { get; }

    /// <summary>log P of the next character: generate (vocabulary softmax) or copy (source characters); padding positions carry the ignore index.</summary>
    [PointerGenerator(Vocab, Memory = nameof(Encoder), Input = nameof(TargetEmbedding))] [CrossEntropyLoss] public partial Dense Logits { get; }
}
