using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>[Dropout(Probability)]: inverted dropout in training, the identity in evaluation (and for p = 0).</summary>
internal sealed class DropoutLayer : LayerDescriptor
{
    public static readonly DropoutLayer Instance = new();

    private DropoutLayer()
    {
    }

    public override LayerKind Kind => LayerKind.Dropout;

    public override string HandleType => "DropoutLayer";

    public override void Plan(LayerContext c)
    {
        float probability = c.Float("Probability", 0f);
        if (c.RequireFloat(images: true) && c.CheckProbability("Probability", probability))
        {
            c.Complete(c.Input, [], [("output", c.Input)], 0, "p = " + probability.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) =>
        new DropoutOptions(wiring.Source, wiring.Memory, layer.Float("Probability", 0f));

    public override string? OnnxUnsupported(LayerPlan layer) => null;

    /// <summary>The identity at inference: no node, the layer hands on its input.</summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title)
    {
        c.Line(title + ": the identity at inference");
        return c.SourceOf(layer);
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        if (layer.OptionsOf<DropoutOptions>().Probability <= 0f)
        {
            e.ForwardLines.Add(title + ": p = 0, the identity");
            return from;
        }

        var backward = new List<string>();
        Buffer output = e.Dropout(layer.Path + ".output", title, from.Buffer, from.Sequence, from.Width, layer.OptionsOf<DropoutOptions>().Probability, e.ForwardLines, backward);
        e.AddBackward(backward);
        return new Flow(output, from.Sequence, from.Width);
    }

    public override bool CanDecodeStep(LayerPlan layer) => true;

    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title) =>
        c.Writer.Line(title + ": the identity when decoding");

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary><c>nn.Dropout(p)</c>.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        c.Init.Add(PyTorchContext.Self(layer) + " = nn.Dropout(" + PyTorchContext.Float(layer.OptionsOf<DropoutOptions>().Probability) + ")");
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + PyTorchContext.Self(layer) + "(" + c.In(layer) + ")");
    }
}

/// <summary>[Dropout]'s options: the probability of zeroing an element in training.</summary>
internal sealed record DropoutOptions(string? Source, string? Memory, float Probability) : LayerOptions(Source, Memory);
