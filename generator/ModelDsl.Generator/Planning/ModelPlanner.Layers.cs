using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>Per-layer shape rules.</summary>
internal sealed partial class ModelPlanner
{
    private const int MaskAll = 1 | 2 | 4 | 8;
    private const int MaskCausal = 1;
    private const int MaskLocalWindow = 4;
    private const int MaskGraph = 8;

    private void PlanLayer(int index)
    {
        LayerSpec layer = _spec.Layers[index];
        if (layer.Kind == LayerKind.Unknown)
        {
            return;
        }

        if (layer.Kind == LayerKind.Input)
        {
            PlanInput(index, layer);
            return;
        }

        int source = Source(index);
        _sourceNames[index] = source >= 0 ? _spec.Layers[source].Name : null;
        if (source < 0 || _outputs[source] is not { } input)
        {
            return; // reported, or the source already failed
        }

        string from = _spec.Layers[source].Name;
        switch (layer.Kind)
        {
            case LayerKind.Embedding:
                PlanEmbedding(index, layer, input, from);
                break;
            case LayerKind.SinusoidalPositions:
            case LayerKind.LearnedPositions:
                PlanPositions(index, layer, input, from);
                break;
            case LayerKind.TransformerEncoder:
            case LayerKind.TransformerDecoder:
            case LayerKind.MultiHeadAttention:
                PlanAttention(index, layer, input, from);
                break;
            case LayerKind.MeanPool:
            case LayerKind.FirstTokenPool:
            case LayerKind.LastTokenPool:
                PlanPool(index, layer, input, from);
                break;
            case LayerKind.Dense:
                PlanDense(index, layer, input, from);
                break;
            case LayerKind.Dropout:
                if (RequireFloat(layer, input, from) && CheckProbability(layer, "Probability", Float(layer, "Probability", 0f)))
                {
                    Complete(index, input, input, [], [("output", input)], 0, "p = " + Float(layer, "Probability", 0f).ToString("R", CultureInfo.InvariantCulture));
                }

                break;
            case LayerKind.LayerNorm:
            case LayerKind.BatchNorm:
                PlanNorm(index, layer, input, from);
                break;
            case LayerKind.RecurrentEncoder:
                PlanRecurrentEncoder(index, layer, input, from);
                break;
            case LayerKind.RecurrentDecoder:
                PlanRecurrentDecoder(index, layer, input, from);
                break;
        }
    }

    private void PlanInput(int index, LayerSpec layer)
    {
        long maxLength = Int(layer, "MaxLength", 0);
        long features = Int(layer, "Features", 0);
        if (maxLength == 0 && features == 0)
        {
            Report(DiagnosticDescriptors.InputKindUnspecified, layer.AttributeLocation, layer.Name);
            return;
        }

        if ((layer.Argument("MaxLength") is not null && !CheckRange(layer, "MaxLength", maxLength, 1, "at least 1"))
            || (layer.Argument("Features") is not null && !CheckRange(layer, "Features", features, 1, "at least 1")))
        {
            return;
        }

        var dims = new List<Dim> { new("B", MaxBatch, DimKind.Batch) };
        string? source = null;
        if (maxLength > 0)
        {
            source = layer.Name;
            dims.Add(new Dim(_sequenceNames[layer.Name], maxLength, DimKind.Sequence));
        }

        if (features > 0)
        {
            dims.Add(StaticDim(layer, "Features", features));
        }

        if (IsBatchMember(layer.Name))
        {
            Report(DiagnosticDescriptors.ReservedName, layer.MemberLocation, layer.Name, _spec.ClassName + ".Batch");
            return;
        }

        bool tokens = features == 0;
        var shape = new Shape(dims.ToEquatableArray(), tokens, source);
        if (!CheckTensor(layer, "the input " + shape.Named, shape.MaxElements))
        {
            return;
        }

        _inputs.Add(new InputPlan(
            layer.Name,
            tokens,
            maxLength,
            layer.Argument("MaxLength")?.Display ?? maxLength.ToString(CultureInfo.InvariantCulture),
            features,
            Int(layer, "PadId", 0),
            0,
            string.Empty,
            false));
        if (maxLength > 0)
        {
            _dims.Add(new DimConstant(layer.Name + "Length", maxLength, layer.Name + ": maximum sequence length"));
        }

        if (features > 0)
        {
            _dims.Add(new DimConstant(layer.Name + "Features", features, layer.Name + ": feature width"));
        }

        Complete(index, shape, shape, [], [], 0, tokens ? "token ids" : "features");
    }

