using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>[FirstTokenPool]: the first position of a sequence (BERT's [CLS]).</summary>
internal sealed class FirstTokenPoolLayer : PoolLayer
{
    public static readonly FirstTokenPoolLayer Instance = new();

    private FirstTokenPoolLayer()
    {
    }

    public override LayerKind Kind => LayerKind.FirstTokenPool;

    public override string PoolingKind => "First";

    protected override string Details => "first position";

    // Export: PyTorch

    protected override string PyTorchPool(PyTorchContext c, LayerPlan layer, string input, string lengths) => input + "[:, 0]";
}
