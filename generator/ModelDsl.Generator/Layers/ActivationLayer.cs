using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [Activation(Activation.X)]: an element-wise activation as a layer of its own (<c>nn.ReLU</c>, <c>nn.GELU</c>, <c>nn.Tanh</c>,
/// <c>nn.Sigmoid</c>, <c>nn.LeakyReLU(Slope)</c>), float input to the same shape, no parameters; the runtime's
/// <c>Activations</c> kernel pair (the one a Dense's fused activation uses).
/// </summary>
internal sealed class ActivationLayer : LayerDescriptor
{
    public static readonly ActivationLayer Instance = new();

    /// <summary>nn.LeakyReLU's default negative slope (the attribute's <c>Slope</c> default).</summary>
    public const float DefaultSlope = 0.01f;

    private const int LeakyRelu = 6;

    private ActivationLayer()
    {
    }

    public override LayerKind Kind { get; } = new("Activation");

    public override string HandleType => "ActivationLayer";

    public override void Plan(LayerContext c)
    {
        if (!c.RequireFloat(images: true))
        {
            return;
        }

        long activation = c.Int("Activation", Activations.None);
        if (activation is <= Activations.None or > LeakyRelu)
        {
            string display = activation == Activations.None ? "Activation.None" : activation.ToString(CultureInfo.InvariantCulture);
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Activation"), c.Layer.Name, "Activation", display, "a function: Relu, Gelu, GeluTanh, Tanh, Sigmoid or LeakyRelu");
            return;
        }

        if (c.Layer.Argument("Slope") is { } slope && activation != LeakyRelu)
        {
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Slope"), c.Layer.Name, "Slope", slope.Display, "left unset: it is LeakyRelu's negative slope");
            return;
        }

        Shape input = c.Input;
        string details = Activations.Name(activation) + (activation == LeakyRelu ? ", slope " + TrainingEmitter.Number(c.Float("Slope", DefaultSlope)) : string.Empty);
        c.Complete(input, [], [("output", input)], input.MaxElements, details);
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) =>
        new ActivationOptions(wiring.Source, wiring.Memory, (int)layer.Int("Activation", Activations.None), layer.Float("Slope", DefaultSlope));

    public override string? OnnxUnsupported(LayerPlan layer) => null;

    /// <summary>The activation's nodes (<c>g.Activation</c>, GELU composed from Erf at opset 17), LeakyRelu with the declared slope.</summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title)
    {
        ActivationOptions options = layer.OptionsOf<ActivationOptions>();
        OnnxFlow from = c.SourceOf(layer);
        c.Line(title);
        c.Line("g.Activation(" + OnnxContext.Quote(layer.Path) + ", " + OnnxContext.Quote(from.Value) + ", " + Literals.Int(options.Activation) + ", " + Literals.Float(options.Slope) + ");");
        return @from with { Value = layer.Path };
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        ActivationOptions options = layer.OptionsOf<ActivationOptions>();
        Flow from = e.SourceOf(layer);
        Buffer output = e.Alloc(layer.Path + ".output", from.Sequence, from.Width);
        string function = TrainingEmitter.ActivationKind(options.Activation) + ", " + Literals.Float(options.Slope);
        e.ForwardLines.Add(title);
        e.ForwardLines.Add(K + "Activations.Forward(" + output.A + ", " + from.Buffer.A + ", " + function + ");");
        e.AddBackward(from.Buffer.Constant
            ? [title + ": its input (the batch) takes no gradient"]
            : [title, K + "Activations.Backward(" + from.Buffer.D + ", " + output.D + ", " + from.Buffer.A + ", " + function + ");"]);
        return new Flow(output, from.Sequence, from.Width);
    }

    public override bool CanDecodeStep(LayerPlan layer) => true;

    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        ActivationOptions options = layer.OptionsOf<ActivationOptions>();
        string D = Literals.Int(c.Width);
        c.Writer.Line(title);
        c.Writer.Line(K + "Activations.Forward(" + AsSpan + c.Other + ", 0, R * " + D + "), " + AsSpan + c.Current + ", 0, R * " + D + "), "
            + TrainingEmitter.ActivationKind(options.Activation) + ", " + Literals.Float(options.Slope) + ");");
        c.Current = c.Other;
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary>The prelude's activation function (<c>F.leaky_relu(x, slope)</c> for LeakyRelu, with the declared slope); no module.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        ActivationOptions options = layer.OptionsOf<ActivationOptions>();
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + (options.Activation == LeakyRelu
            ? "F.leaky_relu(" + c.In(layer) + ", " + TrainingEmitter.Number(options.Slope) + ")"
            : PyTorchContext.Activation(options.Activation) + "(" + c.In(layer) + ")"));
    }
}

/// <summary>[Activation]'s options: the <c>Activation</c> value (Relu 1 ... LeakyRelu 6) and LeakyRelu's negative slope.</summary>
internal sealed record ActivationOptions(string? Source, string? Memory, int Activation, float Slope) : LayerOptions(Source, Memory);
