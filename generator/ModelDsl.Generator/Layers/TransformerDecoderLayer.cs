using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[TransformerDecoder]: a stack of (causal) self-attention, optional cross-attention and feed-forward layers (PyTorch's <c>nn.TransformerDecoder</c>).</summary>
internal sealed class TransformerDecoderLayer : LayerDescriptor
{
    public static readonly TransformerDecoderLayer Instance = new();

    private TransformerDecoderLayer()
    {
    }

    public override LayerKind Kind => LayerKind.TransformerDecoder;

    public override string HandleType => "DecoderStack";
}
