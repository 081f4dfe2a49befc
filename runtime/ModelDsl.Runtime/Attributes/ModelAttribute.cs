using System;

namespace ModelDsl;

/// <summary>
/// Marks a <c>partial</c> class as a model: the ModelDsl generator reads its layer properties in
/// declaration order, checks their shapes and emits the layout, the batch type and the training code.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ModelAttribute : Attribute
{
    /// <summary>Largest batch the model is planned for; every buffer is sized for it. Required, at least 1.</summary>
    public int MaxBatch { get; set; }
}
