using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[MultiHeadAttention]: one self- or cross-attention block (PyTorch's <c>nn.MultiheadAttention</c>), no residual, no norm.</summary>
internal sealed class MultiHeadAttentionLayer : LayerDescriptor
{
    public static readonly MultiHeadAttentionLayer Instance = new();

    private MultiHeadAttentionLayer()
    {
    }

    public override LayerKind Kind => LayerKind.MultiHeadAttention;

    public override string HandleType => "AttentionBlock";
}
