using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[FirstTokenPool]: the first position of a sequence (BERT's [CLS]).</summary>
internal sealed class FirstTokenPoolLayer : LayerDescriptor
{
    public static readonly FirstTokenPoolLayer Instance = new();

    private FirstTokenPoolLayer()
    {
    }

    public override LayerKind Kind => LayerKind.FirstTokenPool;

    public override string HandleType => "Pool";
}
