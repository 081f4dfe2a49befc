using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [MaxPool2d(Kernel, Stride, Padding)]: PyTorch's <c>nn.MaxPool2d</c>; the forward keeps the index of each window's first maximum
/// in a trainer block (<c>__indices_{path}</c>, MaxBatch · C · OH · OW ints) and the backward sends each gradient there.
/// </summary>
internal sealed class MaxPool2dLayer : Pool2dLayer
{
    public static readonly MaxPool2dLayer Instance = new();

    private MaxPool2dLayer()
    {
    }

    public override LayerKind Kind { get; } = new("MaxPool2d");

    protected override string PyTorchFunction => "max_pool2d";

    protected override string Statistic => "max";

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        (Buffer output, long width) = Output(e, layer);
        string field = "__indices_" + layer.Path;
        e.SavedBlocks.Add((field, Literals.Int(e.MaxBatch * width)));
        string indices = field + ".Span.Slice(0, B * " + Literals.Int(width) + ")";
        string shape = ShapeOf(layer);
        e.ForwardLines.Add(title);
        e.ForwardLines.Add(K + "MaxPool2d.Forward(" + output.A + ", " + indices + ", " + from.Buffer.A + ", " + shape + ");");
        e.AddBackward(from.Buffer.Constant
            ? [title + ": its input (the batch) takes no gradient"]
            : [title, K + "MaxPool2d.Backward(" + from.Buffer.D + ", " + output.D + ", " + indices + ", " + shape + ");"]);
        return new Flow(output, null, width);
    }
}
