using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [Conv1d(OutChannels, Kernel, Stride, Padding, Dilation, Groups, Bias)]: PyTorch's <c>nn.Conv1d</c> along a sequence [B, T, D], the
/// D features of each position being the input channels (channels-last, as every sequence here; PyTorch's [B, D, T] is the
/// transpose), to [B, T', OutChannels]; <c>{path}.weight</c> [OutChannels, D / Groups, Kernel] (Xavier uniform over fan-in
/// D / Groups · Kernel and fan-out OutChannels · Kernel) and <c>{path}.bias</c> [OutChannels] (zeros). A length-keeping convolution
/// (stride 1, 2·Padding = Dilation·(Kernel - 1)) runs along the batch's run-time length and keeps the sequence's lengths; any other
/// has the fixed length T' of the declared maximum and needs full-length sequences (checked at run time). The runtime's
/// <c>Convolution1d</c> kernels (unfold + GEMM) with one unfolded sequence of scratch.
/// </summary>
internal sealed class Conv1dLayer : LayerDescriptor
{
    public static readonly Conv1dLayer Instance = new();

    private Conv1dLayer()
    {
    }

    public override LayerKind Kind { get; } = new("Conv1d");

    public override string HandleType => "Conv1dLayer";

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        if (!input.IsFloatSequence)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, Kind.ToString(),
                "a sequence [B, T, D] (its D features are the channels)", c.From, input.Named);
            return;
        }

        Dim length = input.Dims[1], channels = input.Dims[2];
        if (Images.ReadConvolution(c, channels, declared => "[B, T, InChannels (" + declared + ")]") is not { } a)
        {
            return;
        }

        var (outChannels, kernel, stride, padding, dilation, groups) = a;

        // The rule at the declared maximum length, named as the sequence's length variable with its value (e.g. "T (16)").
        var declaredLength = new Dim(length.Name ?? "T", length.Size, DimKind.Static);
        long outLength = Images.OutputSize(c, "length", declaredLength, kernel, stride, padding, dilation);
        if (outLength < 1)
        {
            return;
        }

        bool keepsLength = KeepsLength(stride, padding, dilation, kernel);
        Dim outDim = keepsLength ? length : new Dim("T' (" + Int(outLength) + ")", outLength, DimKind.Sequence) { Code = Int(outLength) };
        var output = Shape.Create(false, keepsLength ? input.Source : null, input.Dims[0], outDim, c.StaticDim("OutChannels", outChannels));
        long patch = Sizes.Multiply(channels.Size / groups, kernel);
        if (!c.CheckTensor("weight [" + Int(outChannels) + ", " + Int(channels.Size / groups) + ", " + Int(kernel) + "]", Sizes.Multiply(outChannels, patch))
            || !c.CheckTensor("the output " + output.Named, output.MaxElements) || !c.CheckTensor("the unfolded sequence", Sizes.Multiply(patch, outLength)))
        {
            return;
        }

        string path = c.Path;
        var parameters = new List<PendingParameter>
        {
            new(path + ".weight", [outChannels, channels.Size / groups, kernel], Init.XavierUniform, patch, Sizes.Multiply(outChannels, kernel), null),
        };
        if (c.Bool("Bias", true))
        {
            parameters.Add(LayerContext.Param(path + ".bias", Init.Zeros, outChannels));
        }

        string details = "kernel " + Int(kernel) + ", stride " + Int(stride) + ", padding " + Int(padding)
            + (dilation == 1 ? string.Empty : ", dilation " + Int(dilation)) + (groups == 1 ? string.Empty : ", groups " + Int(groups))
            + (keepsLength ? ", keeps the length" : ", length " + Int(outLength));
        c.Complete(output, [LayerContext.Group(layer.Name, input, output, [.. parameters])], [("output", output)],
            Sizes.Multiply(2, outChannels, outLength, patch), details);
    }

    /// <summary>Whether the output has the input's length for every length: stride 1 and 2·Padding = Dilation·(Kernel - 1).</summary>
    private static bool KeepsLength(long stride, long padding, long dilation, long kernel) => stride == 1 && 2 * padding == dilation * (kernel - 1);

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) => new Conv1dOptions(
        wiring.Source,
        wiring.Memory,
        Kernel: layer.Int("Kernel", 0),
        Stride: layer.Int("Stride", 1),
        Padding: layer.Int("Padding", 0),
        Dilation: layer.Int("Dilation", 1),
        Groups: layer.Int("Groups", 1));

    public override string? OnnxUnsupported(LayerPlan layer) => "[Conv1d] has no ONNX export yet (issue 20)";

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Conv1dOptions o = layer.OptionsOf<Conv1dOptions>();
        Flow from = e.SourceOf(layer);
        Sequence inputSequence = from.Sequence!;
        ParameterPlan weight = e.LayerParameter(layer, ".weight")!;
        ParameterPlan? bias = e.LayerParameter(layer, ".bias");
        long outChannels = layer.Output.Last.Size, inChannels = layer.Input.Last.Size, outLength = layer.Output.Dims[1].Size;
        bool keepsLength = KeepsLength(o.Stride, o.Padding, o.Dilation, o.Kernel);
        Sequence sequence = keepsLength ? inputSequence : FixedLength(e, layer, outLength, outChannels);
        Buffer output = e.Alloc(layer.Path + ".output", sequence, outChannels);
        long scratchLength = Sizes.Multiply(inChannels / o.Groups, o.Kernel, outLength);
        e.ScratchTerms.Add(Int(scratchLength));
        string shape = "new " + K + "Convolution1dShape(B, " + inputSequence.T + ", " + Int(inChannels) + ", " + Int(outChannels) + ", " + Int(o.Kernel) + ", "
            + Int(o.Stride) + ", " + Int(o.Padding) + ", " + Int(o.Dilation) + ", " + Int(o.Groups) + ")";
        string scratch = "__scratch.Span.Slice(0, " + Int(scratchLength) + ")";
        e.ForwardLines.Add(title + ", " + TrainingEmitter.Range(weight) + (bias is null ? string.Empty : ", " + TrainingEmitter.Range(bias)));
        if (!keepsLength && !IsLiteral(inputSequence.T))
        {
            long maxLength = layer.Input.Dims[1].Size;
            e.ForwardLines.Add("if (" + inputSequence.T + " != " + Int(maxLength) + ") throw new global::System.ArgumentException(\"" + layer.Name
                + ": a [Conv1d] that changes the length needs full-length sequences: " + inputSequence.T + " must be " + Int(maxLength) + ", got \" + "
                + inputSequence.T + ");");
        }

        e.ForwardLines.Add(K + "Convolution1d.Forward(" + output.A + ", " + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", " + (bias is null ? "default" : TrainingEmitter.P(bias)) + ", "
            + shape + ", " + scratch + ", " + Pool + ");");
        e.AddBackward(
        [
            title + (from.Buffer.Constant ? " (its input, the batch, takes no gradient)" : string.Empty),
            K + "Convolution1d.Backward(" + from.Buffer.OptionalD + ", " + TrainingEmitter.G(weight) + ", " + (bias is null ? "default" : TrainingEmitter.G(bias)) + ", " + output.D + ", "
                + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", " + shape + ", " + scratch + ", " + Pool + ");",
        ]);
        return new Flow(output, sequence, outChannels);
    }

    /// <summary>A sequence of fixed length <paramref name="outLength"/> made by <paramref name="layer"/> (a length-changing convolution, token mixing): every row holds all positions (a constant lengths table).</summary>
    internal static Sequence FixedLength(TrainingEmitter e, LayerPlan layer, long outLength, long width)
    {
        string t = Int(outLength);
        string lengths = "__" + layer.Path.Replace('.', '_') + "_lengths";
        e.Constants.Add(new TrainingEmitter.TrainerConstant("int[]", lengths,
            "global::System.Linq.Enumerable.ToArray(global::System.Linq.Enumerable.Repeat(" + t + ", " + Int(e.MaxBatch) + "))"));
        var input = new InputPlan(layer.Name, false, outLength, t, width, 0, 0, string.Empty, false);
        return new Sequence(input, t, "B * " + t, t, null, TrainingEmitter.Span(lengths, "B"), null, null);
    }

    internal static bool IsLiteral(string? code) => code is not null && long.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer)
    {
        Conv1dOptions o = layer.OptionsOf<Conv1dOptions>();
        return KeepsLength(o.Stride, o.Padding, o.Dilation, o.Kernel) ? null : "[Conv1d] that changes the sequence's length has no PyTorch export yet (issue 20)";
    }

    /// <summary><c>nn.Conv1d(D, OutChannels, Kernel, stride, padding, dilation, groups, bias)</c> on the transposed sequence.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        Conv1dOptions o = layer.OptionsOf<Conv1dOptions>();
        bool bias = layer.Groups[0].Parameters.Count > 1;
        c.Init.Add(PyTorchContext.Self(layer) + " = nn.Conv1d(" + PyTorchContext.Int(layer.Input.Last.Size) + ", " + PyTorchContext.Int(layer.Output.Last.Size) + ", "
            + PyTorchContext.Int(o.Kernel) + ", stride=" + PyTorchContext.Int(o.Stride) + ", padding=" + PyTorchContext.Int(o.Padding) + ", dilation=" + PyTorchContext.Int(o.Dilation)
            + ", groups=" + PyTorchContext.Int(o.Groups) + ", bias=" + PyTorchContext.Bool(bias) + ")");
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + PyTorchContext.Self(layer) + "(" + c.In(layer) + ".transpose(1, 2)).transpose(1, 2)");
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>[Conv1d]'s options: the kernel length, stride, padding, dilation and groups.</summary>
internal sealed record Conv1dOptions(string? Source, string? Memory, long Kernel, long Stride, long Padding, long Dilation, long Groups) : LayerOptions(Source, Memory);
