using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>[LastTokenPool]: the last valid position of a sequence.</summary>
internal sealed class LastTokenPoolLayer : PoolLayer
{
    public static readonly LastTokenPoolLayer Instance = new();

    private LastTokenPoolLayer()
    {
    }

    public override LayerKind Kind => LayerKind.LastTokenPool;

    public override string PoolingKind => "Last";

    protected override string Details => "last valid position";
}
