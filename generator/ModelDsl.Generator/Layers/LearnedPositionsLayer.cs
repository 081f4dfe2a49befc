using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[LearnedPositions(MaxLength)]: adds a learned vector per position.</summary>
internal sealed class LearnedPositionsLayer : LayerDescriptor
{
    public static readonly LearnedPositionsLayer Instance = new();

    private LearnedPositionsLayer()
    {
    }

    public override LayerKind Kind => LayerKind.LearnedPositions;

    public override string HandleType => "Positions";
}
