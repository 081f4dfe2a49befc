using System.Collections.Generic;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>
/// Per-layer planning: each layer's descriptor checks its declaration and declares its shapes, parameters and activations
/// through a <see cref="LayerContext"/>; these are the records the context leaves in the planner.
/// </summary>
internal sealed partial class ModelPlanner
{
    private void PlanLayer(int index)
    {
        LayerSpec layer = _spec.Layers[index];
        if (LayerRegistry.Find(layer.Kind) is not { } descriptor)
        {
            return;
        }

        if (descriptor.IsInput)
        {
            descriptor.Plan(new LayerContext(this, index, layer, null, layer.Name));
            return;
        }

        int source = Source(index);
        _sourceNames[index] = source >= 0 ? _spec.Layers[source].Name : null;
        if (source < 0 || _outputs[source] is not { } input)
        {
            return; // reported, or the source already failed
        }

        descriptor.Plan(new LayerContext(this, index, layer, input, _spec.Layers[source].Name));
    }

    internal int MaxBatchValue => _spec.MaxBatch;

    internal string ClassName => _spec.ClassName;

    internal bool TryFind(string name, out int index) => _indexByName.TryGetValue(name, out index);

    internal LayerSpec LayerAt(int index) => _spec.Layers[index];

    internal Shape? OutputOf(int index) => _outputs[index];

    internal void AddDim(DimConstant dim) => _dims.Add(dim);

    internal void AddState(PendingParameter state) => _state.Add(state);

    internal void SetMemory(int index, string layerName) => _memoryNames[index] = layerName;

    internal void AddGraphSource(string source) => _graphSources.Add(source);

    internal void AddInput(InputPlan input) => _inputs.Add(input);

    internal string SequenceName(string layerName) => _sequenceNames[layerName];

    internal string SequenceVariable(string layerName) => _sequenceVariables[layerName];

    internal void RecordVocabulary(string source, long vocab, string display)
    {
        if (!_vocabBySource.TryGetValue(source, out long known) || vocab < known)
        {
            _vocabBySource[source] = vocab;
            _vocabDisplayBySource[source] = display;
        }
    }

    internal void Complete(int index, Shape input, Shape output, PendingGroup[] groups, (string Name, Shape Shape)[] activations, long flops, string details)
    {
        _outputs[index] = output;
        _pending.Add(new PendingLayer(index, input, output, groups, activations, flops, details));
    }

    /// <summary>The resolved options of a planned layer, from its descriptor.</summary>
    private LayerOptions Options(int index, LayerSpec spec, Shape input)
    {
        var wiring = new LayerOptions(
            _sourceNames.TryGetValue(index, out string? source) ? source : null,
            _memoryNames.TryGetValue(index, out string? memory) ? memory : null);
        return LayerRegistry.Get(spec.Kind).Options(spec, input, wiring);
    }
}

/// <summary>A parameter (or state) tensor before layout.</summary>
internal sealed class PendingParameter(string name, long[] shape, Init init, long fanIn, long fanOut, string? tiedTo)
{
    public string Name { get; } = name;

    public long[] Shape { get; } = shape;

    public Init Init { get; } = init;

    public long FanIn { get; } = fanIn;

    public long FanOut { get; } = fanOut;

    public string? TiedTo { get; } = tiedTo;

    public int Stream { get; set; }

    public int Layer { get; set; }
}

/// <summary>A commented block of parameters before layout.</summary>
internal sealed record PendingGroup(string Title, Shape Input, Shape Output, PendingParameter[] Parameters);

/// <summary>A planned layer before layout.</summary>
internal sealed record PendingLayer(int Index, Shape Input, Shape Output, PendingGroup[] Groups, (string Name, Shape Shape)[] Activations, long Flops, string Details);
