using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[MeanPool]: the mean of the valid positions of a sequence.</summary>
internal sealed class MeanPoolLayer : LayerDescriptor
{
    public static readonly MeanPoolLayer Instance = new();

    private MeanPoolLayer()
    {
    }

    public override LayerKind Kind => LayerKind.MeanPool;

    public override string HandleType => "Pool";
}
