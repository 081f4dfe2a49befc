using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// What [MaxPool2d(Kernel, Stride, Padding)] and [AvgPool2d(...)] share: PyTorch's window rule on an image [B, C, H, W] (square
/// window, <c>Stride</c> unset means the kernel, padding at most half the kernel, <c>ceil_mode=False</c>) to [B, C, OH, OW], no
/// parameters, the runtime's <c>Pool2dShape</c> for the batch's <c>B</c> rows.
/// </summary>
internal abstract class Pool2dLayer : LayerDescriptor
{
    public override string HandleType => "Pool2dLayer";

    /// <summary>The summary's word for the window's statistic.</summary>
    protected abstract string Statistic { get; }

    /// <summary>The <c>torch.nn.functional</c> function of the exported module.</summary>
    protected abstract string PyTorchFunction { get; }

    public override void Plan(LayerContext c)
    {
        if (!Images.Require(c))
        {
            return;
        }

        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        long kernel = c.Int("Kernel", 0), padding = c.Int("Padding", 0);
        if (!c.CheckRange("Kernel", kernel, 1, "at least 1")
            || (layer.Argument("Stride") is not null && !c.CheckRange("Stride", c.Int("Stride", 0), 1, "at least 1 (leave it unset for the kernel size)"))
            || !c.CheckRange("Padding", padding, 0, "0 or more"))
        {
            return;
        }

        if (2 * padding > kernel)
        {
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Padding"), layer.Name, "Padding", layer.Argument("Padding")!.Display, "at most half the kernel (Kernel " + kernel + " / 2 = " + (kernel / 2) + ")");
            return;
        }

        long stride = StrideOf(layer);
        long height = Images.OutputSize(c, "height", input.Dims[2], kernel, stride, padding, 1);
        long width = height < 1 ? 0 : Images.OutputSize(c, "width", input.Dims[3], kernel, stride, padding, 1);
        if (width < 1)
        {
            return;
        }

        var output = Shape.Create(false, null, input.Dims[0], input.Dims[1], Images.Computed(height), Images.Computed(width));
        c.Complete(output, [], [("output", output)], Sizes.Multiply(output.MaxElements / c.MaxBatch, kernel, kernel),
            Statistic + " of " + kernel + "x" + kernel + ", stride " + stride + ", padding " + padding);
    }

    private static long StrideOf(LayerSpec layer) => layer.Int("Stride", 0) is var stride && stride > 0 ? stride : layer.Int("Kernel", 0);

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) =>
        new Pool2dOptions(wiring.Source, wiring.Memory, layer.Int("Kernel", 0), StrideOf(layer), layer.Int("Padding", 0));

    public override string? OnnxUnsupported(LayerPlan layer) => "[" + AttributeName + "] has no ONNX export yet (issue 20)";

    /// <summary>The runtime sizes of the pooling for the batch's <c>B</c> rows, as emitted.</summary>
    protected static string ShapeOf(LayerPlan layer)
    {
        Pool2dOptions o = layer.OptionsOf<Pool2dOptions>();
        (long channels, long height, long width) = Images.Sizes3(layer.Input);
        return "new " + K + "Pool2dShape(B, " + Literals.Int(channels) + ", " + Literals.Int(height) + ", " + Literals.Int(width) + ", "
            + Literals.Int(o.Kernel) + ", " + Literals.Int(o.Stride) + ", " + Literals.Int(o.Padding) + ")";
    }

    /// <summary>Allocates the output [B, C, OH, OW] and returns it with its floats per row.</summary>
    protected static (Buffer Output, long Width) Output(TrainingEmitter e, LayerPlan layer)
    {
        long width = layer.Output.MaxElements / e.MaxBatch;
        return (e.Alloc(layer.Path + ".output", e.MaxBatch * width, "B * " + Literals.Int(width), layer.Output), width);
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary><c>F.max_pool2d</c> / <c>F.avg_pool2d</c> with the layer's kernel, stride and padding.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        Pool2dOptions o = layer.OptionsOf<Pool2dOptions>();
        c.Forward.Add(PyTorchContext.Out(layer) + " = F." + PyTorchFunction + "(" + c.In(layer) + ", " + PyTorchContext.Int(o.Kernel)
            + ", stride=" + PyTorchContext.Int(o.Stride) + ", padding=" + PyTorchContext.Int(o.Padding) + ")");
    }
}

/// <summary>[MaxPool2d]/[AvgPool2d]'s options: the window's side, stride (the kernel when unset) and padding.</summary>
internal sealed record Pool2dOptions(string? Source, string? Memory, long Kernel, long Stride, long Padding) : LayerOptions(Source, Memory);
