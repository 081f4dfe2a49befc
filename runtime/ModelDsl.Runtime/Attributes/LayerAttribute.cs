using System;

namespace ModelDsl;

/// <summary>Base of every layer attribute: a layer reads the previous member's output unless <see cref="From"/> names another.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public abstract class LayerAttribute : Attribute
{
    /// <summary>Name of an earlier member whose output this layer reads (use <c>nameof</c>); null means the previous member.</summary>
    public string? From { get; set; }
}
