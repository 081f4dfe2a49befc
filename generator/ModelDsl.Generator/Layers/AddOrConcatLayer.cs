using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Planning;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// The merge layers' shared shape rule: <c>[Add(nameof(A), nameof(B))]</c> and <c>[Concat(nameof(A), nameof(B))]</c> read two earlier
/// members, the first as the layer's source (<c>From</c>) and the second as its memory (<c>Other</c>, so wiring, diagrams and
/// unused-output checks see both). Both must be float, of one rank, over the same sequence if any; Add also needs one width.
/// Problems are MDSL1012 at the <c>Other</c> argument, naming both shapes.
/// </summary>
internal abstract class AddOrConcatLayer : LayerDescriptor
{
    public override string HandleType => "MergeLayer";

    /// <summary>Whether both inputs must have the same width (Add) rather than any (Concat).</summary>
    protected abstract bool SameWidth { get; }

    public override void Plan(LayerContext c)
    {
        if (c.Layer.Text("Other") is not { } otherName)
        {
            return; // the constructor argument did not bind: the compiler reports it
        }

        int other = c.Resolve("Other", otherName);
        if (other < 0 || c.OutputOf(other) is not { } b)
        {
            return; // reported, or the other member failed
        }

        Shape a = c.Input;
        string? problem =
            a.Tokens || b.Tokens ? "both must be float outputs (embed token ids first)"
            : a.Rank != b.Rank || a.HasSequence != b.HasSequence ? "both need the same rank (a sequence merges only with a sequence)"
            : a.HasSequence && a.Source != b.Source ? "their sequences follow different inputs ('" + a.Source + "' and '" + b.Source + "'), with their own lengths"
            : SameWidth && a.Last.Size != b.Last.Size ? "[" + AttributeName + "] needs one width, but they are " + a.Last.Named + " and " + b.Last.Named
            : null;
        if (problem is not null)
        {
            c.Report(DiagnosticDescriptors.MergeMismatch, c.At("Other"), c.Layer.Name, AttributeName, c.From, a.Named, otherName, b.Named, problem);
            return;
        }

        c.SetMemory(otherName);
        Shape output = SameWidth
            ? a
            : a.WithLast(new Dim(a.Last.Name is { } left && b.Last.Name is { } right ? left + " + " + right : null, a.Last.Size + b.Last.Size, DimKind.Static));
        c.Complete(output, [], [("output", output)], SameWidth ? output.MaxElements : 0, c.From + (SameWidth ? " + " : " ++ ") + otherName);
    }

    /// <summary>The two flows the layer reads: its source and the <c>Other</c> member.</summary>
    protected static (Flow A, Flow B) Inputs(TrainingEmitter e, LayerPlan layer) => (e.SourceOf(layer), e.FlowOf(layer.Options.Memory!));

    public override string? PyTorchUnsupported(LayerPlan layer) => null;
}
