using System;
using System.Collections.Generic;

namespace ModelDsl;

/// <summary>What the generator planned for one declared layer: names, shapes, parameters and cost.</summary>
public sealed class LayerInfo
{
    private readonly ParameterEntry[] _parameters;

    /// <summary>Creates the description of a layer.</summary>
    /// <param name="name">Member name, e.g. <c>Encoder</c>.</param>
    /// <param name="path">State-dict prefix, e.g. <c>encoder</c>.</param>
    /// <param name="kind">Attribute that declared it, e.g. <c>TransformerEncoder</c>.</param>
    /// <param name="inputShape">Shape it reads (an input's own shape for inputs).</param>
    /// <param name="outputShape">Shape it produces.</param>
    /// <param name="parameters">Its parameter tensors (a tied weight appears with its owner's offset).</param>
    /// <param name="parameterCount">Floats it owns (tied weights excluded).</param>
    /// <param name="flops">Forward floating-point operations per example at the maximum lengths (matrix products).</param>
    public LayerInfo(string name, string path, string kind, TensorShape inputShape, TensorShape outputShape, ParameterEntry[] parameters, long parameterCount, long flops)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Path = path ?? throw new ArgumentNullException(nameof(path));
        Kind = kind ?? throw new ArgumentNullException(nameof(kind));
        InputShape = inputShape ?? throw new ArgumentNullException(nameof(inputShape));
        OutputShape = outputShape ?? throw new ArgumentNullException(nameof(outputShape));
        _parameters = (ParameterEntry[])(parameters ?? throw new ArgumentNullException(nameof(parameters))).Clone();
        ParameterCount = parameterCount;
        Flops = flops;
    }

    /// <summary>Member name.</summary>
    public string Name { get; }

    /// <summary>State-dict prefix.</summary>
    public string Path { get; }

    /// <summary>Attribute that declared the layer.</summary>
    public string Kind { get; }

    /// <summary>Shape it reads.</summary>
    public TensorShape InputShape { get; }

    /// <summary>Shape it produces.</summary>
    public TensorShape OutputShape { get; }

    /// <summary>Its parameter tensors.</summary>
    public IReadOnlyList<ParameterEntry> Parameters => _parameters;

    /// <summary>Floats it owns.</summary>
    public long ParameterCount { get; }

    /// <summary>Forward floating-point operations per example at the maximum lengths.</summary>
    public long Flops { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Kind}): {InputShape} -> {OutputShape}, {ParameterCount} parameters";
}
