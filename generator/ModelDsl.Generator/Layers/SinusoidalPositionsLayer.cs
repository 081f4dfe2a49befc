using System.Collections.Generic;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>[SinusoidalPositions]: adds the fixed sine/cosine table of the original Transformer.</summary>
internal sealed class SinusoidalPositionsLayer : LayerDescriptor
{
    public static readonly SinusoidalPositionsLayer Instance = new();

    private SinusoidalPositionsLayer()
    {
    }

    public override LayerKind Kind => LayerKind.SinusoidalPositions;

    public override string HandleType => "Positions";

    public override void Plan(LayerContext c)
    {
        Shape input = c.Input;
        if (!input.IsFloatSequence)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, c.Layer.AttributeLocation, c.Layer.Name, AttributeName, "a float sequence [B, T, D]", c.From, input.Named);
            return;
        }

        c.Complete(input, [], [("output", input)], 0, "sinusoidal");
    }

    public override string? OnnxUnsupported(LayerPlan layer) => null;

    /// <summary>Adds the first T rows of the fixed table, stored as a constant filled by the runtime's own <c>SinusoidalPositions.Fill</c>.</summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title)
    {
        OnnxFlow from = c.SourceOf(layer);
        long rows = layer.Input.Dims[1].Size;
        string size = Literals.Int(rows) + " * " + Literals.Int(from.Width);
        c.Line(title + ": adds the first T rows of the fixed sinusoid table (" + Literals.Int(rows) + " x " + Literals.Int(from.Width) + ")");
        c.Writer.Open();
        c.Line("var table = new float[" + size + "];");
        c.Line(K + "SinusoidalPositions.Fill(table, " + Literals.Int(rows) + ", " + Literals.Int(from.Width) + ");");
        c.Line("g.AddPositions(" + OnnxContext.Quote(layer.Path) + ", " + OnnxContext.Quote(from.Value) + ", g.Constant(" + OnnxContext.Quote(layer.Path + ".table") + ", table, " + Literals.Int(rows) + ", " + Literals.Int(from.Width) + "));");
        c.Writer.Close();
        return new OnnxFlow(layer.Path, from.Sequence, from.Width);
    }

    /// <summary>Adds the fixed table's row at the step's position.</summary>
    public override OnnxFlow EmitOnnxStep(OnnxContext c, LayerPlan layer, string title)
    {
        OnnxFlow from = c.SourceOf(layer);
        long rows = layer.Input.Dims[1].Size;
        c.Line(title + ": the fixed sinusoid table's row at the step's position");
        c.Writer.Open();
        c.Line("var table = new float[" + Literals.Int(rows) + " * " + Literals.Int(from.Width) + "];");
        c.Line(K + "SinusoidalPositions.Fill(table, " + Literals.Int(rows) + ", " + Literals.Int(from.Width) + ");");
        c.Line("g.AddPositionAt(" + OnnxContext.Quote(layer.Path) + ", " + OnnxContext.Quote(from.Value) + ", g.Constant(" + OnnxContext.Quote(layer.Path + ".table") + ", table, " + Literals.Int(rows) + ", " + Literals.Int(from.Width) + "), " + OnnxContext.Quote(OnnxContext.Position) + ");");
        c.Writer.Close();
        return @from with { Value = layer.Path };
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        Sequence sequence = from.Sequence!;
        long width = from.Width;
        string table = "__sinusoid" + Literals.Int(e.Tables.Count);
        e.Tables.Add(new TrainingEmitter.TrainerTable(table, sequence.MaxLength * width, K + "SinusoidalPositions.Fill(" + table + ", " + Literals.Int(sequence.MaxLength) + ", " + Literals.Int(width) + ");"));
        e.LayerFields[layer.Name] = table;
        Buffer output = e.Alloc(layer.Path + ".output", sequence, width);
        e.ForwardLines.Add(title + ": adds the fixed sinusoid table (" + Literals.Int(sequence.MaxLength) + " x " + Literals.Int(width) + ")");
        e.ForwardLines.Add(K + "SinusoidalPositions.Forward(" + output.A + ", " + from.Buffer.A + ", " + table + ", B, " + sequence.T + ", " + Literals.Int(width) + ");");
        e.AddBackward(
        [
            title,
            K + "SinusoidalPositions.Backward(" + from.Buffer.D + ", " + output.D + ", B, " + sequence.T + ", " + Literals.Int(width) + ");",
        ]);
        return new Flow(output, sequence, width);
    }

    public override bool CanDecodeStep(LayerPlan layer) => true;

    /// <summary>Adds the row of position <c>step</c> of the trainer's table.</summary>
    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        string D = Literals.Int(c.Width);
        c.Writer.Line(title);
        c.Writer.Line(K + "SinusoidalPositions.Forward(" + DecoderContext.Buffer(c.Other, "R * " + D) + ", " + DecoderContext.Buffer(c.Current, "R * " + D) + ", " + AsSpan + "__trainer." + c.Training.LayerFields[layer.Name] + ", step * " + D + ", " + D + "), R, 1, " + D + ");");
        c.Current = c.Other;
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary>Adds the fixed table, a non-persistent buffer <c>{path}_table</c> (not in the state_dict, as in ModelDsl).</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        string table = layer.Path + "_table";
        c.Init.Add("self.register_buffer(\"" + table + "\", sinusoid_table(" + PyTorchContext.Int(layer.Input.Dims[1].Size) + ", " + PyTorchContext.Int(layer.Input.Last.Size) + "), persistent=False)");
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + c.In(layer) + " + self." + table + "[:" + PyTorchContext.T(PyTorchContext.SequenceOf(layer)) + "]");
    }
}
