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
/// <c>nn.Sigmoid</c>, <c>nn.LeakyReLU(Slope)</c>, <c>nn.RReLU(Lower, Upper)</c>), float input to the same shape, no parameters; the
/// runtime's <c>Activations</c> kernel pair (the one a Dense's fused activation uses), and for RRelu the <c>RRelu</c> pair with its
/// per-element slopes saved in the arena (drawn from the trainer's seed, a stream per layer and step; the mean slope in
/// evaluation and decoding).
/// </summary>
internal sealed class ActivationLayer : LayerDescriptor
{
    public static readonly ActivationLayer Instance = new();

    /// <summary>nn.LeakyReLU's default negative slope (the attribute's <c>Slope</c> default).</summary>
    public const float DefaultSlope = 0.01f;

    /// <summary>nn.RReLU's default bounds of the random slope (the attribute's <c>Lower</c> and <c>Upper</c> defaults).</summary>
    public const float DefaultLower = 0.125f, DefaultUpper = 1f / 3f;

    private const int LeakyRelu = Activations.LeakyRelu;
    private const int RRelu = Activations.RRelu;

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
        if (activation is <= Activations.None or > RRelu)
        {
            string display = activation == Activations.None ? "Activation.None" : activation.ToString(CultureInfo.InvariantCulture);
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Activation"), c.Layer.Name, "Activation", display, "a function: Relu, Gelu, GeluTanh, Tanh, Sigmoid, LeakyRelu or RRelu");
            return;
        }

