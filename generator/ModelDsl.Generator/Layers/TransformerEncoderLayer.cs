using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[TransformerEncoder]: a stack of self-attention + feed-forward layers (PyTorch's <c>nn.TransformerEncoder</c>); no mask unless declared.</summary>
internal sealed class TransformerEncoderLayer : TransformerStackLayer
{
    public static readonly TransformerEncoderLayer Instance = new();

    private TransformerEncoderLayer()
    {
    }

    public override LayerKind Kind => LayerKind.TransformerEncoder;

    public override string HandleType => "EncoderStack";
}
