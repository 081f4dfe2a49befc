using System;
using System.Collections.Generic;
using ModelDsl.Memory;

namespace ModelDsl;

/// <summary>
/// Handle to one layer of a generated model: its planned shapes and parameters, and views of its parameter
/// tensors in the model's parameter block. The generated partial properties return these.
/// </summary>
public abstract class Layer
{
    private readonly AlignedBlock? _parameters;

    /// <summary>Creates a handle over <paramref name="info"/>; <paramref name="parameters"/> is the model's parameter block.</summary>
    protected Layer(LayerInfo info, AlignedBlock? parameters)
    {
        Info = info ?? throw new ArgumentNullException(nameof(info));
        _parameters = parameters;
    }

    /// <summary>What the generator planned for this layer.</summary>
    public LayerInfo Info { get; }

    /// <summary>Member name.</summary>
    public string Name => Info.Name;

    /// <summary>Shape the layer reads.</summary>
    public TensorShape InputShape => Info.InputShape;

    /// <summary>Shape the layer produces.</summary>
    public TensorShape OutputShape => Info.OutputShape;

    /// <summary>The layer's parameter tensors.</summary>
    public IReadOnlyList<ParameterEntry> Parameters => Info.Parameters;

    /// <summary>
    /// The floats of the parameter named <paramref name="name"/>: its full state-dict name or the part after the
    /// layer's prefix (e.g. <c>weight</c>, <c>layers.0.linear1.bias</c>).
    /// </summary>
    public Span<float> Parameter(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_parameters is null)
        {
            throw new InvalidOperationException($"{Info.Name} has no parameter block.");
        }

        string full = Info.Path + "." + name;
        foreach (ParameterEntry entry in Info.Parameters)
        {
            if (entry.Name == name || entry.Name == full)
            {
                return _parameters.Slice(entry.Offset, entry.Length);
            }
        }

        throw new ArgumentException($"{Info.Name} has no parameter named '{name}'.", nameof(name));
    }

    /// <inheritdoc/>
    public override string ToString() => Info.ToString();
}
