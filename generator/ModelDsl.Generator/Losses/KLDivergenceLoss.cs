using System.Text;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;

namespace ModelDsl.Generator.Losses;

/// <summary>
/// [KLDivergenceLoss(Temperature = T)]: knowledge distillation's soft-target loss (Hinton et al., 2015), the teacher's logits given in
/// <c>Batch.Targets</c>: exactly PyTorch's
/// <c>F.kl_div(F.log_softmax(x / T, -1), F.log_softmax(t / T, -1), reduction="batchmean", log_target=True) * T * T</c>
/// (mean over rows, or over the valid positions).
/// </summary>
internal sealed class KLDivergenceLoss : LossDescriptor
{
    public static readonly KLDivergenceLoss Instance = new();

    private KLDivergenceLoss()
    {
    }

    public override LossKind Kind { get; } = new("KLDivergenceLoss");

    public override LossTargets Targets => LossTargets.Values;

    /// <summary>A float output with at least 2 classes per row; Temperature a finite number &gt; 0.</summary>
    public override TargetPlan? Plan(LossContext c)
    {
        float temperature = c.Float("Temperature", 1f);
        return c.RequireClasses(AttributeName)
            && c.CheckRange("Temperature", temperature, temperature > 0f && !float.IsInfinity(temperature), "a finite number > 0")
            ? Target(c, new KLDivergenceOptions(temperature))
            : null;
    }

    /// <summary><c>KLDivergence.Forward</c>/<c>Backward</c> over rows, packed over the valid positions of a sequence.</summary>
    public override void EmitTraining(TrainingEmitter e, TargetPlan target, Flow head)
    {
        float temperature = ((KLDivergenceOptions)target.Options).Temperature;
        RowLoss.Emit(e, target, head, "KLDivergence", "T² KL(softmax(teacher / T) || softmax(logits / T)), T = " + TrainingEmitter.Number(temperature),
            "T (softmax(logits / T) - softmax(teacher / T)) / rows", ["log_probs", "teacher_log_probs"], backwardReadsTargets: false, ", " + Literals.Float(temperature));
    }

    /// <summary>The distillation expression above, over the valid positions.</summary>
    public override void WritePyTorch(StringBuilder s, TargetPlan target)
    {
        string t = PyTorchContext.Float(((KLDivergenceOptions)target.Options).Temperature);
        ElementwiseLoss.WritePyTorch(s, target, AttributeName + "]: T^2 KL(softmax(teacher / T) || softmax(student / T)), T = " + t,
            "lambda x, q: F.kl_div(F.log_softmax(x / " + t + ", -1), F.log_softmax(q / " + t + ", -1), reduction=\"batchmean\", log_target=True) * " + t + " * " + t);
    }
}

/// <summary>[KLDivergenceLoss]'s options: the softening temperature.</summary>
internal sealed record KLDivergenceOptions(float Temperature) : LossOptions;
