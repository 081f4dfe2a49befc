using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>The loss check and the layouts: parameter block, state block, activation arena.</summary>
internal sealed partial class ModelPlanner
{
    /// <summary>Floats per 64-byte segment alignment, as runtime Memory/BlockLayout.</summary>
    private const int AlignFloats = 16;

    private readonly List<PendingLayer> _pending = [];

    /// <summary>
    /// An autoregressive decoder (a causal [TransformerDecoder] or a [RecurrentDecoder] over the sequence of input
    /// <paramref name="decoded"/>) feeds its predictions back as that input's next tokens: the head's classes must be
    /// exactly the vocabulary of the [Embedding] that reads the input. (A per-position tagger without such a decoder may differ.)
    /// </summary>
    internal bool CheckDecodedVocabulary(LayerSpec head, LossSpec loss, Shape output, string decoded)
    {
        bool autoregressive = false;
        LayerSpec? embedding = null;
        for (int i = 0; i < _spec.Layers.Count; i++)
        {
            LayerSpec layer = _spec.Layers[i];
            if (_outputs[i] is not { } shape || shape.Source != decoded)
            {
                continue;
            }

            LayerDescriptor? descriptor = LayerRegistry.Find(layer.Kind);
            autoregressive |= descriptor?.IsAutoregressive(layer) == true;
            if (descriptor is { EmbedsTokens: true } && _sourceNames.TryGetValue(i, out string? from) && from == decoded)
            {
                embedding ??= layer;
            }
        }

        long vocab = embedding is null ? 0 : embedding.Int("Vocab", 0);
        if (!autoregressive || embedding is null || vocab == output.Last.Size)
        {
            return true;
        }

        Report(DiagnosticDescriptors.LossHeadMismatch, loss.Location, head.Name, "the decoder feeds its predictions back as '" + decoded + "' tokens, embedded by '" + embedding.Name + "' with vocabulary " + (embedding.Argument("Vocab")?.Display ?? vocab.ToString(CultureInfo.InvariantCulture)) + ", but the head has " + output.Last.Named + " classes");
        return false;
    }

    private bool HasErrors()
    {
        foreach (DiagnosticInfo diagnostic in _diagnostics)
        {
            if (diagnostic.IsError)
            {
                return true;
            }
        }

        return false;
    }

