namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// A GRU encoder-decoder without attention (Cho et al., 2014 / Sutskever et al., 2014): a bidirectional GRU reads the
/// written date, and a GRU decoder writes the ISO form from the encoder's final state alone (through a tanh bridge),
/// so the whole date must pass through one fixed-size vector. The baseline the attention models are measured against;
/// the generator writes its layout, Batch, Trainer and StepDecoder from these declarations, as for <see cref="DateModel"/>.
/// </summary>
[Model(MaxBatch = 64)]
public partial class GruPlainModel
{
    /// <summary>Token ids, as <see cref="DateModel.Vocab"/>.</summary>
    public const int Vocab = DateModel.Vocab;

    /// <summary>Character embedding width.</summary>
    public const int E = 64;

    /// <summary>Width of each encoder direction's state and of the decoder state.</summary>
    public const int H = 128;

    /// <summary>Longest written date, as <see cref="DateModel.SourceLength"/>.</summary>
    public const int SourceLength = DateModel.SourceLength;

    /// <summary>Decoder positions, as <see cref="DateModel.TargetLength"/>.</summary>
    public const int TargetLength = DateModel.TargetLength;

    /// <summary>The written date's characters.</summary>
    [Input(SourceLength)] public partial TokenInput Source { get; }

    /// <summary>The decoder input: the start token, then the ISO date (teacher forcing).</summary>
    [Input(TargetLength)] public partial TokenInput Target { get; }

    /// <summary>Source character embeddings.</summary>
    [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }

    /// <summary>One bidirectional GRU layer: encoder states <c>[S, 2H]</c> over each row's real characters.</summary>
    [RecurrentEncoder(H, Cell = RecurrentCell.Gru, Bidirectional = true)] public partial RecurrentStack Encoder { get; }

    /// <summary>Target character embeddings.</summary>
    [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }

    /// <summary>GRU decoder started from the encoder's final state, no attention; output <c>s_t</c>.</summary>
    [RecurrentDecoder(H, Cell = RecurrentCell.Gru, Attention = RecurrentAttention.None, Memory = nameof(Encoder))]
    public partial RecurrentDecoderLayer Decoder { get; }

    /// <summary>Next-character logits; padding positions carry the ignore index.</summary>
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}
