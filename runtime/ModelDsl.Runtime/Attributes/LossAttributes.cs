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
}

/// <summary>Mean squared error against float targets shaped like the output.</summary>
public sealed class MseLossAttribute : LossAttribute
{
}
