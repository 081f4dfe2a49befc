using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Diagnostics;
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

    /// <summary>A bidirectional encoder's reverse half at the last position has read one token: warn and point to [FinalStatePool].</summary>
    protected override bool CheckSource(LayerContext c)
    {
        if (c.TryFind(c.From, out int index) && c.LayerAt(index) is { } source
            && source.Kind == RecurrentEncoderLayer.Instance.Kind && source.Bool("Bidirectional", false))
        {
            c.Report(DiagnosticDescriptors.LastTokenOfBidirectionalEncoder, c.Layer.AttributeLocation, c.Layer.Name, c.From);
        }

        return true;
    }

    // Export: PyTorch

    protected override string PyTorchPool(PyTorchContext c, LayerPlan layer, string input, string lengths) => "last_pool(" + input + ", " + lengths + ")";
}
