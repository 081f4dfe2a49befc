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

        return Target(c, new CrossEntropyOptions(labelSmoothing, c.Bool("ClassWeights", false)), c.Int("IgnoreIndex", -100));
    }

    /// <summary><c>CrossEntropy.Forward</c> (log-softmax fused with the loss) and its backward, d logits = (softmax - smoothed one-hot) / counted rows.</summary>
    public override void EmitTraining(TrainingEmitter e, TargetPlan target, Flow head)
    {
        var o = (CrossEntropyOptions)target.Options;
        float smoothing = o.LabelSmoothing;
        Buffer logits = head.Buffer;
        string rows = TrainingEmitter.Rows(head.Sequence);
        string classes = Literals.Int(head.Width);
        Buffer logProbs = e.Alloc(e.LossBuffer("log_probs"), head.Sequence, head.Width);
        string labels = head.Sequence is not null ? TrainingEmitter.Span(e.PackedLabels, rows) : TrainingEmitter.Span(e.BatchTargets, "B");
        string options = Literals.Float(smoothing) + ", " + Literals.Int(target.IgnoreIndex);
        if (o.ClassWeights)
        {
            EmitWeighted(e, target, head, logProbs, labels, options);
            return;
        }

        e.ForwardLines.Add("// Loss: cross-entropy over " + rows + " rows of " + classes + " classes, label smoothing " + TrainingEmitter.Number(smoothing)
            + ", ignore index " + Literals.Int(target.IgnoreIndex));
        e.ForwardLines.Add("__rows = " + rows + ";");
        e.ForwardLines.Add("return " + K + "CrossEntropy.Forward(" + logProbs.A + ", " + logits.A + ", " + labels + ", " + rows + ", " + classes + ", " + options + ", " + Pool + ");");
        e.AddBackward(
        [
            "// Loss: d logits = (softmax - smoothed one-hot) / counted rows",
            K + "CrossEntropy.Backward(" + logits.D + ", " + e.LossScale + ", " + logProbs.A + ", " + labels + ", " + rows + ", " + classes + ", " + options + ", " + Pool + ");",
        ]);
    }

    /// <summary>
    /// ClassWeights: the trainer's public <c>ClassWeights</c> table (filled with 1) and <c>CrossEntropy.WeightedForward</c>/<c>WeightedBackward</c>,
    /// PyTorch's weighted mean.
    /// </summary>
    private static void EmitWeighted(TrainingEmitter e, TargetPlan target, Flow head, Buffer logProbs, string labels, string options)
    {
        string rows = TrainingEmitter.Rows(head.Sequence), classes = Literals.Int(head.Width);
        string weights = TrainingEmitter.Span(WeightsField, classes);
        e.Tables.Add(new TrainingEmitter.TrainerTable(WeightsField, head.Width, "global::System.Array.Fill(" + WeightsField + ", 1f);")
        {
            PublicSummary = "[CrossEntropyLoss(ClassWeights = true)]: the weight of each class's rows (PyTorch's <c>weight=</c>), <c>[" + classes
                + "]</c>, all 1 until set; each finite and at least 0.",
        });
        e.ForwardLines.Add("// Loss: class-weighted cross-entropy over " + rows + " rows of " + classes + " classes (weighted mean), label smoothing "
            + TrainingEmitter.Number(((CrossEntropyOptions)target.Options).LabelSmoothing) + ", ignore index " + Literals.Int(target.IgnoreIndex));
        e.ForwardLines.Add("__rows = " + rows + ";");
        e.ForwardLines.Add("return " + K + "CrossEntropy.WeightedForward(" + logProbs.A + ", " + head.Buffer.A + ", " + labels + ", " + weights + ", " + rows + ", "
            + classes + ", " + options + ", " + Pool + ");");
        e.AddBackward(
        [
            "// Loss: d logits of the weighted mean, w_t (p - smoothed one-hot) / Σ w",
            K + "CrossEntropy.WeightedBackward(" + head.Buffer.D + ", " + e.LossScale + ", " + logProbs.A + ", " + labels + ", " + weights + ", " + rows + ", " + classes + ", " + options + ");",
        ]);
    }

    private const string WeightsField = "ClassWeights";

    /// <summary>
    /// The prelude's <c>cross_entropy</c> (<c>F.cross_entropy</c> over the valid positions); with ClassWeights, <c>F.cross_entropy</c> with
    /// <c>weight=</c> the module's <c>CLASS_WEIGHTS</c> (set it to the trainer's <c>ClassWeights</c>; None means all 1).
    /// </summary>
    public override void WritePyTorch(StringBuilder s, TargetPlan target)
    {
        var o = (CrossEntropyOptions)target.Options;
        float smoothing = o.LabelSmoothing;
        if (o.ClassWeights)
        {
            s.Append("    \"\"\"[CrossEntropyLoss(ClassWeights = true)]: weighted mean with weight=CLASS_WEIGHTS (the trainer's ClassWeights), label smoothing ")
                .Append(PyTorchContext.Float(smoothing)).Append(", ignore index ").Append(PyTorchContext.Int(target.IgnoreIndex)).Append(".\"\"\"\n");
            s.Append("    labels = batch[\"Labels\"]").Append(target.PerPosition ? "[:, :" + PositionsBound(target) + "]" : string.Empty).Append('\n');
            s.Append("    weight = None if CLASS_WEIGHTS is None else torch.tensor(CLASS_WEIGHTS, dtype=output.dtype)\n");
            s.Append("    return F.cross_entropy(output.reshape(-1, output.shape[-1]), labels.reshape(-1), weight=weight, ignore_index=")
                .Append(PyTorchContext.Int(target.IgnoreIndex)).Append(", label_smoothing=").Append(PyTorchContext.Float(smoothing)).Append(")\n\n\n");
            s.Append("CLASS_WEIGHTS = None  # [CrossEntropyLoss(ClassWeights = true)]: a list of ").Append(PyTorchContext.Int(target.Width))
                .Append(" floats, the trainer's ClassWeights (None: all 1)\n");
            return;
        }

        s.Append("    \"\"\"[CrossEntropyLoss]: label smoothing ").Append(PyTorchContext.Float(smoothing)).Append(", ignore index ")
            .Append(PyTorchContext.Int(target.IgnoreIndex)).Append(".\"\"\"\n");
        s.Append("    labels = batch[\"Labels\"]").Append(target.PerPosition ? "[:, :" + PositionsBound(target) + "]" : string.Empty).Append('\n');
        s.Append("    return cross_entropy(output, labels, ").Append(PyTorchContext.Int(target.IgnoreIndex)).Append(", ")
            .Append(PyTorchContext.Float(smoothing)).Append(")\n");
    }
}

/// <summary>[CrossEntropyLoss]'s options beyond the ignore index (which the Batch also reads).</summary>
/// <param name="ClassWeights">The trainer has a <c>ClassWeights</c> table and the loss is their weighted mean.</param>
internal sealed record CrossEntropyOptions(float LabelSmoothing, bool ClassWeights) : LossOptions;
