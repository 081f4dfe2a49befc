using System.Text;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Losses;

/// <summary>
/// [BceWithLogitsLoss]: <c>F.binary_cross_entropy_with_logits</c> (mean over every element): each output value is an independent
/// two-class logit, its target a probability in [0, 1] in <c>Batch.Targets</c> (multi-label heads, negative sampling).
/// </summary>
internal sealed class BceWithLogitsLoss : LossDescriptor
{
    public static readonly BceWithLogitsLoss Instance = new();

    private BceWithLogitsLoss()
    {
    }

    public override LossKind Kind { get; } = new("BceWithLogitsLoss");

    public override LossTargets Targets => LossTargets.Values;

    /// <summary>Any float output.</summary>
    public override TargetPlan? Plan(LossContext c) => c.RequireFloat(AttributeName) ? Target(c, NoLossOptions.Instance) : null;

    /// <summary><c>BinaryCrossEntropyWithLogits.Forward</c>/<c>Backward</c>, packed over the valid positions of a sequence.</summary>
    public override void EmitTraining(TrainingEmitter e, TargetPlan target, Flow head) =>
        ElementwiseLoss.Emit(e, target, head, "BinaryCrossEntropyWithLogits", "binary cross-entropy on logits", "(sigmoid(logits) - targets)");

    /// <summary><c>F.binary_cross_entropy_with_logits</c> over the valid positions.</summary>
    public override void WritePyTorch(StringBuilder s, TargetPlan target) =>
        ElementwiseLoss.WritePyTorch(s, target, AttributeName + "]: binary cross-entropy on logits", "F.binary_cross_entropy_with_logits");
}
