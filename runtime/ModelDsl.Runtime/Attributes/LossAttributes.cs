using System;

namespace ModelDsl;

/// <summary>
/// Base of the loss attributes; a loss sits on a head member beside its layer attribute. A model may declare several heads, each with
/// one or more losses (of different kinds); the trainer minimizes <c>Σ Weight · loss</c> (docs/dsl.md, "Several heads and losses").
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public abstract class LossAttribute : Attribute
{
    /// <summary>The loss's factor in the objective <c>Σ Weight · loss</c>: a finite number &gt; 0 (default 1).</summary>
    public float Weight { get; set; } = 1f;

    /// <summary>
    /// The loss's name when the model has several losses: it names the Batch's targets (<c>{Name}Labels</c> or <c>{Name}Targets</c>)
    /// and the loss in <c>Trainer.LossNames</c>. Default: the head member's name, or the head's name followed by the kind
    /// (<c>LogitsKLDivergence</c>) when the head carries several losses.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// The loss whose head drives <c>Logits</c>/<c>Predictions</c>, <c>Predict</c>, accuracy and the exports' output. Default: the first
    /// declared classifier loss (cross-entropy), else the first declared loss. At most one loss may say <c>Primary = true</c>.
    /// </summary>
    public bool Primary { get; set; }
}

/// <summary>Softmax cross-entropy on logits <c>[B, C]</c> (one label per row) or <c>[B, T, C]</c> (one label per position).</summary>
public sealed class CrossEntropyLossAttribute : LossAttribute
{
    /// <summary>Label smoothing in [0, 1).</summary>
    public float LabelSmoothing { get; set; }

    /// <summary>Labels equal to this value contribute nothing (PyTorch's default -100).</summary>
    public int IgnoreIndex { get; set; } = -100;

    /// <summary>
    /// Weigh each class's rows (PyTorch's <c>weight=</c>): the trainer gets <c>ClassWeights</c> (one float per class, all 1 until set,
    /// e.g. to inverse class frequencies) and the loss is the weighted mean <c>Σ w[y]·loss / Σ w[y]</c>.
    /// </summary>
    public bool ClassWeights { get; set; }
}

/// <summary>Mean squared error against float targets shaped like the output.</summary>
public sealed class MseLossAttribute : LossAttribute
{
}

/// <summary>Mean absolute error (L1, <c>F.l1_loss</c>) against float targets shaped like the output; robust to outliers.</summary>
public sealed class L1LossAttribute : LossAttribute
{
}

/// <summary>
/// Binary cross-entropy on logits (<c>F.binary_cross_entropy_with_logits</c>): every output is an independent two-class logit and its
/// target a probability in [0, 1] (multi-label heads, negative sampling). The mean is over every element.
/// </summary>
public sealed class BceWithLogitsLossAttribute : LossAttribute
{
}

/// <summary>
/// Cross-entropy against soft labels: a probability distribution over the classes per row (mixup, averaged annotations) in
/// <c>Batch.Targets</c>; <c>F.cross_entropy(logits, probabilities)</c>, mean over rows.
/// </summary>
public sealed class SoftCrossEntropyLossAttribute : LossAttribute
{
}

/// <summary>
/// Knowledge distillation (Hinton et al., 2015): KL divergence from the teacher's softened distribution (its logits given in
/// <c>Batch.Targets</c>) to the student's, <c>T² · KL(softmax(t/T) ‖ softmax(x/T))</c>, mean over rows.
/// </summary>
public sealed class KLDivergenceLossAttribute : LossAttribute
{
    /// <summary>The softening temperature T &gt; 0 (1 = the plain distributions).</summary>
    public float Temperature { get; set; } = 1f;
}
