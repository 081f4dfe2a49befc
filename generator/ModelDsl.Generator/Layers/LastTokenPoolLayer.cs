using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[LastTokenPool]: the last valid position of a sequence.</summary>
internal sealed class LastTokenPoolLayer : LayerDescriptor
{
    public static readonly LastTokenPoolLayer Instance = new();

    private LastTokenPoolLayer()
    {
    }

    public override LayerKind Kind => LayerKind.LastTokenPool;

    public override string HandleType => "Pool";
}
