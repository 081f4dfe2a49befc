using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[LayerNorm]: normalization over the last dimension (PyTorch's <c>nn.LayerNorm</c>, eps 1e-5).</summary>
internal sealed class LayerNormLayer : LayerDescriptor
{
    public static readonly LayerNormLayer Instance = new();

    private LayerNormLayer()
    {
    }

    public override LayerKind Kind => LayerKind.LayerNorm;

    public override string HandleType => "Norm";
}
