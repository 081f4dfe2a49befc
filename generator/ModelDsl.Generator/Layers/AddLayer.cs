using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Layers;

/// <summary>[Add(nameof(A), nameof(B))]: the element-wise sum of two members of one shape (token + position embeddings); <c>a + b</c>.</summary>
internal sealed class AddLayer : AddOrConcatLayer
{
    public static readonly AddLayer Instance = new();

    private AddLayer()
    {
    }

    public override LayerKind Kind { get; } = new("Add");

    protected override bool SameWidth => true;

    public override string? OnnxUnsupported(LayerPlan layer) => null;

    /// <summary>One ONNX <c>Add</c> node.</summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title)
    {
        OnnxFlow a = c.SourceOf(layer), b = c.FlowOf(layer.Options.Memory!);
        c.Line(title);
        c.Line("g.Add(" + OnnxContext.Quote(layer.Path) + ", " + OnnxContext.Quote(a.Value) + ", " + OnnxContext.Quote(b.Value) + ");");
        return a with { Value = layer.Path };
    }

    /// <summary><c>Sum.Forward</c>; the backward hands d output to both inputs (a batch input takes none).</summary>
    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        (Flow a, Flow b) = Inputs(e, layer);
        Buffer output = e.Alloc(layer.Path + ".output", a.Sequence, a.Width);
        string count = TrainingEmitter.Rows(a.Sequence) + " * " + Literals.Int(a.Width);
        e.ForwardLines.Add(title);
        e.ForwardLines.Add(K + "Sum.Forward(" + output.A + ", " + a.Buffer.A + ", " + b.Buffer.A + ", " + count + ");");
        e.AddBackward([title, K + "Sum.Backward(" + a.Buffer.OptionalD + ", " + b.Buffer.OptionalD + ", " + output.D + ", " + count + ");"]);
        return new Flow(output, a.Sequence, a.Width);
    }

    /// <summary><c>a + b</c>.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer) =>
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + c.In(layer) + " + " + PyTorchContext.Out(c.Layer(layer.Options.Memory!)));
}
