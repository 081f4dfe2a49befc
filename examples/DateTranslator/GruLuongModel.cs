namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// A GRU encoder-decoder with multiplicative attention (Luong et al., 2015, "general" score, no input feeding): a
/// bidirectional GRU reads the written date, a GRU decoder starts from its final state (through a tanh bridge), and
/// after each step scores every encoder state against its new state (<c>s_t^T W_a h_j</c>) and mixes the weighted
/// context into the output (<c>tanh(W_c [c_t; s_t])</c>). The generator writes its layout, Batch, Trainer and
/// StepDecoder from these declarations, as for <see cref="DateModel"/>.
/// </summary>
[Model(MaxBatch = 64)]
public partial class GruLuongModel
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

    /// <summary>GRU decoder with Luong "general" attention over the encoder states; output <c>tanh(W_c [c_t; s_t])</c>.</summary>
    [RecurrentDecoder(H, Cell = RecurrentCell.Gru, Attention = RecurrentAttention.LuongGeneral, Memory = nameof(Encoder))]
    public partial RecurrentDecoderLayer Decoder { get; }

    /// <summary>Next-character logits; padding positions carry the ignore index.</summary>
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}
