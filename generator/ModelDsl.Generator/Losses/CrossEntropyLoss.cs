using System.Text;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Losses;

/// <summary>
/// [CrossEntropyLoss(LabelSmoothing, IgnoreIndex)]: softmax cross-entropy of class logits against one label per row or position,
/// <c>F.cross_entropy(logits, labels, ignore_index=..., label_smoothing=...)</c> (mean over the counted rows).
/// </summary>
internal sealed class CrossEntropyLoss : LossDescriptor
{
    public static readonly CrossEntropyLoss Instance = new();

    private CrossEntropyLoss()
    {
    }

    public override LossKind Kind { get; } = new("CrossEntropyLoss");

    public override LossTargets Targets => LossTargets.Labels;

    /// <summary>A [Dense] head with at least 2 units (the classes); LabelSmoothing in [0, 1); the decoded vocabulary, if any, matches.</summary>
    public override TargetPlan? Plan(LossContext c)
    {
        Shape output = c.Output;
        bool classifier = c.HeadDescriptor.IsClassifierHead;
        if (!classifier || output.Last.Size < 2)
        {
            string why = !classifier
                ? "'" + c.Head.Name + "' is [" + KnownNames.AttributeName(c.Head.Kind) + "] producing " + output.Named
                : "'" + c.Head.Name + "' has Units " + output.Last.Named;
            c.Mismatch("[" + AttributeName + "] needs a [Dense] head with at least 2 units (the classes), but " + why);
            return null;
        }

        float labelSmoothing = c.Float("LabelSmoothing", 0f);
        if (!c.CheckRange("LabelSmoothing", labelSmoothing, !float.IsNaN(labelSmoothing) && labelSmoothing >= 0f && labelSmoothing < 1f, "in [0, 1)")
            || !c.CheckDecodedVocabulary())
        {
            return null;
        }

        return Target(c, new CrossEntropyOptions(labelSmoothing), c.Int("IgnoreIndex", -100));
    }

    /// <summary><c>CrossEntropy.Forward</c> (log-softmax fused with the loss) and its backward, d logits = (softmax - smoothed one-hot) / counted rows.</summary>
    public override void EmitTraining(TrainingEmitter e, TargetPlan target, Flow head)
    {
        float smoothing = ((CrossEntropyOptions)target.Options).LabelSmoothing;
        Buffer logits = head.Buffer;
        string rows = TrainingEmitter.Rows(head.Sequence);
        string classes = Literals.Int(head.Width);
        Buffer logProbs = e.Alloc("loss.log_probs", head.Sequence, head.Width);
        string labels = head.Sequence is not null ? TrainingEmitter.Span("__labels", rows) : TrainingEmitter.Span("batch.Labels", "B");
        string options = Literals.Float(smoothing) + ", " + Literals.Int(target.IgnoreIndex);
        e.ForwardLines.Add("// Loss: cross-entropy over " + rows + " rows of " + classes + " classes, label smoothing " + TrainingEmitter.Number(smoothing)
            + ", ignore index " + Literals.Int(target.IgnoreIndex));
        e.ForwardLines.Add("__rows = " + rows + ";");
        e.ForwardLines.Add("return " + K + "CrossEntropy.Forward(" + logProbs.A + ", " + logits.A + ", " + labels + ", " + rows + ", " + classes + ", " + options + ", " + Pool + ");");
        e.AddBackward(
        [
            "// Loss: d logits = (softmax - smoothed one-hot) / counted rows",
            K + "CrossEntropy.Backward(" + logits.D + ", 1f, " + logProbs.A + ", " + labels + ", " + rows + ", " + classes + ", " + options + ", " + Pool + ");",
        ]);
    }

    /// <summary>The prelude's <c>cross_entropy</c> (<c>F.cross_entropy</c> over the valid positions).</summary>
    public override void WritePyTorch(StringBuilder s, TargetPlan target)
    {
        float smoothing = ((CrossEntropyOptions)target.Options).LabelSmoothing;
        s.Append("    \"\"\"[CrossEntropyLoss]: label smoothing ").Append(PyTorchContext.Float(smoothing)).Append(", ignore index ")
            .Append(PyTorchContext.Int(target.IgnoreIndex)).Append(".\"\"\"\n");
        s.Append("    labels = batch[\"Labels\"]").Append(target.PerPosition ? "[:, :" + PositionsBound(target) + "]" : string.Empty).Append('\n');
        s.Append("    return cross_entropy(output, labels, ").Append(PyTorchContext.Int(target.IgnoreIndex)).Append(", ")
            .Append(PyTorchContext.Float(smoothing)).Append(")\n");
    }
}

/// <summary>[CrossEntropyLoss]'s options beyond the ignore index (which the Batch also reads).</summary>
internal sealed record CrossEntropyOptions(float LabelSmoothing) : LossOptions;
