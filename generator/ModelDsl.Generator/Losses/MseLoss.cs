using System.Text;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Losses;

/// <summary>[MseLoss]: <c>F.mse_loss</c> (mean over every element) of a float head output against the batch's targets.</summary>
internal sealed class MseLoss : LossDescriptor
{
    public static readonly MseLoss Instance = new();

    private MseLoss()
    {
    }

    public override LossKind Kind { get; } = new("MseLoss");

    public override LossTargets Targets => LossTargets.Values;

    /// <summary>Any float output.</summary>
    public override TargetPlan? Plan(LossContext c)
    {
        if (!c.RequireFloat(AttributeName))
        {
            return null;
        }

        return Target(c, NoLossOptions.Instance);
    }

    /// <summary>
    /// <c>MeanSquaredError.Forward</c>/<c>Backward</c>. Per position, only the valid positions count: predictions and targets are packed
    /// (<c>__Pack</c>) to the <c>n</c> positions below each row's length, so padding neither adds to the loss nor to the count, and gets
    /// no gradient.
    /// </summary>
    public override void EmitTraining(TrainingEmitter e, TargetPlan target, Flow head) =>
        ElementwiseLoss.Emit(e, target, head, "MeanSquaredError", "mean squared error", "2 (predictions - targets)");

    /// <summary>The prelude's <c>mean_squared_error</c> (<c>F.mse_loss</c> over the valid positions).</summary>
    public override void WritePyTorch(StringBuilder s, TargetPlan target)
    {
        s.Append("    \"\"\"[MseLoss]: the mean squared error").Append(target.PerPosition ? " over the valid positions" : string.Empty).Append(".\"\"\"\n");
        s.Append(target.PerPosition
            ? "    return mean_squared_error(output, batch[\"Targets\"][:, :" + PositionsBound(target) + "], batch[\"" + target.Source + "Lengths\"])\n"
            : "    return mean_squared_error(output, batch[\"Targets\"])\n");
    }
}
