using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [Flatten]: an image [B, C, H, W] read as rows [B, C·H·W] in NCHW order (PyTorch's <c>nn.Flatten()</c>), so a [Dense] head can
/// read it. The arena already holds each image as one row: the layer hands on its input's buffer, with no code and no copy.
/// </summary>
internal sealed class FlattenLayer : LayerDescriptor
{
    public static readonly FlattenLayer Instance = new();

    private FlattenLayer()
    {
    }

    public override LayerKind Kind { get; } = new("Flatten");

    public override string HandleType => "FlattenLayer";

    public override void Plan(LayerContext c)
    {
        if (!Images.Require(c))
        {
            return;
        }

        Shape input = c.Input;
        var output = Shape.Create(false, null, input.Dims[0], Images.Computed(input.MaxElements / c.MaxBatch));
        c.Complete(output, [], [], 0, "a view: C·H·W = " + output.Last.Size + " values per row");
    }

    public override string? OnnxUnsupported(LayerPlan layer) => "[Flatten] has no ONNX export yet (issue 20)";

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        e.ForwardLines.Add(title + ": a view of the same buffer");
        return new Flow(from.Buffer, null, layer.Output.Last.Size);
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    public override void WritePyTorch(PyTorchContext c, LayerPlan layer) =>
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + c.In(layer) + ".flatten(1)");
}
