using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>[MeanPool]: the mean of the valid positions of a sequence.</summary>
internal sealed class MeanPoolLayer : PoolLayer
{
    public static readonly MeanPoolLayer Instance = new();

    private MeanPoolLayer()
    {
    }

    public override LayerKind Kind => LayerKind.MeanPool;

    public override string PoolingKind => "Mean";

    protected override string Details => "mean of valid positions";

    protected override long Flops(long length, long width) => Sizes.Multiply(length, width);

    // Export: PyTorch

    protected override string PyTorchPool(PyTorchContext c, LayerPlan layer, string input, string lengths) => "mean_pool(" + input + ", " + lengths + ")";
}
