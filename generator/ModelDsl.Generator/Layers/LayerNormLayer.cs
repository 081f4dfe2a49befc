using System.Collections.Generic;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

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
            [LayerContext.Group(c.Layer.Name, input, input, LayerContext.Param(c.Path + ".weight", Init.Ones, width), LayerContext.Param(c.Path + ".bias", Init.Zeros, width))],
            [("output", input), ("stats", stats)],
            0,
            details);
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        var backward = new List<string>();
        Buffer output = e.Norm(layer.Path, layer.Path, title, from.Buffer, from.Sequence, from.Width, e.ForwardLines, backward);
        e.AddBackward(backward);
        return new Flow(output, from.Sequence, from.Width);
    }

    public override bool CanDecodeStep(LayerPlan layer) => true;

    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        c.Writer.Line(title);
        c.WriteNorm(layer.Path, c.Current, c.Other, c.Width);
        c.Current = c.Other;
    }
}
