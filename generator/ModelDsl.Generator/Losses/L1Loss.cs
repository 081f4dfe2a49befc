using System.Text;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Losses;

/// <summary>[L1Loss]: <c>F.l1_loss</c> (mean absolute error over every element) of a float head output against the batch's targets.</summary>
internal sealed class L1Loss : LossDescriptor
{
    public static readonly L1Loss Instance = new();

    private L1Loss()
    {
    }

    public override LossKind Kind { get; } = new("L1Loss");

    public override LossTargets Targets => LossTargets.Values;

    /// <summary>Any float output.</summary>
    public override TargetPlan? Plan(LossContext c) => c.RequireFloat(AttributeName) ? Target(c, NoLossOptions.Instance) : null;

    /// <summary><c>MeanAbsoluteError.Forward</c>/<c>Backward</c>, packed over the valid positions of a sequence.</summary>
    public override void EmitTraining(TrainingEmitter e, TargetPlan target, Flow head) =>
        ElementwiseLoss.Emit(e, target, head, "MeanAbsoluteError", "mean absolute error", "sign(predictions - targets)");

    /// <summary><c>F.l1_loss</c> over the valid positions.</summary>
    public override void WritePyTorch(StringBuilder s, TargetPlan target) =>
        ElementwiseLoss.WritePyTorch(s, target, AttributeName + "]: the mean absolute error", "F.l1_loss");
}
