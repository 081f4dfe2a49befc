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
/// [PReLU]: PyTorch's <c>nn.PReLU</c>, <c>x &gt; 0 ? x : a·x</c> with a learned slope <c>{layer}.weight</c> (init 0.25): one shared
/// (<c>[PReLU]</c>, <c>nn.PReLU()</c>) or one per channel, the last (feature) dimension (<c>[PReLU(PerChannel = true)]</c> or
/// <c>[PReLU(Channels = C)]</c>, <c>nn.PReLU(num_parameters=C)</c>; <c>Channels</c> is checked against the input).
/// </summary>
internal sealed class PReLULayer : LayerDescriptor
{
    public static readonly PReLULayer Instance = new();

    private PReLULayer()
    {
    }

    public override LayerKind Kind { get; } = new("PReLU");

    public override string HandleType => "PReLULayer";

    public override void Plan(LayerContext c)
    {
        if (!c.RequireFloat())
        {
            return;
        }

        Shape input = c.Input;
        long width = input.Last.Size;
        bool perChannel = c.Bool("PerChannel", false);
        long slopes = perChannel ? width : 1;
        if (c.Layer.Argument("Channels") is { } channels)
        {
            long value = c.Int("Channels", 0);
            string rule = perChannel
                ? "the input's last dimension " + input.Last.Named + " (PerChannel = true)"
                : "1 (one shared slope) or the input's last dimension " + input.Last.Named;
            if ((value != 1 || perChannel) && value != width)
            {
                c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Channels"), c.Layer.Name, "Channels", channels.Display, rule);
                return;
            }

            slopes = value;
        }

        c.Complete(
            input,
            [LayerContext.Group(c.Layer.Name, input, input, LayerContext.Param(c.Path + ".weight", Init.Constant(0.25f, "0.25 (nn.PReLU's init)"), slopes))],
            [("output", input)],
            Sizes.Multiply(2, input.MaxElements),
            slopes == 1 ? "one shared slope" : slopes.ToString(CultureInfo.InvariantCulture) + " slopes, one per channel");
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        ParameterPlan weight = e.LayerParameter(layer, ".weight")!;
        Buffer output = e.Alloc(layer.Path + ".output", from.Sequence, from.Width);
        string dims = TrainingEmitter.Rows(from.Sequence) + ", " + Literals.Int(from.Width);
        e.ForwardLines.Add(title + ", " + TrainingEmitter.Range(weight));
        e.ForwardLines.Add(K + "PReLU.Forward(" + output.A + ", " + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", " + dims + ");");
        e.AddBackward(
        [
            title,
            K + "PReLU.Backward(" + from.Buffer.D + ", " + TrainingEmitter.G(weight) + ", " + output.D + ", " + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", " + dims + ");",
        ]);
        return new Flow(output, from.Sequence, from.Width);
    }

    public override bool CanDecodeStep(LayerPlan layer) => true;

    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        ParameterPlan weight = c.Training.LayerParameter(layer, ".weight")!;
        string D = Literals.Int(c.Width);
        c.Writer.Line(title);
        c.Writer.Line(K + "PReLU.Forward(" + AsSpan + c.Other + ", 0, R * " + D + "), " + AsSpan + c.Current + ", 0, R * " + D + "), " + TrainingEmitter.P(weight) + ", R, " + D + ");");
        c.Current = c.Other;
    }
}