    private ModelPlan Finish(TargetPlan? target)
    {
        foreach (DiagnosticInfo diagnostic in _diagnostics)
        {
            if (diagnostic.IsError)
            {
                return Invalid(_spec, _diagnostics.ToEquatableArray());
            }
        }

        // Parameter block: owned tensors in declaration order, each 16-float aligned; tied tensors reuse their owner's range.
        var offsets = new Dictionary<string, (int Offset, int Length)>(System.StringComparer.Ordinal);
        long cursor = 0;
        long count = 0;
        int stream = 0;
        foreach (PendingLayer layer in _pending)
        {
            foreach (PendingGroup group in layer.Groups)
            {
                foreach (PendingParameter parameter in group.Parameters)
                {
                    if (parameter.TiedTo is null)
                    {
                        long length = Sizes.Multiply(parameter.Shape);
                        long offset = Align(cursor);
                        cursor = Sizes.Add(offset, length);
                        count = Sizes.Add(count, length);
                        if (cursor > MaxBlockElements)
                        {
                            Report(DiagnosticDescriptors.TooLarge, _spec.ClassLocation, _spec.ClassName, "the parameter block", cursor.ToString("N0", CultureInfo.InvariantCulture) + "+", MaxBlockElements.ToString("N0", CultureInfo.InvariantCulture));
                            return Invalid(_spec, _diagnostics.ToEquatableArray());
                        }

                        offsets[parameter.Name] = ((int)offset, (int)length);
                        parameter.Stream = stream++;
                    }
                }
            }
        }

        int parameterBlock = (int)cursor;
        (int stateBlock, List<ParameterPlan> statePlans) = LayoutState();

        // Activation arena: every buffer of every layer, sized for MaxBatch and the maximum lengths.
        var activationsByLayer = new Dictionary<int, List<ActivationPlan>>();
        cursor = 0;
        foreach (PendingLayer layer in _pending)
        {
            var list = new List<ActivationPlan>();
            string path = Naming.SnakeCase(_spec.Layers[layer.Index].Name);
            foreach ((string name, Shape shape) in layer.Activations)
            {
                long length = shape.MaxElements;
                long offset = Align(cursor);
                cursor = Sizes.Add(offset, length);
                if (cursor > MaxBlockElements)
                {
                    Report(DiagnosticDescriptors.TooLarge, _spec.ClassLocation, _spec.ClassName, "the activation arena", cursor.ToString("N0", CultureInfo.InvariantCulture) + "+", MaxBlockElements.ToString("N0", CultureInfo.InvariantCulture));
                    return Invalid(_spec, _diagnostics.ToEquatableArray());
                }

                list.Add(new ActivationPlan(name.Contains(".") ? name : path + "." + name, shape, (int)offset, (int)length));
            }

            activationsByLayer[layer.Index] = list;
        }

        int activationBlock = (int)cursor;
        var layers = new List<LayerPlan>();
        var layerIndex = new Dictionary<int, int>();
        long flops = 0;
        foreach (PendingLayer layer in _pending)
        {
            LayerSpec spec = _spec.Layers[layer.Index];
            var groups = new List<ParameterGroup>();
            long parameters = 0;
            foreach (PendingGroup group in layer.Groups)
            {
                var plans = new List<ParameterPlan>();
                foreach (PendingParameter parameter in group.Parameters)
                {
                    (int offset, int length) = offsets[parameter.TiedTo ?? parameter.Name];
                    if (parameter.TiedTo is null)
                    {
                        parameters += length;
                    }

                    plans.Add(new ParameterPlan(parameter.Name, offset, length, parameter.Shape.ToEquatableArray(), parameter.Init, parameter.FanIn, parameter.FanOut, parameter.Stream, parameter.TiedTo));
                }

                groups.Add(new ParameterGroup(group.Title, group.Input, group.Output, plans.ToEquatableArray()));
            }

            var state = new List<ParameterPlan>();
            foreach (ParameterPlan plan in statePlans)
            {
                if (plan.Name.StartsWith(Naming.SnakeCase(spec.Name) + ".", System.StringComparison.Ordinal))
                {
                    state.Add(plan);
                }
            }

            layerIndex[layer.Index] = layers.Count;
            flops = Sizes.Add(flops, layer.Flops);
            layers.Add(new LayerPlan(
                spec.Name,
                Naming.SnakeCase(spec.Name),
                spec.Kind,
                Options(layer.Index, spec, layer.Input),
                Layers.LayerRegistry.Get(spec.Kind).HandleTypeFor(spec.Arguments),
                layer.Input,
                layer.Output,
                groups.ToEquatableArray(),
                state.ToEquatableArray(),
                activationsByLayer[layer.Index].ToEquatableArray(),
                parameters,
                layer.Flops,
                layer.Details));
        }

        var inputs = new List<InputPlan>();
        foreach (InputPlan input in _inputs)
        {
            inputs.Add(input with
            {
                Vocab = _vocabBySource.TryGetValue(input.Name, out long vocab) ? vocab : 0,
                VocabDisplay = _vocabDisplayBySource.TryGetValue(input.Name, out string? display) ? display : string.Empty,
                NeedsAdjacency = _graphSources.Contains(input.Name),
            });
        }

        var properties = new List<PropertyPlan>();
        for (int i = 0; i < _spec.Layers.Count; i++)
        {
            LayerSpec spec = _spec.Layers[i];
            if (spec.Implementable && spec.PropertyType is not null)
            {
                properties.Add(new PropertyPlan(spec.Name, spec.Modifiers, spec.PropertyType, layerIndex.TryGetValue(i, out int index) ? index : -1));
            }
        }

        var dims = new List<DimConstant> { new("MaxBatch", MaxBatch, "Largest batch the model is planned for") };
        dims.AddRange(_dims);
        foreach (LayerPlan layer in layers)
        {
            if (!layer.Output.Tokens)
            {
                dims.Add(new DimConstant(layer.Name + "Width", layer.Output.Last.Size, layer.Name + ": output width, output shape " + layer.Output.Compact));
            }
        }

        // Names are built from member names plus suffixes; keep the first if two ever coincide.
        var dimNames = new HashSet<string>(System.StringComparer.Ordinal);
        dims.RemoveAll(dim => !dimNames.Add(dim.Name));
        var modelPlan = new ModelPlan(
            _spec.Namespace,
            _spec.ClassName,
            true,
            true,
            MaxBatch,
            layers.ToEquatableArray(),
            inputs.ToEquatableArray(),
            target,
            dims.ToEquatableArray(),
            properties.ToEquatableArray(),
            count,
            parameterBlock,
            stateBlock,
            activationBlock,
            flops,
            _diagnostics.ToEquatableArray())
        {
            Losses = _plannedLosses.ToEquatableArray(),
        };

        // A model without a loss already has MDSL0013; any other model the trainer emitter cannot handle gets MDSL2002.
        if (target is not null && TrainingSupport.Unsupported(modelPlan) is { } unsupported)
        {
            Report(DiagnosticDescriptors.TrainingNotSupportedYet, _spec.ClassLocation, _spec.ClassName, unsupported);
            modelPlan = modelPlan with { Diagnostics = _diagnostics.ToEquatableArray() };
        }
        else if (TrainingSupport.Unsupported(modelPlan) is null)
        {
            // One activation plan: a trainable model's arena is the one its trainer uses (every buffer its layers' training
            // code and the loss need, in that order), so ActivationTable, ActivationBlockLength and Trainer.ArenaLength agree.
            modelPlan = Emit.TrainingEmitter.WithTrainingArena(modelPlan);
            if (Emit.DecodingPlan.WhyNoDecoder(modelPlan) is { } reason)
            {
                Report(DiagnosticDescriptors.NoStepDecoder, _spec.ClassLocation, _spec.ClassName, reason);
                modelPlan = modelPlan with { Diagnostics = _diagnostics.ToEquatableArray() };
            }
        }

        return modelPlan;
    }

    private (int Length, List<ParameterPlan> Plans) LayoutState()
    {
        var plans = new List<ParameterPlan>();
        long cursor = 0;
        int stream = 0;
        foreach (PendingParameter parameter in _state)
        {
            long length = Sizes.Multiply(parameter.Shape);
            long offset = Align(cursor);
            cursor = Sizes.Add(offset, length);
            plans.Add(new ParameterPlan(parameter.Name, (int)offset, (int)length, parameter.Shape.ToEquatableArray(), parameter.Init, 0, 0, stream++, null));
        }

        return ((int)cursor, plans);
    }

    private static long Align(long offset) => (offset + AlignFloats - 1) / AlignFloats * AlignFloats;
}
