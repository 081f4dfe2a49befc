namespace ModelDsl.Examples.Reverse;

/// <summary>
/// The fastest seq2seq sanity check: a one-layer Transformer encoder-decoder that learns to write its input backwards
/// (the cross-attention learns an anti-diagonal alignment).
/// </summary>
[Model(MaxBatch = 32)]
public partial class ReverseModel
{
    /// <summary>Token ids: pad, start, end, digits and letters (<see cref="ReverseData.Vocabulary"/>).</summary>
    public const int Vocab = ReverseData.Vocab;

    /// <summary>Model width.</summary>
    public const int D = 64;

    /// <summary>Longest input.</summary>
    public const int SourceLength = ReverseData.MaxLength;

    /// <summary>Decoder positions: start + reversed input as input, reversed input + end as labels.</summary>
    public const int TargetLength = ReverseData.MaxLength + 1;

    /// <summary>The characters to reverse.</summary>
    [Input(SourceLength)] public partial TokenInput Source { get; }

    /// <summary>The decoder input (teacher forcing).</summary>
    [Input(TargetLength)] public partial TokenInput Target { get; }

    /// <summary>Source embeddings.</summary>
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }

    /// <summary>Source positions.</summary>
    [LearnedPositions(SourceLength)] public partial Positions SourcePositions { get; }

    /// <summary>One encoder layer.</summary>
    [TransformerEncoder(Layers = 1, Heads = 4, FeedForward = 2 * D, Mask = Masks.KeyPadding, Dropout = 0f)]
    public partial EncoderStack Encoder { get; }

    /// <summary>Target embeddings.</summary>
    [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }

    /// <summary>Target positions.</summary>
    [LearnedPositions(TargetLength)] public partial Positions TargetPositions { get; }

    /// <summary>One decoder layer with cross-attention to the encoder.</summary>
    [TransformerDecoder(Layers = 1, Heads = 4, FeedForward = 2 * D, Memory = nameof(Encoder), Dropout = 0f)]
    public partial DecoderStack Decoder { get; }

    /// <summary>Next-token logits.</summary>
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}
