using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Layers;

/// <summary>[AvgPool2d(Kernel, Stride, Padding)]: PyTorch's <c>nn.AvgPool2d</c> (<c>count_include_pad=True</c>: window sum / Kernel²).</summary>
internal sealed class AvgPool2dLayer : Pool2dLayer
{
    public static readonly AvgPool2dLayer Instance = new();

    private AvgPool2dLayer()
    {
    }

    public override LayerKind Kind { get; } = new("AvgPool2d");

    protected override string PyTorchFunction => "avg_pool2d";

    protected override string Statistic => "mean";

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        (Buffer output, long width) = Output(e, layer);
        string shape = ShapeOf(layer);
        e.ForwardLines.Add(title);
        e.ForwardLines.Add(K + "AvgPool2d.Forward(" + output.A + ", " + from.Buffer.A + ", " + shape + ");");
        e.AddBackward(from.Buffer.Constant
            ? [title + ": its input (the batch) takes no gradient"]
            : [title, K + "AvgPool2d.Backward(" + from.Buffer.D + ", " + output.D + ", " + shape + ");"]);
        return new Flow(output, null, width);
    }
}
