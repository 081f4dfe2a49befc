using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [Conv2d(OutChannels, Kernel, Stride, Padding, Dilation, Groups, Bias)]: PyTorch's <c>nn.Conv2d</c> on an image [B, C, H, W]
/// (square kernel, the same stride, padding and dilation along both axes) to [B, OutChannels, OH, OW];
/// <c>{path}.weight</c> [OutChannels, C / Groups, Kernel, Kernel] (Xavier uniform over fan-in C / Groups · Kernel² and fan-out
/// OutChannels · Kernel², PyTorch's <c>xavier_uniform_</c> of a conv weight) and <c>{path}.bias</c> [OutChannels] (zeros). The
/// runtime's <c>Convolution</c> kernels (im2col + GEMM, col2im backward) with one column matrix of scratch.
/// </summary>
internal sealed class Conv2dLayer : LayerDescriptor
{
    public static readonly Conv2dLayer Instance = new();

    private Conv2dLayer()
    {
    }

    public override LayerKind Kind { get; } = new("Conv2d");

    public override string HandleType => "Conv2dLayer";

    public override void Plan(LayerContext c)
    {
        if (!Images.Require(c))
        {
            return;
        }

        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        Dim channels = input.Dims[1];
        if (Images.ReadConvolution(c, channels, declared => "[B, InChannels (" + declared + "), H, W]") is not { } a)
        {
            return;
        }

        var (outChannels, kernel, stride, padding, dilation, groups) = a;

        long height = Images.OutputSize(c, "height", input.Dims[2], kernel, stride, padding, dilation);
        long width = height < 1 ? 0 : Images.OutputSize(c, "width", input.Dims[3], kernel, stride, padding, dilation);
        if (width < 1)
        {
            return;
        }

        var output = Shape.Create(false, null, input.Dims[0], c.StaticDim("OutChannels", outChannels), Images.Computed(height), Images.Computed(width));
        long patch = Sizes.Multiply(channels.Size / groups, kernel, kernel);
        if (!c.CheckTensor("weight [" + outChannels + ", " + (channels.Size / groups) + ", " + kernel + ", " + kernel + "]", Sizes.Multiply(outChannels, patch))
            || !c.CheckTensor("the output " + output.Named, output.MaxElements) || !c.CheckTensor("the column matrix", Sizes.Multiply(patch, height, width)))
        {
            return;
        }

        string path = c.Path;
        var parameters = new List<PendingParameter>
        {
            new(path + ".weight", [outChannels, channels.Size / groups, kernel, kernel], Init.XavierUniform, patch, Sizes.Multiply(outChannels, kernel, kernel), null),
        };
        if (c.Bool("Bias", true))
        {
            parameters.Add(LayerContext.Param(path + ".bias", Init.Zeros, outChannels));
        }

        string details = kernel + "x" + kernel + ", stride " + stride + ", padding " + padding
            + (dilation == 1 ? string.Empty : ", dilation " + dilation) + (groups == 1 ? string.Empty : ", groups " + groups);
        c.Complete(output, [LayerContext.Group(layer.Name, input, output, [.. parameters])], [("output", output)],
            Sizes.Multiply(2, outChannels, height, width, patch), details);
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) => new Conv2dOptions(
        wiring.Source,
        wiring.Memory,
        Kernel: layer.Int("Kernel", 0),
        Stride: layer.Int("Stride", 1),
        Padding: layer.Int("Padding", 0),
        Dilation: layer.Int("Dilation", 1),
        Groups: layer.Int("Groups", 1));

    public override string? OnnxUnsupported(LayerPlan layer) => "[Conv2d] has no ONNX export yet (issue 20)";

    /// <summary>The runtime sizes of the convolution for the batch's <c>B</c> rows, as emitted.</summary>
    private static string ShapeOf(LayerPlan layer)
    {
        Conv2dOptions o = layer.OptionsOf<Conv2dOptions>();
        (long channels, long height, long width) = Images.Sizes3(layer.Input);
        string k = Literals.Int(o.Kernel), s = Literals.Int(o.Stride), p = Literals.Int(o.Padding), d = Literals.Int(o.Dilation);
        return "new " + K + "ConvolutionShape(B, " + Literals.Int(channels) + ", " + Literals.Int(height) + ", " + Literals.Int(width) + ", "
            + Literals.Int(layer.Output.Dims[1].Size) + ", " + k + ", " + k + ", " + s + ", " + s + ", " + p + ", " + p + ", " + d + ", " + d + ", " + Literals.Int(o.Groups) + ")";
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Conv2dOptions o = layer.OptionsOf<Conv2dOptions>();
        Flow from = e.SourceOf(layer);
        ParameterPlan weight = e.LayerParameter(layer, ".weight")!;
        ParameterPlan? bias = e.LayerParameter(layer, ".bias");
        long outWidth = layer.Output.MaxElements / e.MaxBatch;
        Buffer output = e.Alloc(layer.Path + ".output", e.MaxBatch * outWidth, "B * " + Literals.Int(outWidth), layer.Output);
        long columns = Sizes.Multiply(layer.Input.Dims[1].Size / o.Groups, o.Kernel, o.Kernel) * layer.Output.Dims[2].Size * layer.Output.Dims[3].Size;
        e.ScratchTerms.Add(Literals.Int(columns));
        string shape = ShapeOf(layer);
        string scratch = "__scratch.Span.Slice(0, " + Literals.Int(columns) + ")";
        e.ForwardLines.Add(title + ", " + TrainingEmitter.Range(weight) + (bias is null ? string.Empty : ", " + TrainingEmitter.Range(bias)));
        e.ForwardLines.Add(K + "Convolution.Forward(" + output.A + ", " + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", " + (bias is null ? "default" : TrainingEmitter.P(bias)) + ", "
            + shape + ", " + scratch + ", " + Pool + ");");
        e.AddBackward(
        [
            title + (from.Buffer.Constant ? " (its input, the batch, takes no gradient)" : string.Empty),
            K + "Convolution.Backward(" + from.Buffer.OptionalD + ", " + TrainingEmitter.G(weight) + ", " + (bias is null ? "default" : TrainingEmitter.G(bias)) + ", " + output.D + ", "
                + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", " + shape + ", " + scratch + ", " + Pool + ");",
        ]);
        return new Flow(output, null, outWidth);
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary><c>nn.Conv2d(C, OutChannels, Kernel, stride, padding, dilation, groups, bias)</c>.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        Conv2dOptions o = layer.OptionsOf<Conv2dOptions>();
        bool bias = layer.Groups[0].Parameters.Count > 1;
        c.Init.Add(PyTorchContext.Self(layer) + " = nn.Conv2d(" + PyTorchContext.Int(layer.Input.Dims[1].Size) + ", " + PyTorchContext.Int(layer.Output.Dims[1].Size) + ", "
            + PyTorchContext.Int(o.Kernel) + ", stride=" + PyTorchContext.Int(o.Stride) + ", padding=" + PyTorchContext.Int(o.Padding) + ", dilation=" + PyTorchContext.Int(o.Dilation)
            + ", groups=" + PyTorchContext.Int(o.Groups) + ", bias=" + PyTorchContext.Bool(bias) + ")");
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + PyTorchContext.Self(layer) + "(" + c.In(layer) + ")");
    }
}

/// <summary>[Conv2d]'s options: the square kernel's side and the stride, padding and dilation along both axes, and the groups.</summary>
internal sealed record Conv2dOptions(string? Source, string? Memory, long Kernel, long Stride, long Padding, long Dilation, long Groups) : LayerOptions(Source, Memory);
