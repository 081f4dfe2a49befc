using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[Embedding(Vocab, Dimension)]: a learned table of token vectors (PyTorch's <c>nn.Embedding</c>), optionally shared with another embedding.</summary>
internal sealed class EmbeddingLayer : LayerDescriptor
{
    public static readonly EmbeddingLayer Instance = new();

    private EmbeddingLayer()
    {
    }

    public override LayerKind Kind => LayerKind.Embedding;

    public override string HandleType => "TokenEmbedding";
}
