using System.Text;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Losses;

/// <summary>
/// [SoftCrossEntropyLoss]: cross-entropy of class logits against a probability distribution per row in <c>Batch.Targets</c>
/// (mixup, averaged labels): <c>F.cross_entropy(logits, probabilities)</c>, mean over rows (or valid positions).
/// </summary>
internal sealed class SoftCrossEntropyLoss : LossDescriptor
{
    public static readonly SoftCrossEntropyLoss Instance = new();

    private SoftCrossEntropyLoss()
    {
    }

    public override LossKind Kind { get; } = new("SoftCrossEntropyLoss");

    public override LossTargets Targets => LossTargets.Values;

    /// <summary>A float output with at least 2 values (the classes) per row.</summary>
    public override TargetPlan? Plan(LossContext c) => c.RequireClasses(AttributeName) ? Target(c, NoLossOptions.Instance) : null;

    /// <summary><c>SoftCrossEntropy.Forward</c>/<c>Backward</c> over rows, packed over the valid positions of a sequence.</summary>
    public override void EmitTraining(TrainingEmitter e, TargetPlan target, Flow head) =>
        RowLoss.Emit(e, target, head, "SoftCrossEntropy", "cross-entropy against soft labels", "(softmax(logits) sum(targets) - targets) / rows",
            ["log_probs"], backwardReadsTargets: true, string.Empty);

    /// <summary><c>F.cross_entropy(logits, probabilities)</c> over the valid positions.</summary>
    public override void WritePyTorch(StringBuilder s, TargetPlan target) =>
        ElementwiseLoss.WritePyTorch(s, target, AttributeName + "]: cross-entropy against soft labels, mean over rows", "F.cross_entropy");
}
