using System.Text;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Losses;

/// <summary>What a loss compares the head's output with, and so what the generated Batch holds for it.</summary>
internal enum LossTargets
{
    /// <summary>One class label per row (<c>[B]</c>) or per position (<c>[B, T]</c>): <c>Batch.Labels</c>, ints.</summary>
    Labels,

    /// <summary>Float values shaped like the output (<c>[B, W]</c> or <c>[B, T, W]</c>): <c>Batch.Targets</c>.</summary>
    Values,
}

/// <summary>
/// Everything the generator knows about one loss kind, in one file per kind under <c>Losses/</c> (see <c>docs/architecture.md</c>):
/// its attribute, its shape rules (diagnostics at the loss attribute), the targets it adds to the generated Batch, the emitted
/// forward and backward calls, and its PyTorch export. The stages ask the descriptor instead of switching over <see cref="LossKind"/>;
/// only <see cref="LossRegistry"/> maps kinds and attribute names to descriptors. Descriptors hold no state: one instance per kind.
/// </summary>
internal abstract class LossDescriptor
{
    /// <summary>The runtime's kernels namespace, as emitted.</summary>
    protected const string K = TrainingEmitter.K;

    /// <summary>The emitted worker pool the kernels run on.</summary>
    protected const string Pool = TrainingEmitter.Pool;

    /// <summary>The kind this descriptor describes.</summary>
    public abstract LossKind Kind { get; }

    /// <summary>The attribute's name as written, e.g. <c>CrossEntropyLoss</c>.</summary>
    public string AttributeName => Kind.ToString();

    /// <summary>The attribute class's metadata name without namespace, e.g. <c>CrossEntropyLossAttribute</c>.</summary>
    public string AttributeClassName => AttributeName + "Attribute";

    /// <summary>What the generated Batch holds for the loss (labels or float targets).</summary>
    public abstract LossTargets Targets { get; }

    /// <summary>
    /// Whether the head's output is class logits: the trainer then exposes <c>Logits</c>, accuracy and <c>IClassifierTrainer</c>, and the
    /// exports name the output <c>logits</c>; otherwise <c>Predictions</c> and <c>output</c>.
    /// </summary>
    public virtual bool IsClassifier => Targets == LossTargets.Labels;

    /// <summary>
    /// The shape rule: checks the loss against the head's output (<see cref="LossContext.Output"/>), reports each problem at the loss
    /// attribute or its argument, and returns the plan, or null when the loss cannot be planned (after reporting why).
    /// </summary>
    public abstract TargetPlan? Plan(LossContext c);

    /// <summary>
    /// Writes the loss's training code after the head's: forward lines that end by returning the mean loss (<c>__rows</c> set to the
    /// rows counted) and the backward block that seeds the head's gradient, with buffers from the trainer's arena. A model may carry
    /// several losses (<c>TrainingEmitter.Losses.cs</c>): a descriptor names its arena buffers <c>e.LossBuffer("...")</c>, reads
    /// its Batch member <c>e.BatchTargets</c> (packed per-position labels: <c>e.PackedLabels</c>) and passes <c>e.LossScale</c> as
    /// its backward kernel's d loss, so the same lines serve one loss (<c>batch.Labels</c>, <c>1f</c>) and several; its one
    /// <c>return x;</c> becomes <c>__losses[i] = x;</c> there.
    /// </summary>
    public abstract void EmitTraining(TrainingEmitter e, TargetPlan target, TrainingEmitter.Flow head);

    /// <summary>The body of the exported <c>compute_loss(output, batch)</c>: a docstring and the PyTorch expression, 4-space indented.</summary>
    public abstract void WritePyTorch(StringBuilder s, TargetPlan target);

    /// <summary>The plan every loss shares: head, per-position or per-row targets, width, and the kind's options.</summary>
    protected TargetPlan Target(LossContext c, LossOptions options, long ignoreIndex = 0)
    {
        Shape output = c.Output;
        return new TargetPlan(Kind, c.Head.Name, output.HasSequence, output.HasSequence ? output.Dims[1].Size : 0, output.Last.Size, output.Last.Named, ignoreIndex, options, output.Source);
    }

    /// <summary>The <c>max(lengths)</c> slice bound of a per-position target in the PyTorch export, or empty.</summary>
    protected static string PositionsBound(TargetPlan target) =>
        target.Source is { } source ? "int(batch[\"" + source + "Lengths\"].max())" : string.Empty;
}

/// <summary>A loss kind's resolved options (defaults applied), derived per kind; equatable like the rest of the plan.</summary>
internal abstract record LossOptions;

/// <summary>Options of a loss that has none.</summary>
internal sealed record NoLossOptions : LossOptions
{
    public static readonly NoLossOptions Instance = new();
}
