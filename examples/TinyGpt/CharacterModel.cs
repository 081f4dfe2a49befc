using ModelDsl;

namespace ModelDsl.Examples.TinyGpt;

/// <summary>
/// A GPT-style character model: token and learned position embeddings, pre-norm causal decoder blocks
/// with GELU, a final LayerNorm, and an output head tied to the token embedding.
/// </summary>
[Model(MaxBatch = 16)]
public partial class CharacterModel
{
    /// <summary>Characters the model can read and write (the corpus alphabet fits in it).</summary>
    public const int Vocab = 32;

    /// <summary>Model width.</summary>
    public const int D = 64;

    /// <summary>Characters of context.</summary>
    public const int Context = 64;

    [Input(Context)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [LearnedPositions(Context)] public partial Positions Positions { get; }
    [TransformerDecoder(Layers = 2, Heads = 4, NormFirst = true, Activation = Activation.Gelu, Dropout = 0f)]
    public partial DecoderStack Blocks { get; }
    [Dense(Vocab, TiedTo = nameof(Tokens), Bias = false)] [CrossEntropyLoss(IgnoreIndex = -1)]
    public partial Dense Head { get; }
}
