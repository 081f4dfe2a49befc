using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[Dropout(Probability)]: inverted dropout in training, the identity in evaluation.</summary>
internal sealed class DropoutLayer : LayerDescriptor
{
    public static readonly DropoutLayer Instance = new();

    private DropoutLayer()
    {
    }

    public override LayerKind Kind => LayerKind.Dropout;

    public override string HandleType => "DropoutLayer";
}
