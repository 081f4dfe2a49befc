using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Threading;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>
/// Shape inference, validation and memory planning: a pure function of the <see cref="ModelSpec"/>.
/// Each layer's checks live in its descriptor (<c>Layers/</c>); layouts in <c>ModelPlanner.Layout.cs</c>.
/// </summary>
internal sealed partial class ModelPlanner
{
    /// <summary>Elements one tensor may have (1 GiB of floats); larger declarations are reported, not planned.</summary>
    public const long MaxTensorElements = 1L << 28;

    /// <summary>Floats one block may hold (offsets are <c>int</c>).</summary>
    public const long MaxBlockElements = int.MaxValue;

    private readonly ModelSpec _spec;
    private readonly CancellationToken _cancellationToken;
    private readonly ImmutableArray<DiagnosticInfo>.Builder _diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
    private readonly Dictionary<string, int> _indexByName = new(StringComparer.Ordinal);
    private readonly Shape?[] _outputs;
    private readonly LayerPlan?[] _layers;
    private readonly List<PendingParameter> _parameters = [];
    private readonly List<PendingParameter> _state = [];
    private readonly List<(int Layer, string Name, Shape Shape)> _activations = [];
    private readonly List<InputPlan> _inputs = [];
    private readonly List<DimConstant> _dims = [];
    private readonly HashSet<string> _graphSources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _vocabBySource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _vocabDisplayBySource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _sequenceNames = new(StringComparer.Ordinal);

    /// <summary>Each sequence input's length variable in generated code (<c>T</c>, or <c>T</c> + the input's name).</summary>
    private readonly Dictionary<string, string> _sequenceVariables = new(StringComparer.Ordinal);
    private readonly Dictionary<int, string?> _sourceNames = [];
    private readonly Dictionary<int, string> _memoryNames = [];

    private ModelPlanner(ModelSpec spec, CancellationToken cancellationToken)
    {
        _spec = spec;
        _cancellationToken = cancellationToken;
        _outputs = new Shape?[spec.Layers.Count];
        _layers = new LayerPlan?[spec.Layers.Count];
    }

    private int MaxBatch => _spec.MaxBatch;

