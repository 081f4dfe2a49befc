using System.Collections.Generic;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>What the pooling layers share: a float sequence <c>[B, T, D]</c> in, one row <c>[B, D]</c> out, no parameters.</summary>
internal abstract class PoolLayer : LayerDescriptor
{
    public override string HandleType => "Pool";

    /// <summary>The runtime's <c>PoolingKind</c> member.</summary>
    public abstract string PoolingKind { get; }

    /// <summary>The summary's description.</summary>
    protected abstract string Details { get; }

    /// <summary>FLOPs per row of <paramref name="length"/> positions of <paramref name="width"/>.</summary>
    protected virtual long Flops(long length, long width) => 0;

    /// <summary>A kind's own check of the layer it reads, after the sequence check; false when it reported an error.</summary>
    protected virtual bool CheckSource(LayerContext c) => true;

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        if (input.Tokens)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, AttributeName, "a float sequence [B, T, D]", c.From, input.Named);
            return;
        }

        if (!input.IsFloatSequence)
        {
            c.Report(DiagnosticDescriptors.PoolingNeedsSequence, layer.AttributeLocation, layer.Name, AttributeName, c.From, input.Named);
            return;
        }

        if (!CheckSource(c))
        {
            return;
        }

        Shape output = Shape.Create(false, null, input.Dims[0], input.Last);
        c.Complete(output, [], [("output", output)], Flops(input.Dims[1].Size, input.Last.Size), Details);
    }

    public override string? OnnxUnsupported(LayerPlan layer) => null;

    /// <summary>Pools along the sequence with its lengths (<c>MeanPool</c>, <c>FirstTokenPool</c>, <c>LastTokenPool</c>).</summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title)
    {
        OnnxFlow from = c.SourceOf(layer);
        string lengths = PoolingKind == "First" ? string.Empty : ", " + OnnxContext.Lengths(from.Sequence!);
        c.Line(title);
        c.Line("g." + AttributeName + "(" + OnnxContext.Quote(layer.Path) + ", " + OnnxContext.Quote(from.Value) + lengths + ");");
        return new OnnxFlow(layer.Path, null, from.Width);
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        Sequence sequence = from.Sequence!;
        long width = from.Width;
        string kind = K + "PoolingKind." + PoolingKind;
        Buffer output = e.Alloc(layer.Path + ".output", null, width);
        e.ForwardLines.Add(title);
        e.ForwardLines.Add(K + "Pooling.Forward(" + output.A + ", " + from.Buffer.A + ", " + sequence.Lengths + ", B, " + sequence.T + ", " + Literals.Int(width) + ", " + kind + ");");
        e.AddBackward(
        [
            title,
            K + "Pooling.Backward(" + from.Buffer.D + ", " + output.D + ", " + sequence.Lengths + ", B, " + sequence.T + ", " + Literals.Int(width) + ", " + kind + ");",
        ]);
        return new Flow(output, null, width);
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary>The Python expression of the pool over <paramref name="input"/> with the rows' <paramref name="lengths"/>.</summary>
    protected abstract string PyTorchPool(PyTorchContext c, LayerPlan layer, string input, string lengths);

    public override void WritePyTorch(PyTorchContext c, LayerPlan layer) =>
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + PyTorchPool(c, layer, c.In(layer), PyTorchContext.Lengths(layer.Input.Source!)));
}