        foreach (string bound in new[] { "Lower", "Upper" })
        {
            if (c.Layer.Argument(bound) is { } given && activation != RRelu)
            {
                c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At(bound), c.Layer.Name, bound, given.Display, "left unset: it bounds RRelu's random slope");
                return;
            }
        }

        float lower = c.Float("Lower", DefaultLower), upper = c.Float("Upper", DefaultUpper);
        if (activation == RRelu && !(lower >= 0f && upper >= lower && upper <= 1e6f))
        {
            string at = lower >= 0f ? "Upper" : "Lower";
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At(at), c.Layer.Name, at, TrainingEmitter.Number(at == "Lower" ? lower : upper), "0 <= Lower <= Upper");
            return;
        }

        if (c.Layer.Argument("Slope") is { } slope && activation != LeakyRelu)
        {
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Slope"), c.Layer.Name, "Slope", slope.Display, "left unset: it is LeakyRelu's negative slope");
            return;
        }

        Shape input = c.Input;
        string details = Activations.Name(activation) + (activation == LeakyRelu ? ", slope " + TrainingEmitter.Number(c.Float("Slope", DefaultSlope))
            : activation == RRelu ? ", slope in [" + TrainingEmitter.Number(lower) + ", " + TrainingEmitter.Number(upper) + "]" : string.Empty);
        c.Complete(input, [], activation == RRelu ? [("output", input), ("slopes", input)] : [("output", input)], input.MaxElements, details);
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) =>
        new ActivationOptions(wiring.Source, wiring.Memory, (int)layer.Int("Activation", Activations.None), layer.Float("Slope", DefaultSlope),
            layer.Float("Lower", DefaultLower), layer.Float("Upper", DefaultUpper));

    public override string? OnnxUnsupported(LayerPlan layer) => null;

    /// <summary>The activation's nodes (<c>g.Activation</c>, GELU composed from Erf at opset 17), LeakyRelu with the declared slope.</summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title)
    {
        ActivationOptions options = layer.OptionsOf<ActivationOptions>();
        OnnxFlow from = c.SourceOf(layer);
        c.Line(title);
        c.Line("g.Activation(" + OnnxContext.Quote(layer.Path) + ", " + OnnxContext.Quote(from.Value) + ", " + Literals.Int(options.FusedActivation) + ", " + Literals.Float(options.FusedSlope) + ");");
        return @from with { Value = layer.Path };
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        ActivationOptions options = layer.OptionsOf<ActivationOptions>();
        Flow from = e.SourceOf(layer);
        Buffer output = e.Alloc(layer.Path + ".output", from.Sequence, from.Width);
        if (options.Activation == RRelu)
        {
            return EmitRRelu(e, layer, title, options, from, output);
        }

        string function = TrainingEmitter.ActivationKind(options.Activation) + ", " + Literals.Float(options.Slope);
        e.ForwardLines.Add(title);
        e.ForwardLines.Add(K + "Activations.Forward(" + output.A + ", " + from.Buffer.A + ", " + function + ");");
        e.AddBackward(from.Buffer.Constant
            ? [title + ": its input (the batch) takes no gradient"]
            : [title, K + "Activations.Backward(" + from.Buffer.D + ", " + output.D + ", " + from.Buffer.A + ", " + function + ");"]);
        return new Flow(output, from.Sequence, from.Width);
    }

    /// <summary>
    /// RReLU: the slopes are saved in the arena; in training they are drawn from the trainer's seed with a stream of this
    /// layer's own for each step (the layer's hash in the high 32 bits, the step in the low ones) and the dropout counter
    /// offset, so they are reproducible and differ between steps; in evaluation every slope is the mean.
    /// </summary>
    private static Flow EmitRRelu(TrainingEmitter e, LayerPlan layer, string title, ActivationOptions options, Flow from, Buffer output)
    {
        Buffer slopes = e.Alloc(layer.Path + ".slopes", from.Sequence, from.Width);
        string stream = "0x" + StreamHash(layer.Path).ToString("X8", CultureInfo.InvariantCulture) + "00000000UL + (ulong)Steps";
        e.ForwardLines.Add(title + ": slopes in [" + TrainingEmitter.Number(options.Lower) + ", " + TrainingEmitter.Number(options.Upper) + "] in training, their mean in evaluation");
        e.ForwardLines.Add(K + "RRelu.Forward(" + output.A + ", " + slopes.A + ", " + from.Buffer.A + ", " + Literals.Float(options.Lower) + ", "
            + Literals.Float(options.Upper) + ", DropoutSeed, " + stream + ", __dropoutOffset, training);");
        e.AddBackward(from.Buffer.Constant
            ? [title + ": its input (the batch) takes no gradient"]
            : [title, K + "RRelu.Backward(" + from.Buffer.D + ", " + output.D + ", " + slopes.A + ");"]);
        return new Flow(output, from.Sequence, from.Width);
    }

    /// <summary>FNV-1a of the layer's path: a stream per RReLU layer, far from the dropout sites' small stream numbers.</summary>
    private static uint StreamHash(string path)
    {
        uint hash = 2166136261;
        foreach (char ch in path)
        {
            hash = (hash ^ ch) * 16777619;
        }

        return hash | 1;
    }

    public override bool CanDecodeStep(LayerPlan layer) => true;

    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        ActivationOptions options = layer.OptionsOf<ActivationOptions>();
        string D = Literals.Int(c.Width);
        c.Writer.Line(title);
        c.Writer.Line(K + "Activations.Forward(" + AsSpan + c.Other + ", 0, R * " + D + "), " + AsSpan + c.Current + ", 0, R * " + D + "), "
            + TrainingEmitter.ActivationKind(options.FusedActivation) + ", " + Literals.Float(options.FusedSlope) + ");");
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
            : options.Activation == RRelu
            ? "F.rrelu(" + c.In(layer) + ", " + TrainingEmitter.Number(options.Lower) + ", " + TrainingEmitter.Number(options.Upper) + ", training=self.training)"
            : PyTorchContext.Activation(options.Activation) + "(" + c.In(layer) + ")"));
    }
}

/// <summary>[Activation]'s options: the <c>Activation</c> value (Relu 1 ... RRelu 7), LeakyRelu's negative slope, RRelu's bounds.</summary>
internal sealed record ActivationOptions(string? Source, string? Memory, int Activation, float Slope, float Lower, float Upper) : LayerOptions(Source, Memory)
{
    /// <summary>The stateless function of inference: RRelu in evaluation is LeakyRelu with the mean slope.</summary>
    public int FusedActivation => Activation == Activations.RRelu ? Activations.LeakyRelu : Activation;

    /// <summary>The slope of <see cref="FusedActivation"/> (RRelu's mean in double, rounded once, as PyTorch).</summary>
    public float FusedSlope => Activation == Activations.RRelu ? (float)(((double)Lower + Upper) / 2) : Slope;
}
