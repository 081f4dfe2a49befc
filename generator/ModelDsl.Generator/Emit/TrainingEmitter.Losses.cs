using System;
using System.Collections.Generic;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// The losses' training code. A model with one unweighted loss gets its descriptor's lines as they are: the forward ends by returning
/// the mean loss. With several losses (or a weight), each descriptor writes its lines in turn while <see cref="CurrentLoss"/> names its
/// Batch member, buffers and gradient scale; the emitter turns its <c>return x;</c> into <c>__losses[i] = x;</c> (only the primary
/// loss sets <c>__rows</c>, the rows <c>Logits</c> spans) and the forward returns <c>Σ Weight · __losses[i]</c>. Each backward seeds
/// its head's gradient scaled by the loss's weight; the kernels accumulate, so two losses on one head add up.
/// </summary>
internal sealed partial class TrainingEmitter
{
    /// <summary>The trainer's array of the last forward's per-loss values (models whose objective weighs its losses).</summary>
    internal const string LossValues = "__losses";

    private TargetPlan? _currentLoss;

    /// <summary>The loss whose code is being written (its descriptor's <see cref="Losses.LossDescriptor.EmitTraining"/> is running).</summary>
    internal TargetPlan CurrentLoss => _currentLoss ?? Target;

    /// <summary>The emitted batch member of the current loss's labels or targets: <c>batch.Labels</c>, <c>batch.NspLabels</c>.</summary>
    internal string BatchTargets => "batch." + CurrentLoss.BatchMember;

    /// <summary>The trainer array the current loss's per-position labels are packed into (<c>[B, T]</c>).</summary>
    internal string PackedLabels => PackedLabelsOf(CurrentLoss);

    /// <summary>The d loss argument of the current loss's backward kernel: its weight (<c>1f</c> for a single unweighted loss).</summary>
    internal string LossScale => CurrentLoss.Weight == 1f ? "1f" : Literals.Float(CurrentLoss.Weight);

    /// <summary>The trainer array a loss's per-position labels are packed into: <c>__labels</c>, or <c>__labels_{Name}</c> with several losses.</summary>
    internal static string PackedLabelsOf(TargetPlan loss) => loss.BatchPrefix.Length == 0 ? "__labels" : "__labels_" + loss.Name;

    /// <summary>The arena name of a loss buffer: <c>loss.{name}</c>, or <c>loss.{snake_name}.{name}</c> with several losses.</summary>
    internal string LossBuffer(string name) =>
        CurrentLoss.BatchPrefix.Length == 0 ? "loss." + name : "loss." + Naming.SnakeCase(CurrentLoss.Name) + "." + name;

    /// <summary>Writes every loss after the layers (see the type's remarks).</summary>
    private void EmitLosses()
    {
        Flow primary = _outputs[Target.Layer];
        LogitsOffset = primary.Buffer.Offset;
        if (!_plan.WeighsLosses)
        {
            _layer = Target.Layer; // the loss's buffers belong to the head
            Target.Descriptor.EmitTraining(this, Target, primary);
            return;
        }

        var total = new List<string>();
        for (int i = 0; i < _plan.Losses.Count; i++)
        {
            TargetPlan loss = _plan.Losses[i];
            _currentLoss = loss;
            _layer = loss.Layer;
            int start = _forward.Count;
            _forward.Add("// Loss " + Literals.Int(i) + ", " + loss.Name + " on " + loss.Layer + " (weight " + Number(loss.Weight) + (loss == Target ? ", primary" : string.Empty) + ")");
            loss.Descriptor.EmitTraining(this, loss, _outputs[loss.Layer]);
            int returns = 0;
            for (int line = _forward.Count - 1; line > start; line--)
            {
                string text = _forward[line];
                string trimmed = text.TrimStart();
                string indent = text.Substring(0, text.Length - trimmed.Length);
                if (trimmed.StartsWith("return ", StringComparison.Ordinal))
                {
                    _forward[line] = indent + LossValues + "[" + Literals.Int(i) + "] = " + trimmed.Substring("return ".Length);
                    returns++;
                }
                else if (loss != Target && trimmed.StartsWith("__rows = ", StringComparison.Ordinal))
                {
                    _forward.RemoveAt(line);
                }
            }

            if (returns != 1)
            {
                throw new InvalidOperationException("loss " + loss.Name + " wrote " + returns + " return statements; a loss's forward lines end with exactly one");
            }

            total.Add((loss.Weight == 1f ? string.Empty : Literals.Float(loss.Weight) + " * ") + LossValues + "[" + Literals.Int(i) + "]");
        }

        _currentLoss = null;
        _forward.Add("return " + string.Join(" + ", total) + ";");
    }
}
