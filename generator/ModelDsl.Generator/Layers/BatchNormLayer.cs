using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[BatchNorm]: batch normalization over the last dimension with running statistics (PyTorch's <c>nn.BatchNorm1d</c>).</summary>
internal sealed class BatchNormLayer : LayerDescriptor
{
    public static readonly BatchNormLayer Instance = new();

    private BatchNormLayer()
    {
    }

    public override LayerKind Kind => LayerKind.BatchNorm;

    public override string HandleType => "Norm";
}
