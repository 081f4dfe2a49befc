using System;

namespace ModelDsl;

/// <summary>Base of the loss attributes; a loss sits on the model's last layer beside its layer attribute.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public abstract class LossAttribute : Attribute
{
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
