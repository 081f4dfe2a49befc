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
/// [TokenMixing(Units, Bias)]: the MLP-Mixer's Dense over the token axis of a fixed-length sequence [B, N, D] (every row full: a
/// [PatchEmbedding], an earlier [TokenMixing], a length-changing [Conv1d]) to [B, Units, D]; <c>{path}.weight</c> [Units, N]
/// (Xavier uniform) and <c>{path}.bias</c> [Units] (zeros), <c>nn.Linear(N, Units)</c> on the transposed sequence. The runtime's
/// <c>TokenMixing</c> kernels: one GEMM per sequence, no transposes.
/// </summary>
internal sealed class TokenMixingLayer : LayerDescriptor
{
    public static readonly TokenMixingLayer Instance = new();

    private TokenMixingLayer()
    {
    }

    public override LayerKind Kind { get; } = new("TokenMixing");

    public override string HandleType => "TokenMixingLayer";

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        if (!input.IsFloatSequence || !Conv1dLayer.IsLiteral(input.Dims[1].Code))
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, Kind.ToString(),
                "a sequence of fixed length [B, N, D] whose rows are all full (a [PatchEmbedding]'s patches, an earlier [TokenMixing])", c.From, input.Named);
            return;
        }

        long units = c.Int("Units", 0);
        if (!c.CheckRange("Units", units, 1, "at least 1"))
        {
            return;
        }

        long tokens = input.Dims[1].Size, width = input.Last.Size;
        var length = new Dim("Units (" + Int(units) + ")", units, DimKind.Sequence) { Code = Int(units) };
        var output = Shape.Create(false, null, input.Dims[0], length, input.Last);
        if (!c.CheckTensor("weight [" + Int(units) + ", " + Int(tokens) + "]", Sizes.Multiply(units, tokens)) || !c.CheckTensor("the output " + output.Named, output.MaxElements))
        {
            return;
        }

        string path = c.Path;
        PendingParameter[] parameters = c.Bool("Bias", true)
            ? [LayerContext.Param(path + ".weight", Init.XavierUniform, units, tokens), LayerContext.Param(path + ".bias", Init.Zeros, units)]
            : [LayerContext.Param(path + ".weight", Init.XavierUniform, units, tokens)];
        c.Complete(output, [LayerContext.Group(layer.Name, input, output, parameters)], [("output", output)],
            Sizes.Multiply(2, units, tokens, width), Int(tokens) + " tokens -> " + Int(units) + ", per channel");
    }

    public override string? OnnxUnsupported(LayerPlan layer) => "[TokenMixing] has no ONNX export yet (issue 20)";

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        ParameterPlan weight = e.LayerParameter(layer, ".weight")!;
        ParameterPlan? bias = e.LayerParameter(layer, ".bias");
        long tokens = layer.Input.Dims[1].Size, units = layer.Output.Dims[1].Size, width = layer.Output.Last.Size;
        Sequence sequence = Conv1dLayer.FixedLength(e, layer, units, width);
        Buffer output = e.Alloc(layer.Path + ".output", sequence, width);
        string sizes = "B, " + Int(tokens) + ", " + Int(units) + ", " + Int(width);
        e.ForwardLines.Add(title + ", " + TrainingEmitter.Range(weight) + (bias is null ? string.Empty : ", " + TrainingEmitter.Range(bias)));
        e.ForwardLines.Add(K + "TokenMixing.Forward(" + output.A + ", " + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", " + (bias is null ? "default" : TrainingEmitter.P(bias)) + ", "
            + sizes + ", " + Pool + ");");
        e.AddBackward(
        [
            title,
            K + "TokenMixing.Backward(" + from.Buffer.OptionalD + ", " + TrainingEmitter.G(weight) + ", " + (bias is null ? "default" : TrainingEmitter.G(bias)) + ", " + output.D + ", "
                + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", " + sizes + ", " + Pool + ");",
        ]);
        return new Flow(output, sequence, width);
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary><c>nn.Linear(N, Units)</c> on the transposed sequence.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        bool bias = layer.Groups[0].Parameters.Count > 1;
        c.Init.Add(PyTorchContext.Self(layer) + " = nn.Linear(" + PyTorchContext.Int(layer.Input.Dims[1].Size) + ", " + PyTorchContext.Int(layer.Output.Dims[1].Size)
            + ", bias=" + PyTorchContext.Bool(bias) + ")");
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + PyTorchContext.Self(layer) + "(" + c.In(layer) + ".transpose(1, 2)).transpose(1, 2)");
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
