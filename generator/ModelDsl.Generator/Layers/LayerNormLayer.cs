using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>[LayerNorm]: normalization over the last dimension (PyTorch's <c>nn.LayerNorm</c>, eps 1e-5; weight ones, bias zeros).</summary>
internal sealed class LayerNormLayer : LayerDescriptor
{
    public static readonly LayerNormLayer Instance = new();

    private LayerNormLayer()
    {
    }

    public override LayerKind Kind => LayerKind.LayerNorm;

    public override string HandleType => "Norm";

    public override void Plan(LayerContext c)
    {
        if (c.RequireFloat())
        {
            PlanNorm(c, "eps 1e-5");
        }
    }

    /// <summary>What both norms plan: weight and bias over the last dimension, the output and per-row statistics.</summary>
    internal static void PlanNorm(LayerContext c, string details)
    {
        Shape input = c.Input;
        long width = input.Last.Size;
        Shape stats = Shape.Create(false, input.Source, [.. LayerContext.DropLast(input), new Dim(null, 2, DimKind.Static)]);
        c.Complete(
            input,
            [LayerContext.Group(c.Layer.Name, input, input, LayerContext.Param(c.Path + ".weight", InitKind.Ones, width), LayerContext.Param(c.Path + ".bias", InitKind.Zeros, width))],
            [("output", input), ("stats", stats)],
            0,
            details);
    }
}