    /// <summary>Plans <paramref name="spec"/>; an unexpected exception becomes MDSL9001 (cancellation propagates).</summary>
    public static ModelPlan Plan(ModelSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            return new ModelPlanner(spec, cancellationToken).Run();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var diagnostics = spec.Diagnostics.AsImmutableArray().Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.InternalError, spec.ClassLocation, spec.ClassName, exception.GetType().Name + ": " + exception.Message));
            return Invalid(spec, diagnostics.ToEquatableArray());
        }
    }

    private static ModelPlan Invalid(ModelSpec spec, EquatableArray<DiagnosticInfo> diagnostics) => new(
        spec.Namespace,
        spec.ClassName,
        spec.CanEmit,
        false,
        spec.MaxBatch,
        EquatableArray<LayerPlan>.Empty,
        EquatableArray<InputPlan>.Empty,
        null,
        EquatableArray<DimConstant>.Empty,
        Stubs(spec),
        0,
        0,
        0,
        0,
        0,
        diagnostics);

    private static EquatableArray<PropertyPlan> Stubs(ModelSpec spec)
    {
        var stubs = new List<PropertyPlan>();
        if (spec.CanEmit)
        {
            foreach (LayerSpec layer in spec.Layers)
            {
                if (layer.Implementable && layer.PropertyType is not null)
                {
                    stubs.Add(new PropertyPlan(layer.Name, layer.Modifiers, layer.PropertyType, -1));
                }
            }
        }

        return stubs.ToEquatableArray();
    }

    private ModelPlan Run()
    {
        _diagnostics.AddRange(_spec.Diagnostics);
        if (!_spec.CanEmit || _spec.HasBrokenAttributes)
        {
            // The compiler reports the broken attribute; shape checks on half-bound arguments would only add noise.
            return Invalid(_spec, _diagnostics.ToEquatableArray());
        }

        if (_spec.MaxBatch < 1 && _spec.MaxBatchLocation is not null && HasMaxBatchArgument())
        {
            Report(DiagnosticDescriptors.ArgumentOutOfRange, _spec.MaxBatchLocation, _spec.ClassName, "MaxBatch", _spec.MaxBatch, "at least 1");
        }
        else if (_spec.MaxBatch > MaxTensorElements && _spec.MaxBatchLocation is not null)
        {
            // Reported where it was written: every buffer would be too large, the inputs' first.
            Report(DiagnosticDescriptors.ArgumentOutOfRange, _spec.MaxBatchLocation, _spec.ClassName, "MaxBatch", _spec.MaxBatch,
                "at most " + MaxTensorElements.ToString("N0", CultureInfo.InvariantCulture) + " (the per-tensor limit)");
            return Invalid(_spec, _diagnostics.ToEquatableArray());
        }

        for (int i = 0; i < _spec.Layers.Count; i++)
        {
            _indexByName[_spec.Layers[i].Name] = i;
        }

        NameSequences();
        CheckPrefixes();
        for (int i = 0; i < _spec.Layers.Count; i++)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (_spec.MaxBatch >= 1)
            {
                PlanLayer(i);
            }
        }

        if (_inputs.Count == 0 && _spec.MaxBatch >= 1 && !HasInputDeclaration() && !HasErrors())
        {
            Report(DiagnosticDescriptors.NoInput, _spec.ClassLocation, _spec.ClassName, "the model declares no [Input]; add one, e.g. [Input(Length)] public partial TokenInput Text { get; }");
        }

        TargetPlan? target = PlanLoss();
        CheckWiring();
        return Finish(target);
    }

    private bool HasMaxBatchArgument() => !System.Linq.Enumerable.Any(_diagnostics, d => d.Descriptor.Id == DiagnosticDescriptors.MissingMaxBatch.Id);

    private bool HasInputDeclaration()
    {
        foreach (LayerSpec layer in _spec.Layers)
        {
            if (LayerRegistry.Find(layer.Kind) is { IsInput: true })
            {
                return true;
            }
        }

        return false;
    }

    internal void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] arguments) =>
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    /// <summary>
    /// One sequence input is "T"; several are named after their length constant (or T1, T2...) in diagnostics, and
    /// "T" + the input's name in generated code.
    /// </summary>
    private void NameSequences()
    {
        var sequenceInputs = new List<LayerSpec>();
        foreach (LayerSpec layer in _spec.Layers)
        {
            if (LayerRegistry.Find(layer.Kind) is { IsInput: true } && layer.Int("MaxLength", 0) > 0)
            {
                sequenceInputs.Add(layer);
            }
        }

        var used = new HashSet<string>(StringComparer.Ordinal) { "B" };
        for (int i = 0; i < sequenceInputs.Count; i++)
        {
            string? symbol = sequenceInputs[i].Argument("MaxLength")?.Symbol;
            string name = sequenceInputs.Count == 1 ? "T" : symbol ?? "T" + (i + 1).ToString(CultureInfo.InvariantCulture);
            while (!used.Add(name))
            {
                name += "'";
            }

            _sequenceNames[sequenceInputs[i].Name] = name;
            _sequenceVariables[sequenceInputs[i].Name] = sequenceInputs.Count == 1 ? "T" : "T" + sequenceInputs[i].Name;
        }
    }

    /// <summary>State-dict prefixes come from member names (snake_case); two members may not collide.</summary>
    private void CheckPrefixes()
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (LayerSpec layer in _spec.Layers)
        {
            string path = Naming.SnakeCase(layer.Name);
            if (owners.TryGetValue(path, out string? owner))
            {
                Report(DiagnosticDescriptors.DuplicateParameterPrefix, layer.MemberLocation, layer.Name, path, owner);
            }
            else
            {
                owners.Add(path, layer.Name);
            }
        }
    }

    /// <summary>The argument's location, or the attribute's when it was not written.</summary>
    private static LocationInfo? At(LayerSpec layer, string argument) => layer.Argument(argument)?.Location ?? layer.AttributeLocation;

    /// <summary>Resolves a From/Memory/TiedTo name to an earlier layer's index, reporting unknown, forward and self references.</summary>
    internal int Resolve(int index, string argument, string name)
    {
        LayerSpec layer = _spec.Layers[index];
        LocationInfo? location = At(layer, argument);
        if (!_indexByName.TryGetValue(name, out int target))
        {
            Report(DiagnosticDescriptors.UnknownReference, location, layer.Name, argument, name, _spec.ClassName);
            return -1;
        }

        if (target == index)
        {
            Report(DiagnosticDescriptors.SelfReference, location, layer.Name, argument, name);
            return -1;
        }

        if (target > index)
        {
            Report(DiagnosticDescriptors.ForwardReference, location, layer.Name, argument, name);
            return -1;
        }

        return target;
    }

    /// <summary>The index of the layer this one reads (From, else the previous member), or -1 (reported).</summary>
    private int Source(int index)
    {
        LayerSpec layer = _spec.Layers[index];
        if (layer.Argument("From") is { Kind: ArgumentKind.String, Text: { } from })
        {
            return Resolve(index, "From", from);
        }

        if (index == 0)
        {
            Report(DiagnosticDescriptors.NoInput, layer.AttributeLocation, layer.Name, "nothing is declared before it to read from; declare an [Input] first or set From");
            return -1;
        }

        return index - 1;
    }
}
