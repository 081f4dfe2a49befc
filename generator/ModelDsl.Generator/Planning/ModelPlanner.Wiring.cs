using System;
using System.Collections.Generic;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>
/// Wiring that compiles and trains but is almost certainly not what the user meant: a member whose output nothing
/// reads (MDSL0018), and an embedding that takes the member before it implicitly while the model has several token
/// inputs (MDSL0019). Warnings, checked once every layer is planned without errors.
/// </summary>
internal sealed partial class ModelPlanner
{
    private void CheckWiring()
    {
        int count = _spec.Layers.Count;
        if (count == 0 || HasErrors())
        {
            return;
        }

        // Who reads whom: each layer's source (From or the member before it), memories, graph adjacency inputs.
        var read = new bool[count];
        read[count - 1] = true; // the model's output
        for (int i = 0; i < count; i++)
        {
            read[i] |= _spec.Layers[i].Losses.Count > 0; // a loss reads its head
        }

        foreach (KeyValuePair<int, string?> source in _sourceNames)
        {
            if (source.Value is { } name && _indexByName.TryGetValue(name, out int index))
            {
                read[index] = true;
            }
        }

        foreach (KeyValuePair<int, string> memory in _memoryNames)
        {
            if (_indexByName.TryGetValue(memory.Value, out int index))
            {
                read[index] = true;
            }
        }

        foreach (string graph in _graphSources)
        {
            if (_indexByName.TryGetValue(graph, out int index))
            {
                read[index] = true;
            }
        }

        var tokenInputs = new List<string>();
        foreach (InputPlan input in _inputs)
        {
            if (input.Tokens)
            {
                tokenInputs.Add(input.Name);
            }
        }

        for (int i = 0; i < count; i++)
        {
            LayerSpec layer = _spec.Layers[i];
            if (!read[i])
            {
                Report(DiagnosticDescriptors.UnreadMember, layer.MemberLocation, layer.Name);
            }

            if (tokenInputs.Count > 1 && LayerRegistry.Find(layer.Kind) is { EmbedsTokens: true } && layer.Argument("From") is null
                && _sourceNames.TryGetValue(i, out string? implicitSource) && implicitSource is not null)
            {
                Report(DiagnosticDescriptors.ImplicitEmbeddingInput, layer.AttributeLocation, layer.Name, implicitSource,
                    string.Join(", ", tokenInputs));
            }
        }
    }
}
