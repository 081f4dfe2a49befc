using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Layers;

/// <summary>[Concat(nameof(A), nameof(B))]: the two members' features side by side, <c>torch.cat([a, b], dim=-1)</c>.</summary>
internal sealed class ConcatLayer : AddOrConcatLayer
{
    public static readonly ConcatLayer Instance = new();

    private ConcatLayer()
    {
    }

    public override LayerKind Kind { get; } = new("Concat");

    protected override bool SameWidth => false;

    public override string? OnnxUnsupported(LayerPlan layer) => "no ONNX Concat node is written yet";

    /// <summary>
    /// The runtime's <c>Concat</c> pair over rows; an input that takes no gradient (a batch input) gets its part of the gradient in a
    /// discarded arena buffer.
    /// </summary>
    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        (Flow a, Flow b) = Inputs(e, layer);
        long width = a.Width + b.Width;
        Buffer output = e.Alloc(layer.Path + ".output", a.Sequence, width);
        string rows = TrainingEmitter.Rows(a.Sequence), widths = Literals.Int(a.Width) + ", " + Literals.Int(b.Width);
        string dA = a.Buffer.Constant ? e.Alloc(layer.Path + ".discarded_gradient_a", a.Sequence, a.Width).D : a.Buffer.D;
        string dB = b.Buffer.Constant ? e.Alloc(layer.Path + ".discarded_gradient_b", b.Sequence, b.Width).D : b.Buffer.D;
        e.ForwardLines.Add(title);
        e.ForwardLines.Add(K + "Concat.Forward(" + output.A + ", " + a.Buffer.A + ", " + b.Buffer.A + ", " + rows + ", " + widths + ");");
        e.AddBackward([title, K + "Concat.Backward(" + dA + ", " + dB + ", " + output.D + ", " + rows + ", " + widths + ");"]);
        return new Flow(output, a.Sequence, width);
    }

    /// <summary><c>torch.cat([a, b], dim=-1)</c>.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer) =>
        c.Forward.Add(PyTorchContext.Out(layer) + " = torch.cat([" + c.In(layer) + ", " + PyTorchContext.Out(c.Layer(layer.Options.Memory!)) + "], dim=-1)");
}
