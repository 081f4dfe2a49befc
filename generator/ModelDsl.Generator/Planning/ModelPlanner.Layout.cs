using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>The loss check and the layouts: parameter block, state block, activation arena.</summary>
internal sealed partial class ModelPlanner
{
    /// <summary>Floats per 64-byte segment alignment, as runtime Memory/BlockLayout.</summary>
    private const int AlignFloats = 16;

    private readonly List<PendingLayer> _pending = [];

    private static PendingParameter Param(string name, InitKind init, params long[] shape) =>
        new(name, shape, init, shape.Length == 2 ? shape[1] : 0, shape.Length == 2 ? shape[0] : 0, null);

    private static PendingGroup Group(string title, Shape input, Shape output, params PendingParameter[] parameters) => new(title, input, output, parameters);

    private void Complete(int index, Shape input, Shape output, PendingGroup[] groups, (string Name, Shape Shape)[] activations, long flops, string details)
    {
        _outputs[index] = output;
        _pending.Add(new PendingLayer(index, input, output, groups, activations, flops, details));
    }

    private TargetPlan? PlanLoss()
    {
        int last = _spec.Layers.Count - 1;
        for (int i = 0; i < last; i++)
        {
            if (_spec.Layers[i].Loss is { } misplaced)
            {
                Report(DiagnosticDescriptors.MisplacedLoss, misplaced.Location, _spec.Layers[i].Name, "a loss belongs on the last layer ('" + _spec.Layers[last].Name + "')");
            }
        }

        if (last < 0)
        {
            return null;
        }

        LayerSpec head = _spec.Layers[last];
        if (head.Loss is not { } loss)
        {
            if (head.Kind != LayerKind.Unknown && _outputs[last] is not null && !HasErrors())
            {
                Report(DiagnosticDescriptors.MissingLoss, _spec.ClassLocation, _spec.ClassName, head.Name);
            }

            return null;
        }

        if (_outputs[last] is not { } output)
        {
            return null; // the head itself failed; that is reported
        }

        if (loss.Kind == LossKind.Mse)
        {
            if (output.Tokens)
            {
                Report(DiagnosticDescriptors.LossHeadMismatch, loss.Location, head.Name, "[MseLoss] needs a float output, but '" + head.Name + "' produces " + output.Named);
                return null;
            }

            return new TargetPlan(LossKind.Mse, head.Name, output.HasSequence, output.HasSequence ? output.Dims[1].Size : 0, output.Last.Size, output.Last.Named, 0, 0f, output.Source);
        }

        if (head.Kind != LayerKind.Dense || output.Last.Size < 2)
        {
            string why = head.Kind != LayerKind.Dense
                ? "'" + head.Name + "' is [" + KnownNames.AttributeName(head.Kind) + "] producing " + output.Named
                : "'" + head.Name + "' has Units " + output.Last.Named;
            Report(DiagnosticDescriptors.LossHeadMismatch, loss.Location, head.Name, "[CrossEntropyLoss] needs a [Dense] head with at least 2 units (the classes), but " + why);
            return null;
        }

        ArgumentSpec? smoothing = loss.Argument("LabelSmoothing");
        float labelSmoothing = smoothing is { Kind: ArgumentKind.Float } ? smoothing.Float : 0f;
        if (float.IsNaN(labelSmoothing) || labelSmoothing < 0f || labelSmoothing >= 1f)
        {
            Report(DiagnosticDescriptors.ArgumentOutOfRange, smoothing?.Location ?? loss.Location, head.Name, "LabelSmoothing", labelSmoothing.ToString("R", CultureInfo.InvariantCulture), "in [0, 1)");
            return null;
        }

        if (output.HasSequence && output.Source is { } decoded && !CheckDecodedVocabulary(head, loss, output, decoded))
        {
            return null;
        }

        ArgumentSpec? ignore = loss.Argument("IgnoreIndex");
        long ignoreIndex = ignore is { Kind: ArgumentKind.Int } ? ignore.Int : -100;
        return new TargetPlan(LossKind.CrossEntropy, head.Name, output.HasSequence, output.HasSequence ? output.Dims[1].Size : 0, output.Last.Size, output.Last.Named, ignoreIndex, labelSmoothing, output.Source);
    }

    /// <summary>
    /// An autoregressive decoder (a causal [TransformerDecoder] or a [RecurrentDecoder] over the sequence of input
    /// <paramref name="decoded"/>) feeds its predictions back as that input's next tokens: the head's classes must be
    /// exactly the vocabulary of the [Embedding] that reads the input. (A per-position tagger without such a decoder may differ.)
    /// </summary>
    private bool CheckDecodedVocabulary(LayerSpec head, LossSpec loss, Shape output, string decoded)
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

