using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [TransformerDecoder]: a stack of causal self-attention, cross-attention to <c>Memory</c> (when given) and feed-forward
/// layers (PyTorch's <c>nn.TransformerDecoder</c>). The mask defaults to causal, which makes it autoregressive.
/// </summary>
internal sealed class TransformerDecoderLayer : TransformerStackLayer
{
    public static readonly TransformerDecoderLayer Instance = new();

    private TransformerDecoderLayer()
    {
    }

    public override LayerKind Kind => LayerKind.TransformerDecoder;

    public override string HandleType => "DecoderStack";

    protected override int DefaultMask => Masks.Causal;

    public override bool IsAutoregressive(LayerSpec layer) => (layer.Int("Mask", DefaultMask) & Masks.Causal) != 0;
}
