using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>The trainer's per-loss values, for a model whose objective weighs several losses (docs/dsl.md, "Several heads and losses").</summary>
internal sealed partial class ModelEmitter
{
    /// <summary><c>LossNames</c> and <c>LastLosses</c> overrides when <see cref="ModelPlan.WeighsLosses"/>; nothing otherwise.</summary>
    private void WriteLossValues(SourceWriter writer)
    {
        if (!_plan.WeighsLosses)
        {
            return;
        }

        var names = new System.Collections.Generic.List<string>();
        var terms = new System.Collections.Generic.List<string>();
        foreach (TargetPlan loss in _plan.Losses)
        {
            names.Add(Literals.String(loss.Name));
            terms.Add(Literals.Float(loss.Weight) + " · " + loss.Name);
        }

        writer.Line("private static readonly string[] __lossNames = [" + string.Join(", ", names) + "];");
        writer.Line();
        writer.Line("/// <summary>The losses, in declaration order; <see cref=\"Step\"/> returns " + string.Join(" + ", terms) + ".</summary>");
        writer.Line("public override global::System.Collections.Generic.IReadOnlyList<string> LossNames => __lossNames;");
        writer.Line();
        writer.Line("/// <summary>Each loss's mean over the last forward pass, unweighted, in <see cref=\"LossNames\"/> order.</summary>");
        writer.Line("public override global::System.ReadOnlySpan<float> LastLosses => " + TrainingEmitter.LossValues + ";");
        writer.Line();
    }
}
