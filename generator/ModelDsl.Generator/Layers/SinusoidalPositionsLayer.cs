using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[SinusoidalPositions]: adds the fixed sine/cosine table of the original Transformer.</summary>
internal sealed class SinusoidalPositionsLayer : LayerDescriptor
{
    public static readonly SinusoidalPositionsLayer Instance = new();

    private SinusoidalPositionsLayer()
    {
    }

    public override LayerKind Kind => LayerKind.SinusoidalPositions;

    public override string HandleType => "Positions";
}
