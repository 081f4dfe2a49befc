using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[Dense(Units)]: a linear layer with an optional activation (PyTorch's <c>nn.Linear</c>), optionally tied to an embedding's table.</summary>
internal sealed class DenseLayer : LayerDescriptor
{
    public static readonly DenseLayer Instance = new();

    private DenseLayer()
    {
    }

    public override LayerKind Kind => LayerKind.Dense;

    public override string HandleType => "Dense";
}