    /// <summary>Names the generated Batch type uses for its own members.</summary>
    private static bool IsBatchMember(string name) =>
        name is "Count" or "Labels" or "Targets" or "SetLabel" or "SetLabels" or "SetTarget" or "Batch"
        || name.EndsWith("Lengths", System.StringComparison.Ordinal) || name.EndsWith("Adjacency", System.StringComparison.Ordinal);

    private void PlanEmbedding(int index, LayerSpec layer, Shape input, string from)
    {
        if (!input.Tokens)
        {
            Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, "Embedding", "token ids [B, T]", from, input.Named);
            return;
        }

        long vocab = Int(layer, "Vocab", 0);
        long dimension = Int(layer, "Dimension", 0);
        if (!CheckRange(layer, "Vocab", vocab, 1, "at least 1") | !CheckRange(layer, "Dimension", dimension, 1, "at least 1"))
        {
            return;
        }

        Shape output = input.Append(StaticDim(layer, "Dimension", dimension));
        if (!CheckTensor(layer, "weight [" + vocab + ", " + dimension + "]", Sizes.Multiply(vocab, dimension)) || !CheckTensor(layer, "the output " + output.Named, output.MaxElements))
        {
            return;
        }

        string path = Naming.SnakeCase(layer.Name);
        if (input.Source is { } source)
        {
            if (!_vocabBySource.TryGetValue(source, out long known) || vocab < known)
            {
                _vocabBySource[source] = vocab;
                _vocabDisplayBySource[source] = layer.Argument("Vocab")?.Display ?? vocab.ToString(CultureInfo.InvariantCulture);
            }
        }

        PendingParameter weight = Param(path + ".weight", InitKind.Normal, vocab, dimension);
        if (layer.Argument("SharedWith") is { Kind: ArgumentKind.String, Text: { } shared })
        {
            // A second embedding (e.g. the target side of a translator) that uses another embedding's table.
            int owner = Resolve(index, "SharedWith", shared);
            if (owner < 0)
            {
                return;
            }

            LayerSpec other = _spec.Layers[owner];
            if (other.Kind != LayerKind.Embedding || other.Argument("SharedWith") is not null)
            {
                Report(DiagnosticDescriptors.TiedWeightMismatch, At(layer, "SharedWith"), layer.Name, shared, "it is [" + KnownNames.AttributeName(other.Kind) + "]" + (other.Kind == LayerKind.Embedding ? " sharing another table" : string.Empty) + ", not an [Embedding] that owns its table");
                return;
            }

            long otherVocab = Int(other, "Vocab", 0);
            long otherDimension = Int(other, "Dimension", 0);
            if (otherVocab != vocab || otherDimension != dimension)
            {
                Report(DiagnosticDescriptors.TiedWeightMismatch, At(layer, "SharedWith"), layer.Name, shared, "its weight is [" + otherVocab.ToString(CultureInfo.InvariantCulture) + ", " + otherDimension.ToString(CultureInfo.InvariantCulture) + "] but this layer's is [" + vocab.ToString(CultureInfo.InvariantCulture) + ", " + dimension.ToString(CultureInfo.InvariantCulture) + "]");
                return;
            }

            weight = new PendingParameter(path + ".weight", [vocab, dimension], InitKind.Normal, vocab, dimension, Naming.SnakeCase(shared) + ".weight");
        }

