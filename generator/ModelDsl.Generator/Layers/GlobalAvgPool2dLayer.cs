using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [GlobalAvgPool2d]: an image [B, C, H, W] to [B, C], the mean of each channel's plane (PyTorch's <c>nn.AdaptiveAvgPool2d(1)</c>
/// then <c>flatten(1)</c>); no parameters, the runtime's <c>GlobalAvgPool2d</c> kernels.
/// </summary>
internal sealed class GlobalAvgPool2dLayer : LayerDescriptor
{
    public static readonly GlobalAvgPool2dLayer Instance = new();

    private GlobalAvgPool2dLayer()
    {
    }

    public override LayerKind Kind { get; } = new("GlobalAvgPool2d");

    public override string HandleType => "Pool2dLayer";

    public override void Plan(LayerContext c)
    {
        if (!Images.Require(c))
        {
            return;
        }

        Shape input = c.Input;
        var output = Shape.Create(false, null, input.Dims[0], input.Dims[1]);
        c.Complete(output, [], [("output", output)], input.MaxElements / c.MaxBatch, "mean of each " + input.Dims[2].Size + "x" + input.Dims[3].Size + " plane");
    }

    public override string? OnnxUnsupported(LayerPlan layer) => "[GlobalAvgPool2d] has no ONNX export yet (issue 20)";

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        (long channels, long height, long width) = Images.Sizes3(layer.Input);
        Buffer output = e.Alloc(layer.Path + ".output", null, channels);
        string sizes = "B * " + Literals.Int(channels) + ", " + Literals.Int(height * width);
        e.ForwardLines.Add(title);
        e.ForwardLines.Add(K + "GlobalAvgPool2d.Forward(" + output.A + ", " + from.Buffer.A + ", " + sizes + ");");
        e.AddBackward(from.Buffer.Constant
            ? [title + ": its input (the batch) takes no gradient"]
            : [title, K + "GlobalAvgPool2d.Backward(" + from.Buffer.D + ", " + output.D + ", " + sizes + ");"]);
        return new Flow(output, null, channels);
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary>The mean over the height and width axes.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer) =>
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + c.In(layer) + ".mean(dim=(2, 3))");
}