            autoregressive |= layer.Kind == LayerKind.RecurrentDecoder || (layer.Kind == LayerKind.TransformerDecoder && (Int(layer, "Mask", 1) & MaskCausal) != 0);
            if (layer.Kind == LayerKind.Embedding && _sourceNames.TryGetValue(i, out string? from) && from == decoded)
            {
                embedding ??= layer;
            }
        }

        long vocab = embedding is null ? 0 : Int(embedding, "Vocab", 0);
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
                Options(layer.Index, spec),
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
            _diagnostics.ToEquatableArray());

        // A model without a loss already has MDSL0013; any other model the trainer emitter cannot handle gets MDSL2002.
        if (target is not null && TrainingSupport.Unsupported(modelPlan) is { } unsupported)
        {
            Report(DiagnosticDescriptors.TrainingNotSupportedYet, _spec.ClassLocation, _spec.ClassName, unsupported);
            modelPlan = modelPlan with { Diagnostics = _diagnostics.ToEquatableArray() };
        }

        return modelPlan;
    }

    private LayerOptions Options(int index, LayerSpec spec)
    {
        bool stack = spec.Kind is LayerKind.TransformerEncoder or LayerKind.TransformerDecoder;
        bool attention = stack || spec.Kind == LayerKind.MultiHeadAttention;
        float dropout = spec.Kind switch
        {
            LayerKind.Dropout => Float(spec, "Probability", 0f),
            LayerKind.MultiHeadAttention => Float(spec, "Dropout", 0f),
            _ when stack => Float(spec, "Dropout", 0.1f),
            _ => 0f,
        };
        bool recurrent = spec.Kind is LayerKind.RecurrentEncoder or LayerKind.RecurrentDecoder;
        return new LayerOptions(
            _sourceNames.TryGetValue(index, out string? source) ? source : null,
            _memoryNames.TryGetValue(index, out string? memory) ? memory : null,
            attention ? Int(spec, "Heads", 1) : 0,
            stack || spec.Kind == LayerKind.RecurrentEncoder ? Int(spec, "Layers", 1) : 0,
            _feedForward.TryGetValue(index, out long feedForward) && stack ? feedForward : 0,
            attention ? (int)Int(spec, "Mask", spec.Kind == LayerKind.TransformerDecoder ? 1 : 0) : 0,
            attention ? Int(spec, "WindowRadius", 0) : 0,
            stack ? (int)Int(spec, "Activation", 1) : spec.Kind == LayerKind.Dense ? (int)Int(spec, "Activation", 0) : 0,
            dropout,
            stack && Bool(spec, "NormFirst", false),
            spec.Kind != LayerKind.Dense || Bool(spec, "Bias", true),
            spec.Kind == LayerKind.Dense && spec.Argument("TiedTo") is { Kind: ArgumentKind.String, Text: { } tied } ? tied : null,
            spec.Kind == LayerKind.Input ? Int(spec, "PadId", 0) : 0,
            spec.Kind == LayerKind.BatchNorm ? Float(spec, "Momentum", 0.1f) : 0f,
            recurrent ? (int)Int(spec, "Cell", 1) : 0,
            recurrent ? Int(spec, "Hidden", 0) : 0,
            spec.Kind == LayerKind.RecurrentEncoder && Bool(spec, "Bidirectional", false),
            spec.Kind == LayerKind.RecurrentDecoder ? (int)Int(spec, "Attention", 1) : 0,
            spec.Kind == LayerKind.RecurrentDecoder && Int(spec, "Attention", 1) == 1 ? (Int(spec, "AttentionSize", 0) is > 0 and var size ? size : Int(spec, "Hidden", 0)) : 0);
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

    private sealed class PendingParameter(string name, long[] shape, InitKind init, long fanIn, long fanOut, string? tiedTo)
    {
        public string Name { get; } = name;

        public long[] Shape { get; } = shape;

        public InitKind Init { get; } = init;

        public long FanIn { get; } = fanIn;

        public long FanOut { get; } = fanOut;

        public string? TiedTo { get; } = tiedTo;

        public int Stream { get; set; }

        public int Layer { get; set; }
    }

    private sealed record PendingGroup(string Title, Shape Input, Shape Output, PendingParameter[] Parameters);

    private sealed record PendingLayer(int Index, Shape Input, Shape Output, PendingGroup[] Groups, (string Name, Shape Shape)[] Activations, long Flops, string Details);
}
