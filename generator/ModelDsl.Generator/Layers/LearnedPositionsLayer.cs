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

/// <summary>[LearnedPositions(MaxLength)]: adds a learned vector per position (<c>{path}.weight</c> [MaxLength, D], normal init).</summary>
internal sealed class LearnedPositionsLayer : LayerDescriptor
{
    public static readonly LearnedPositionsLayer Instance = new();

    private LearnedPositionsLayer()
    {
    }

    public override LayerKind Kind => LayerKind.LearnedPositions;

    public override string HandleType => "Positions";

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        if (!input.IsFloatSequence)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, AttributeName, "a float sequence [B, T, D]", c.From, input.Named);
            return;
        }

        long maxLength = c.Int("MaxLength", 0);
        if (!c.CheckRange("MaxLength", maxLength, 1, "at least 1"))
        {
            return;
        }

        if (maxLength < input.Dims[1].Size)
        {
            c.Report(DiagnosticDescriptors.SequenceTooLong, c.At("MaxLength"), layer.Name, maxLength, c.From, input.Named + " with " + input.Dims[1].Name + " up to " + input.Dims[1].Size.ToString(CultureInfo.InvariantCulture));
            return;
        }

        long width = input.Last.Size;
        if (!c.CheckTensor("weight [" + maxLength + ", " + width + "]", Sizes.Multiply(maxLength, width)))
        {
            return;
        }

        c.Complete(input, [LayerContext.Group(layer.Name, input, input, LayerContext.Param(c.Path + ".weight", Init.Normal, maxLength, width))], [("output", input)], 0, "learned, " + maxLength.ToString(CultureInfo.InvariantCulture) + " positions");
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        Sequence sequence = from.Sequence!;
        long width = from.Width;
        ParameterPlan weight = e.LayerParameter(layer, ".weight")!;
        Buffer output = e.Alloc(layer.Path + ".output", sequence, width);
        e.ForwardLines.Add(title + ", " + TrainingEmitter.Range(weight));
        e.ForwardLines.Add(K + "LearnedPositions.Forward(" + output.A + ", " + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", B, " + sequence.T + ", " + Literals.Int(width) + ");");
        e.AddBackward(
        [
            title,
            K + "LearnedPositions.Backward(" + from.Buffer.D + ", " + TrainingEmitter.G(weight) + ", " + output.D + ", B, " + sequence.T + ", " + Literals.Int(width) + ");",
        ]);
        return new Flow(output, sequence, width);
    }

    public override bool CanDecodeStep(LayerPlan layer) => true;

    /// <summary>Adds the row of position <c>step</c>.</summary>
    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        ParameterPlan weight = c.Training.LayerParameter(layer, ".weight")!;
        string D = Literals.Int(c.Width);
        c.Writer.Line(title);
        c.Writer.Line(K + "LearnedPositions.Forward(" + DecoderContext.Buffer(c.Other, "R * " + D) + ", " + DecoderContext.Buffer(c.Current, "R * " + D) + ", p.Slice(" + Literals.Int(weight.Offset) + " + (step * " + D + "), " + D + "), R, 1, " + D + ");");
        c.Current = c.Other;
    }
}