        _dims.Add(new DimConstant(layer.Name + "Vocab", vocab, layer.Name + ": vocabulary size"));
        Complete(
            index,
            input,
            output,
            [Group(layer.Name, input, output, weight)],
            [("output", output)],
            0,
            "vocab " + vocab.ToString(CultureInfo.InvariantCulture));
    }

    private void PlanPositions(int index, LayerSpec layer, Shape input, string from)
    {
        if (!input.IsFloatSequence)
        {
            Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, KnownNames.AttributeName(layer.Kind), "a float sequence [B, T, D]", from, input.Named);
            return;
        }

        if (layer.Kind == LayerKind.SinusoidalPositions)
        {
            Complete(index, input, input, [], [("output", input)], 0, "sinusoidal");
            return;
        }

        long maxLength = Int(layer, "MaxLength", 0);
        if (!CheckRange(layer, "MaxLength", maxLength, 1, "at least 1"))
        {
            return;
        }

        if (maxLength < input.Dims[1].Size)
        {
            Report(DiagnosticDescriptors.SequenceTooLong, At(layer, "MaxLength"), layer.Name, maxLength, from, input.Named + " with " + input.Dims[1].Name + " up to " + input.Dims[1].Size.ToString(CultureInfo.InvariantCulture));
            return;
        }

        long width = input.Last.Size;
        if (!CheckTensor(layer, "weight [" + maxLength + ", " + width + "]", Sizes.Multiply(maxLength, width)))
        {
            return;
        }

        string path = Naming.SnakeCase(layer.Name);
        Complete(index, input, input, [Group(layer.Name, input, input, Param(path + ".weight", InitKind.Normal, maxLength, width))], [("output", input)], 0, "learned, " + maxLength.ToString(CultureInfo.InvariantCulture) + " positions");
    }

    private void PlanPool(int index, LayerSpec layer, Shape input, string from)
    {
        if (input.Tokens)
        {
            Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, KnownNames.AttributeName(layer.Kind), "a float sequence [B, T, D]", from, input.Named);
            return;
        }

        if (!input.IsFloatSequence)
        {
            Report(DiagnosticDescriptors.PoolingNeedsSequence, layer.AttributeLocation, layer.Name, KnownNames.AttributeName(layer.Kind), from, input.Named);
            return;
        }

        Shape output = Shape.Create(false, null, input.Dims[0], input.Last);
        long flops = layer.Kind == LayerKind.MeanPool ? Sizes.Multiply(input.Dims[1].Size, input.Last.Size) : 0;
        Complete(index, input, output, [], [("output", output)], flops, layer.Kind switch
        {
            LayerKind.MeanPool => "mean of valid positions",
            LayerKind.FirstTokenPool => "first position",
            _ => "last valid position",
        });
    }

    private void PlanDense(int index, LayerSpec layer, Shape input, string from)
    {
        if (!RequireFloat(layer, input, from))
        {
            return;
        }

        long units = Int(layer, "Units", 0);
        if (!CheckRange(layer, "Units", units, 1, "at least 1"))
        {
            return;
        }

        Shape output = input.WithLast(StaticDim(layer, "Units", units));
        long inWidth = input.Last.Size;
        if (!CheckTensor(layer, "weight [" + units + ", " + inWidth + "]", Sizes.Multiply(units, inWidth)) || !CheckTensor(layer, "the output " + output.Named, output.MaxElements))
        {
            return;
        }

        string path = Naming.SnakeCase(layer.Name);
        var parameters = new List<PendingParameter>();
        if (layer.Argument("TiedTo") is { Kind: ArgumentKind.String, Text: { } tiedTo })
        {
            if (!_indexByName.TryGetValue(tiedTo, out int owner))
            {
                Report(DiagnosticDescriptors.UnknownReference, At(layer, "TiedTo"), layer.Name, "TiedTo", tiedTo, _spec.ClassName);
                return;
            }

            LayerSpec embedding = _spec.Layers[owner];
            if (owner == index || embedding.Kind != LayerKind.Embedding)
            {
                Report(DiagnosticDescriptors.TiedWeightMismatch, At(layer, "TiedTo"), layer.Name, tiedTo, "it is " + (owner == index ? "the layer itself" : "[" + KnownNames.AttributeName(embedding.Kind) + "]") + ", not an [Embedding]");
                return;
            }

            long vocab = Int(embedding, "Vocab", 0);
            long dimension = Int(embedding, "Dimension", 0);
            if (vocab != units || dimension != inWidth)
            {
                string theirs = "[" + (embedding.Argument("Vocab")?.Display ?? vocab.ToString(CultureInfo.InvariantCulture)) + ", " + (embedding.Argument("Dimension")?.Display ?? dimension.ToString(CultureInfo.InvariantCulture)) + "]";
                string ours = "[" + output.Last.Named + ", " + input.Last.Named + "]";
                Report(DiagnosticDescriptors.TiedWeightMismatch, At(layer, "TiedTo"), layer.Name, tiedTo, "its weight is " + theirs + " but this layer's weight [Units, input width] is " + ours);
                return;
            }

            string tableOwner = embedding.Argument("SharedWith") is { Kind: ArgumentKind.String, Text: { } sharedOwner } ? sharedOwner : tiedTo; // tie to the table's owner
            parameters.Add(new PendingParameter(path + ".weight", [units, inWidth], InitKind.XavierUniform, inWidth, units, Naming.SnakeCase(tableOwner) + ".weight"));
        }
        else
        {
            parameters.Add(Param(path + ".weight", InitKind.XavierUniform, units, inWidth));
        }

        if (Bool(layer, "Bias", true))
        {
            parameters.Add(Param(path + ".bias", InitKind.Zeros, units));
        }

        long rows = input.Rank == 3 ? input.Dims[1].Size : 1;
        long activation = Int(layer, "Activation", 0);
        var activations = new List<(string, Shape)>();
        if (activation != 0)
        {
            activations.Add(("preactivation", output));
        }

        activations.Add(("output", output));
        Complete(index, input, output, [Group(layer.Name, input, output, [.. parameters])], [.. activations], Sizes.Multiply(2, rows, inWidth, units), ActivationName(activation));
    }

    private void PlanNorm(int index, LayerSpec layer, Shape input, string from)
    {
        if (!RequireFloat(layer, input, from))
        {
            return;
        }

        if (layer.Kind == LayerKind.BatchNorm && !CheckProbability(layer, "Momentum", Float(layer, "Momentum", 0.1f)))
        {
            return;
        }

        string path = Naming.SnakeCase(layer.Name);
        long width = input.Last.Size;
        if (layer.Kind == LayerKind.BatchNorm)
        {
            _state.Add(new PendingParameter(path + ".running_mean", [width], InitKind.Zeros, 0, 0, null) { Layer = index });
            _state.Add(new PendingParameter(path + ".running_var", [width], InitKind.Ones, 0, 0, null) { Layer = index });
        }

        Shape stats = Shape.Create(false, input.Source, [.. DropLast(input), new Dim(null, 2, DimKind.Static)]);
        Complete(
            index,
            input,
            input,
            [Group(layer.Name, input, input, Param(path + ".weight", InitKind.Ones, width), Param(path + ".bias", InitKind.Zeros, width))],
            [("output", input), ("stats", stats)],
            0,
            layer.Kind == LayerKind.BatchNorm ? "batch statistics" : "eps 1e-5");
    }

    private bool RequireFloat(LayerSpec layer, Shape input, string from)
    {
        if (input.Tokens)
        {
            Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, KnownNames.AttributeName(layer.Kind), "floats ([B, D] or [B, T, D]); embed token ids first", from, input.Named);
            return false;
        }

        return true;
    }

    private void PlanAttention(int index, LayerSpec layer, Shape input, string from)
    {
        string attribute = KnownNames.AttributeName(layer.Kind);
        if (!input.IsFloatSequence)
        {
            Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, attribute, "a float sequence [B, T, D]", from, input.Named);
            return;
        }

        Dim width = input.Last;
        long d = width.Size;
        long declaredWidth = Int(layer, "Width", 0);
        if (layer.Argument("Width") is not null && declaredWidth != 0 && declaredWidth != d)
        {
            Report(DiagnosticDescriptors.WidthMismatch, At(layer, "Width"), layer.Name, input.WithLast(StaticDim(layer, "Width", declaredWidth)).Named, from, input.Named);
            return;
        }

        bool stack = layer.Kind != LayerKind.MultiHeadAttention;
        long heads = Int(layer, "Heads", 1);
        long layers = stack ? Int(layer, "Layers", 1) : 1;
        long feedForward = stack ? Int(layer, "FeedForward", 0) : 0;
        bool ok = CheckRange(layer, "Heads", heads, 1, "at least 1");
        ok &= !stack || CheckRange(layer, "Layers", layers, 1, "at least 1");
        ok &= !stack || layer.Argument("FeedForward") is null || CheckRange(layer, "FeedForward", feedForward, 0, "at least 1 (or 0 for 4 × width)");
        ok &= CheckProbability(layer, "Dropout", Float(layer, "Dropout", stack ? 0.1f : 0f));
        if (!ok)
        {
            return;
        }

        if (d % heads != 0)
        {
            Report(DiagnosticDescriptors.HeadsMustDivideWidth, At(layer, "Heads"), layer.Name, heads, width.Named);
            return;
        }

        if (feedForward == 0)
        {
            feedForward = Sizes.Multiply(4, d);
        }

        _feedForward[index] = feedForward;

        int mask = (int)Int(layer, "Mask", layer.Kind == LayerKind.TransformerDecoder ? MaskCausal : 0);
        if ((mask & ~MaskAll) != 0)
        {
            Report(DiagnosticDescriptors.ArgumentOutOfRange, At(layer, "Mask"), layer.Name, "Mask", mask, "a combination of the Masks flags");
            return;
        }

        Dim length = input.Dims[1];
        if ((mask & MaskLocalWindow) != 0)
        {
            long radius = Int(layer, "WindowRadius", 0);
            if (radius < 1 || radius >= length.Size)
            {
                Report(DiagnosticDescriptors.WindowRadiusOutOfRange, At(layer, "WindowRadius"), layer.Name, radius, length.Size - 1, length.Name + " (" + length.Size.ToString(CultureInfo.InvariantCulture) + ")");
                return;
            }
        }

        // Cross-attention memory.
        Shape? memory = null;
        if (layer.Argument("Memory") is { Kind: ArgumentKind.String, Text: { } memoryName })
        {
            int memoryIndex = Resolve(index, "Memory", memoryName);
            if (memoryIndex < 0 || _outputs[memoryIndex] is not { } memoryShape)
            {
                return;
            }

            if (!memoryShape.IsFloatSequence)
            {
                Report(DiagnosticDescriptors.MemoryMismatch, At(layer, "Memory"), layer.Name, memoryName, memoryShape.Named, "attention memory must be a float sequence [B, S, D]");
                return;
            }

            if (memoryShape.Last.Size != d)
            {
                Report(DiagnosticDescriptors.MemoryMismatch, At(layer, "Memory"), layer.Name, memoryName, memoryShape.Named, "the queries from '" + from + "' " + input.Named + " have width " + width.Named);
                return;
            }

            if (layer.Kind == LayerKind.MultiHeadAttention && (mask & (MaskCausal | MaskLocalWindow | MaskGraph)) != 0)
            {
                Report(DiagnosticDescriptors.UnsupportedFeature, At(layer, "Mask"), layer.Name, "a Causal, LocalWindow or Graph mask on cross-attention (queries and keys come from different sequences)");
                return;
            }

            memory = memoryShape;
            _memoryNames[index] = _spec.Layers[memoryIndex].Name;
        }

        if ((mask & MaskGraph) != 0 && input.Source is { } graphSource)
        {
            _graphSources.Add(graphSource);
        }

        long t = length.Size;
        long s = memory?.Dims[1].Size ?? t;
        long maxBatch = MaxBatch;
        long probs = Sizes.Multiply(maxBatch, heads, t, t);
        if (!CheckTensor(layer, "the attention weights [B, H, T, T]", probs) || !CheckTensor(layer, "the feed-forward hidden layer [B, T, FeedForward]", Sizes.Multiply(maxBatch, t, feedForward))
            || (memory is not null && !CheckTensor(layer, "the cross-attention weights [B, H, T, S]", Sizes.Multiply(maxBatch, heads, t, s))))
        {
            return;
        }

        string path = Naming.SnakeCase(layer.Name);
        var groups = new List<PendingGroup>();
        var activations = new List<(string, Shape)>();
        Shape hidden = input.WithLast(new Dim(layer.Argument("FeedForward")?.Symbol, feedForward, DimKind.Static));
        Shape qkv = input.WithLast(new Dim(null, Sizes.Multiply(3, d), DimKind.Static));
        Shape probsShape = Shape.Create(false, input.Source, input.Dims[0], new Dim("H", heads, DimKind.Static), length, length);
        Shape stats = Shape.Create(false, input.Source, input.Dims[0], length, new Dim(null, 2, DimKind.Static));
        long flops = 0;
        if (stack)
        {
            string title = layer.Kind == LayerKind.TransformerEncoder ? "Layer" : "Layer";
            bool cross = memory is not null;
            for (int i = 0; i < layers; i++)
            {
                string prefix = path + ".layers." + i.ToString(CultureInfo.InvariantCulture) + ".";
                string name = layer.Name + "." + title + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                groups.Add(Group(name + ".SelfAttention", input, input, AttentionParameters(prefix + "self_attn.", d)));
                activations.Add((prefix + "self_attn.qkv", qkv));
                activations.Add((prefix + "self_attn.probs", probsShape));
                activations.Add((prefix + "self_attn.context", input));
                activations.Add((prefix + "self_attn.output", input));
                activations.Add((prefix + "norm1.output", input));
                activations.Add((prefix + "norm1.stats", stats));
                flops = Sizes.Add(flops, SelfAttentionFlops(t, d));
                if (cross)
                {
                    groups.Add(Group(name + ".CrossAttention", input, input, AttentionParameters(prefix + "multihead_attn.", d)));
                    Shape kv = memory!.WithLast(new Dim(null, Sizes.Multiply(2, d), DimKind.Static));
                    activations.Add((prefix + "multihead_attn.q", input));
                    activations.Add((prefix + "multihead_attn.kv", kv));
                    activations.Add((prefix + "multihead_attn.probs", Shape.Create(false, input.Source, input.Dims[0], new Dim("H", heads, DimKind.Static), length, memory.Dims[1])));
                    activations.Add((prefix + "multihead_attn.context", input));
                    activations.Add((prefix + "multihead_attn.output", input));
                    activations.Add((prefix + "norm2.output", input));
                    activations.Add((prefix + "norm2.stats", stats));
                    flops = Sizes.Add(flops, CrossAttentionFlops(t, s, d));
                }

                groups.Add(Group(
                    name + ".FeedForward",
                    input,
                    input,
                    Param(prefix + "linear1.weight", InitKind.XavierUniform, feedForward, d),
                    Param(prefix + "linear1.bias", InitKind.Zeros, feedForward),
                    Param(prefix + "linear2.weight", InitKind.XavierUniform, d, feedForward),
                    Param(prefix + "linear2.bias", InitKind.Zeros, d)));
                string lastNorm = cross ? "norm3" : "norm2";
                activations.Add((prefix + "linear1.output", hidden));
                activations.Add((prefix + "activation.output", hidden));
                activations.Add((prefix + "linear2.output", input));
                activations.Add((prefix + lastNorm + ".output", input));
                activations.Add((prefix + lastNorm + ".stats", stats));
                flops = Sizes.Add(flops, Sizes.Multiply(4, t, d, feedForward));
                var norms = new List<PendingParameter>
                {
                    Param(prefix + "norm1.weight", InitKind.Ones, d),
                    Param(prefix + "norm1.bias", InitKind.Zeros, d),
                    Param(prefix + "norm2.weight", InitKind.Ones, d),
                    Param(prefix + "norm2.bias", InitKind.Zeros, d),
                };
                if (cross)
                {
                    norms.Add(Param(prefix + "norm3.weight", InitKind.Ones, d));
                    norms.Add(Param(prefix + "norm3.bias", InitKind.Zeros, d));
                }

                groups.Add(Group(name + ".Norms", input, input, [.. norms]));
            }

            if (Bool(layer, "NormFirst", false))
            {
                // Pre-norm stacks end with a final LayerNorm (PyTorch: TransformerEncoder(norm=LayerNorm(d))).
                groups.Add(Group(layer.Name + ".Norm", input, input, Param(path + ".norm.weight", InitKind.Ones, d), Param(path + ".norm.bias", InitKind.Zeros, d)));
                activations.Add((path + ".norm.output", input));
                activations.Add((path + ".norm.stats", stats));
            }

            _dims.Add(new DimConstant(layer.Name + "Layers", layers, layer.Name + ": number of layers"));
            _dims.Add(new DimConstant(layer.Name + "FeedForward", feedForward, layer.Name + ": feed-forward hidden width"));
        }
        else
        {
            groups.Add(Group(layer.Name, input, input, AttentionParameters(path + ".", d)));
            if (memory is null)
            {
                activations.Add(("qkv", qkv));
                flops = SelfAttentionFlops(t, d);
            }
            else
            {
                activations.Add(("q", input));
                activations.Add(("kv", memory.WithLast(new Dim(null, Sizes.Multiply(2, d), DimKind.Static))));
                probsShape = Shape.Create(false, input.Source, input.Dims[0], new Dim("H", heads, DimKind.Static), length, memory.Dims[1]);
                flops = CrossAttentionFlops(t, s, d);
            }

            activations.Add(("probs", probsShape));
            activations.Add(("context", input));
            activations.Add(("output", input));
        }

        _dims.Add(new DimConstant(layer.Name + "Heads", heads, layer.Name + ": attention heads"));
        _dims.Add(new DimConstant(layer.Name + "HeadDim", d / heads, layer.Name + ": width of one head"));
        string details = (stack ? layers.ToString(CultureInfo.InvariantCulture) + " layers, " : string.Empty) + heads.ToString(CultureInfo.InvariantCulture) + " heads" + (stack ? ", ff " + feedForward.ToString(CultureInfo.InvariantCulture) + (Bool(layer, "NormFirst", false) ? ", pre-norm" : string.Empty) : string.Empty) + ", mask " + MaskName(mask) + (memory is not null ? ", memory " + layer.Argument("Memory")!.Text : string.Empty);
        Complete(index, input, input, [.. groups], [.. activations], flops, details);
    }

    private static long SelfAttentionFlops(long t, long d) =>
        Sizes.Add(Sizes.Add(Sizes.Multiply(2, t, d, 3 * d), Sizes.Multiply(4, t, t, d)), Sizes.Multiply(2, t, d, d));

    private static long CrossAttentionFlops(long t, long s, long d) =>
        Sizes.Add(Sizes.Add(Sizes.Multiply(2, t, d, d), Sizes.Multiply(2, s, d, 2 * d)), Sizes.Add(Sizes.Multiply(4, t, s, d), Sizes.Multiply(2, t, d, d)));

    private PendingParameter[] AttentionParameters(string prefix, long d) =>
    [
        new PendingParameter(prefix + "in_proj_weight", [Sizes.Multiply(3, d), d], InitKind.XavierUniform, d, Sizes.Multiply(3, d), null),
        Param(prefix + "in_proj_bias", InitKind.Zeros, Sizes.Multiply(3, d)),
        Param(prefix + "out_proj.weight", InitKind.XavierUniform, d, d),
        Param(prefix + "out_proj.bias", InitKind.Zeros, d),
    ];

    private static string MaskName(int mask)
    {
        if (mask == 0)
        {
            return "none";
        }

        var parts = new List<string>();
        string[] names = ["causal", "key padding", "local window", "graph"];
        for (int bit = 0; bit < names.Length; bit++)
        {
            if ((mask & (1 << bit)) != 0)
            {
                parts.Add(names[bit]);
            }
        }

        return string.Join(" + ", parts);
    }

    private static string ActivationName(long activation) => activation switch
    {
        0 => "linear",
        1 => "relu",
        2 => "gelu",
        3 => "gelu (tanh)",
        4 => "tanh",
        5 => "sigmoid",
        6 => "leaky relu",
        _ => "activation " + activation.ToString(CultureInfo.InvariantCulture),
    };

    private static IEnumerable<Dim> DropLast(Shape shape)
    {
        for (int i = 0; i < shape.Rank - 1; i++)
        {
            yield return shape.Dims[i];
        }
    }
}
