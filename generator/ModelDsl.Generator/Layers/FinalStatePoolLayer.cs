using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [FinalStatePool]: the final state of a [RecurrentEncoder]'s last layer in PyTorch's <c>h_n</c> layout, <c>[B, T, 2H]</c> to
/// <c>[B, 2H]</c> (<c>torch.cat([h_n[-2], h_n[-1]], -1)</c>) or <c>[B, T, H]</c> to <c>[B, H]</c>: the forward half at the row's last
/// valid position, the reverse half at position 0. It reads a recurrent encoder directly (MDSL1010 otherwise).
/// </summary>
internal sealed class FinalStatePoolLayer : PoolLayer
{
    public static readonly FinalStatePoolLayer Instance = new();

    private FinalStatePoolLayer()
    {
    }

    public override LayerKind Kind { get; } = new("FinalStatePool");

    /// <summary>Not a <c>PoolingKind</c>: the layer emits its own kernel, <c>FinalStatePooling</c>.</summary>
    public override string PoolingKind => "Last";

    protected override string Details => "final state of each direction (h_n)";

    protected override bool CheckSource(LayerContext c)
    {
        if (c.TryFind(c.From, out int index) && c.LayerAt(index).Kind == RecurrentEncoderLayer.Instance.Kind)
        {
            return true;
        }

        c.Report(DiagnosticDescriptors.InputKindMismatch, c.Layer.AttributeLocation, c.Layer.Name, AttributeName,
            "the output of a [RecurrentEncoder] ([B, T, H] or, bidirectional, [B, T, 2H])", c.From, c.Input.Named);
        return false;
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        Sequence sequence = from.Sequence!;
        long width = from.Width;
        LayerPlan encoder = e.LayerNamed(layer.Options.Source!);
        long directions = encoder.OptionsOf<RecurrentEncoderOptions>().Bidirectional ? 2 : 1;
        string dims = sequence.Lengths + ", B, " + sequence.T + ", " + Literals.Int(width / directions) + ", " + Literals.Int(directions);
        Buffer output = e.Alloc(layer.Path + ".output", null, width);
        e.ForwardLines.Add(title);
        e.ForwardLines.Add(K + "FinalStatePooling.Forward(" + output.A + ", " + from.Buffer.A + ", " + dims + ");");
        e.AddBackward(
        [
            title,
            K + "FinalStatePooling.Backward(" + from.Buffer.D + ", " + output.D + ", " + dims + ");",
        ]);
        return new Flow(output, null, width);
    }
}
