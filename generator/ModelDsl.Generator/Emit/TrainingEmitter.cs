using System;
using System.Collections.Generic;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// Writes the bodies of the generated <c>Trainer.__Forward</c> and <c>Trainer.__Backward</c> (llm.c style: one
/// kernel call per line, one comment per block with the layer path, shapes and parameter offsets) and plans the
/// trainer's activation arena. Only models <see cref="TrainingSupport.Unsupported"/> accepts reach it.
/// </summary>
/// <remarks>
/// In the emitted code <c>B</c> is the batch's row count, <c>T</c> its longest row, <c>BT = B * T</c>; <c>p</c>,
/// <c>g</c> are the parameter and gradient blocks, <c>a</c>, <c>d</c> the activation arena and its gradient (same
/// layout, cleared once per step). Every slice has the exact length of the actual batch, at the offset planned for
/// MaxBatch and the maximum length.
/// </remarks>
internal sealed class TrainingEmitter
{
    private const string K = "global::ModelDsl.Kernels.";
    private const string Pool = "__pool";

    private readonly ModelPlan _plan;
    private readonly Dictionary<string, ParameterPlan> _parameters = new(StringComparer.Ordinal);
    private readonly List<Buffer> _buffers = [];
    private readonly List<string> _forward = [];
    private readonly List<List<string>> _backward = [];
    private int _arenaLength;
    private long _maskLength;
    private int _dropoutSites;

    private TrainingEmitter(ModelPlan plan)
    {
        _plan = plan;
        foreach (LayerPlan layer in plan.Layers)
        {
            foreach (ParameterGroup group in layer.Groups)
            {
                foreach (ParameterPlan parameter in group.Parameters)
                {
                    if (parameter.TiedTo is null)
                    {
                        _parameters[parameter.Name] = parameter;
                    }
                }
            }
        }

        InputPlan input = plan.Inputs[0];
        MaxLength = input.MaxLength;
        InputName = input.Name;
        Target = plan.Target!;
    }

    /// <summary>The token input's maximum length (the arena is planned for it).</summary>
    public long MaxLength { get; }

    /// <summary>The token input's name (its Batch buffers are <c>{Name}</c> and <c>{Name}Lengths</c>).</summary>
    public string InputName { get; }

    /// <summary>The loss.</summary>
    public TargetPlan Target { get; }

    /// <summary>Bytes of dropout masks (one per element of every dropout site at MaxBatch); 0 without dropout.</summary>
    public long MaskLength => _maskLength;

    /// <summary>Floats in the activation arena (and in its gradient).</summary>
    public int ArenaLength => _arenaLength;

    /// <summary>Forward lines (after the prologue that sets B, T, BT, p, a).</summary>
    public IReadOnlyList<string> Forward => _forward;

    /// <summary>Backward blocks in forward order; the caller writes them in reverse.</summary>
    public IReadOnlyList<List<string>> Backward => _backward;

    /// <summary>Offset of the logits buffer.</summary>
    public int LogitsOffset { get; private set; }

    /// <summary>Sinusoidal tables the trainer fills once: field name and width.</summary>
    public List<(string Field, long Width)> SinusoidTables { get; } = [];

    /// <summary>Largest <c>rows * units</c> of a Linear with an activation (the backward scratch it needs).</summary>
    public long LinearScratch { get; private set; }

    /// <summary>The model has attention (its backward scratch depends on the thread count).</summary>
    public bool HasAttention { get; private set; }

    /// <summary>Activation buffers: name, offset, maximum length (for the generated docs).</summary>
    public IReadOnlyList<Buffer> Buffers => _buffers;

    /// <summary>Plans and writes the forward and backward code of <paramref name="plan"/>.</summary>
    public static TrainingEmitter Create(ModelPlan plan)
    {
        var emitter = new TrainingEmitter(plan);
        emitter.Walk();
        return emitter;
    }

    /// <summary>One buffer of the arena.</summary>
    internal sealed record Buffer(string Name, int Offset, long MaxLength, string Length)
    {
        public string A => "a.Slice(" + Literals.Int(Offset) + ", " + Length + ")";

        public string D => "d.Slice(" + Literals.Int(Offset) + ", " + Length + ")";
    }

    private long MaxRows(bool sequence) => sequence ? _plan.MaxBatch * MaxLength : _plan.MaxBatch;

    private static string Rows(bool sequence) => sequence ? "BT" : "B";

    private Buffer Alloc(string name, bool sequence, long width)
    {
        long max = MaxRows(sequence) * width;
        string length = Rows(sequence) + (width == 1 ? string.Empty : " * " + Literals.Int(width));
        return Alloc(name, max, length);
    }

    private Buffer Alloc(string name, long maxLength, string length)
    {
        int offset = _arenaLength;
        long end = offset + maxLength;
        end = (end + 15) / 16 * 16;
        if (end > int.MaxValue)
        {
            throw new InvalidOperationException("the training arena exceeds 2^31 floats at MaxBatch; lower MaxBatch or the maximum length");
        }

        _arenaLength = (int)end;
        var buffer = new Buffer(name, offset, maxLength, length);
        _buffers.Add(buffer);
        return buffer;
    }

    /// <summary>
    /// Inverted dropout on <paramref name="input"/> when <paramref name="probability"/> is positive: its own stream
    /// (the site index) and counter offset <c>__dropoutOffset</c> (advanced per optimizer step, so repeated
    /// <c>ComputeGradients</c> calls see the same masks); the identity in evaluation.
    /// </summary>
    private Buffer Dropout(string name, string title, Buffer input, bool sequence, long width, float probability, List<string> forward, List<string> backward)
    {
        if (probability <= 0f)
        {
            return input;
        }

        Buffer output = Alloc(name, sequence, width);
        long maxLength = MaxRows(sequence) * width;
        string mask = "global::System.MemoryExtensions.AsSpan(__masks, " + Literals.Int(_maskLength) + ", " + output.Length + ")";
        _maskLength += maxLength;
        string p = Literals.Float(probability);
        string stream = Literals.Int(_dropoutSites++) + "UL";
        forward.Add(title + ": dropout p = " + Number(probability) + ", stream " + stream);
        forward.Add(K + "Dropout.Forward(" + output.A + ", " + mask + ", " + input.A + ", " + p + ", __dropoutSeed, " + stream + ", __dropoutOffset, training, " + Pool + ");");
        backward.Add(title + ": dropout");
        backward.Add(K + "Dropout.Backward(" + input.D + ", " + output.D + ", " + mask + ", " + p + ", training);");
        return output;
    }

    private ParameterPlan Parameter(string name)
    {
        if (_parameters.TryGetValue(name, out ParameterPlan? parameter))
        {
            return parameter;
        }

        throw new InvalidOperationException("parameter '" + name + "' is not in the plan");
    }

    /// <summary>The parameter of <paramref name="layer"/> called <c>{path}{suffix}</c>, following a tie to its owner.</summary>
    private ParameterPlan? LayerParameter(LayerPlan layer, string suffix)
    {
        foreach (ParameterGroup group in layer.Groups)
        {
            foreach (ParameterPlan parameter in group.Parameters)
            {
                if (parameter.Name == layer.Path + suffix)
                {
                    return parameter.TiedTo is { } owner ? Parameter(owner) : parameter;
                }
            }
        }

        return null;
    }

    private static string P(ParameterPlan parameter) => "p.Slice(" + Literals.Int(parameter.Offset) + ", " + Literals.Int(parameter.Length) + ")";

    private static string G(ParameterPlan parameter) => "g.Slice(" + Literals.Int(parameter.Offset) + ", " + Literals.Int(parameter.Length) + ")";

    private static string P(ParameterPlan parameter, long start, long length) => "p.Slice(" + Literals.Int(parameter.Offset + start) + ", " + Literals.Int(length) + ")";

    private static string G(ParameterPlan parameter, long start, long length) => "g.Slice(" + Literals.Int(parameter.Offset + start) + ", " + Literals.Int(length) + ")";

    private static string Range(ParameterPlan parameter) => parameter.Name + " params[" + Literals.Int(parameter.Offset) + ".." + Literals.Int(parameter.Offset + parameter.Length) + ")";

    /// <summary>ActivationKind member for the DSL's Activation value (None 0, Relu 1, Gelu 2, GeluTanh 3, Tanh 4, Sigmoid 5, LeakyRelu 6).</summary>
    private static string ActivationKind(int activation) => K + "ActivationKind." + activation switch
    {
        1 => "ReLU",
        2 => "Gelu",
        3 => "GeluTanh",
        4 => "Tanh",
        5 => "Sigmoid",
        6 => "LeakyReLU",
        _ => "None",
    };

    private static string Span(string array, string length) => "global::System.MemoryExtensions.AsSpan(" + array + ", 0, " + length + ")";

    private static string Number(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private void Walk()
    {
        Buffer? current = null;
        bool sequence = true;
        long width = 0;
        string lengths = Span("batch." + Identifiers.Escape(InputName + "Lengths"), "B");
        foreach (LayerPlan layer in _plan.Layers)
        {
            string title = "// " + layer.Name + " (" + KnownNames.AttributeName(layer.Kind) + "): " + layer.Input.Compact + " -> " + layer.Output.Compact;
            var backward = new List<string>();
            switch (layer.Kind)
            {
                case LayerKind.Input:
                    continue;
                case LayerKind.Embedding:
                {
                    ParameterPlan weight = LayerParameter(layer, ".weight")!;
                    long vocab = weight.Shape[0];
                    width = weight.Shape[1];
                    Buffer output = Alloc(layer.Path + ".output", true, width);
                    _forward.Add(title + ", " + Range(weight));
                    _forward.Add(K + "Embedding.Forward(" + output.A + ", " + P(weight) + ", " + Span("__ids", "BT") + ", " + Literals.Int(vocab) + ", " + Literals.Int(width) + ");");
                    backward.Add(title);
                    backward.Add(K + "Embedding.Backward(" + G(weight) + ", " + output.D + ", " + Span("__ids", "BT") + ", " + Literals.Int(vocab) + ", " + Literals.Int(width) + ");");
                    current = output;
                    break;
                }

                case LayerKind.SinusoidalPositions:
                {
                    string table = "__sinusoid" + Literals.Int(SinusoidTables.Count);
                    SinusoidTables.Add((table, width));
                    Buffer output = Alloc(layer.Path + ".output", true, width);
                    _forward.Add(title + ": adds the fixed sinusoid table (" + Literals.Int(MaxLength) + " x " + Literals.Int(width) + ")");
                    _forward.Add(K + "SinusoidalPositions.Forward(" + output.A + ", " + current!.A + ", " + table + ", B, T, " + Literals.Int(width) + ");");
                    backward.Add(title);
                    backward.Add(K + "SinusoidalPositions.Backward(" + current.D + ", " + output.D + ", B, T, " + Literals.Int(width) + ");");
                    current = output;
                    break;
                }

                case LayerKind.LearnedPositions:
                {
                    ParameterPlan weight = LayerParameter(layer, ".weight")!;
                    Buffer output = Alloc(layer.Path + ".output", true, width);
                    _forward.Add(title + ", " + Range(weight));
                    _forward.Add(K + "LearnedPositions.Forward(" + output.A + ", " + current!.A + ", " + P(weight) + ", B, T, " + Literals.Int(width) + ");");
                    backward.Add(title);
                    backward.Add(K + "LearnedPositions.Backward(" + current.D + ", " + G(weight) + ", " + output.D + ", B, T, " + Literals.Int(width) + ");");
                    current = output;
                    break;
                }

                case LayerKind.Dropout:
                    if (layer.Options.Dropout <= 0f)
                    {
                        _forward.Add(title + ": p = 0, the identity");
                        continue;
                    }

                    current = Dropout(layer.Path + ".output", title, current!, sequence, width, layer.Options.Dropout, _forward, backward);
                    break;
                case LayerKind.LayerNorm:
                    current = Norm(layer.Path, layer.Path, title, current!, sequence, width, _forward, backward);
                    break;
                case LayerKind.MeanPool:
                case LayerKind.FirstTokenPool:
                case LayerKind.LastTokenPool:
                {
                    string kind = K + "PoolingKind." + (layer.Kind == LayerKind.MeanPool ? "Mean" : layer.Kind == LayerKind.FirstTokenPool ? "First" : "Last");
                    Buffer output = Alloc(layer.Path + ".output", false, width);
                    _forward.Add(title);
                    _forward.Add(K + "Pooling.Forward(" + output.A + ", " + current!.A + ", " + lengths + ", B, T, " + Literals.Int(width) + ", " + kind + ");");
                    backward.Add(title);
                    backward.Add(K + "Pooling.Backward(" + current.D + ", " + output.D + ", " + lengths + ", B, T, " + Literals.Int(width) + ", " + kind + ");");
                    current = output;
                    sequence = false;
                    break;
                }

                case LayerKind.Dense:
                {
                    ParameterPlan weight = LayerParameter(layer, ".weight")!;
                    ParameterPlan? bias = LayerParameter(layer, ".bias");
                    long units = weight.Shape[0];
                    string comment = title + ", " + Range(weight) + (layer.Options.TiedTo is not null ? " (tied)" : string.Empty) + (bias is null ? string.Empty : ", " + Range(bias));
                    current = Linear(layer.Path, comment, current!, sequence, width, units, weight, 0, bias, 0, layer.Options.Activation, _forward, backward);
                    width = units;
                    break;
                }

                case LayerKind.TransformerEncoder:
                case LayerKind.TransformerDecoder:
                    current = Stack(layer, current!, width, lengths);
                    continue;
                default:
                    throw new InvalidOperationException("layer kind " + layer.Kind + " has no training code");
            }

            _backward.Add(backward);
        }

        Loss(current!, width);
    }

    private Buffer Norm(string name, string parameterPrefix, string title, Buffer input, bool sequence, long width, List<string> forward, List<string> backward)
    {
        ParameterPlan weight = Parameter(parameterPrefix + ".weight");
        ParameterPlan bias = Parameter(parameterPrefix + ".bias");
        Buffer output = Alloc(name + ".output", sequence, width);
        Buffer mean = Alloc(name + ".mean", sequence, 1);
        Buffer rstd = Alloc(name + ".rstd", sequence, 1);
        string rows = Rows(sequence);
        forward.Add(title + ": LayerNorm, " + Range(weight) + ", " + Range(bias));
        forward.Add(K + "LayerNorm.Forward(" + output.A + ", " + mean.A + ", " + rstd.A + ", " + input.A + ", " + P(weight) + ", " + P(bias) + ", " + rows + ", " + Literals.Int(width) + ", pool: " + Pool + ");");
        backward.Add(title + ": LayerNorm");
        backward.Add(K + "LayerNorm.Backward(" + input.D + ", " + G(weight) + ", " + G(bias) + ", " + output.D + ", " + input.A + ", " + P(weight) + ", " + mean.A + ", " + rstd.A + ", " + rows + ", " + Literals.Int(width) + ", " + Pool + ");");
        return output;
    }

    private Buffer Linear(
        string name, string comment, Buffer input, bool sequence, long inWidth, long units,
        ParameterPlan weight, long weightStart, ParameterPlan? bias, long biasStart, int activation,
        List<string> forward, List<string> backward)
    {
        string rows = Rows(sequence);
        Buffer output = Alloc(name, sequence, units);
        string w = P(weight, weightStart, units * inWidth);
        string dw = G(weight, weightStart, units * inWidth);
        string b = bias is null ? "default" : P(bias, biasStart, units);
        string db = bias is null ? "default" : G(bias, biasStart, units);
        string dims = rows + ", " + Literals.Int(inWidth) + ", " + Literals.Int(units);
        forward.Add(comment);
        backward.Add(comment);
        if (activation == 0)
        {
            forward.Add(K + "Linear.Forward(" + output.A + ", " + input.A + ", " + w + ", " + b + ", " + dims + ", pool: " + Pool + ");");
            backward.Add(K + "Linear.Backward(" + input.D + ", " + dw + ", " + db + ", " + output.D + ", " + input.A + ", " + w + ", " + dims + ", pool: " + Pool + ");");
        }
        else
        {
            Buffer pre = Alloc(name + ".pre_activation", sequence, units);
            LinearScratch = Math.Max(LinearScratch, MaxRows(sequence) * units);
            string act = ActivationKind(activation);
            forward.Add(K + "Linear.Forward(" + output.A + ", " + input.A + ", " + w + ", " + b + ", " + dims + ", " + act + ", " + pre.A + ", " + Pool + ");");
            backward.Add(K + "Linear.Backward(" + input.D + ", " + dw + ", " + db + ", " + output.D + ", " + input.A + ", " + w + ", " + dims + ", " + act + ", " + pre.A + ", __scratch.Span.Slice(0, " + rows + " * " + Literals.Int(units) + "), " + Pool + ");");
        }

        return output;
    }

    private Buffer Residual(string name, string title, Buffer input, Buffer branch, long width, List<string> forward, List<string> backward)
    {
        Buffer output = Alloc(name, true, width);
        forward.Add(title);
        forward.Add(K + "Residual.Forward(" + output.A + ", " + input.A + ", " + branch.A + ");");
        backward.Add(title);
        backward.Add(K + "Residual.Backward(" + input.D + ", " + branch.D + ", " + output.D + ");");
        return output;
    }

    private Buffer Stack(LayerPlan layer, Buffer input, long width, string lengths)
    {
        LayerOptions options = layer.Options;
        long heads = options.Heads;
        long headDim = width / heads;
        long ff = options.FeedForward;
        long maxLength = MaxLength;
        HasAttention = true;
        string mask = (options.Mask & 3) switch
        {
            1 => K + "AttentionMask.Causal()",
            2 => K + "AttentionMask.KeyPadding(" + lengths + ")",
            3 => K + "AttentionMask.Causal().WithKeyPadding(" + lengths + ")",
            _ => K + "AttentionMask.None",
        };
        string maskName = (options.Mask & 3) switch
        {
            1 => "causal",
            2 => "key padding",
            3 => "causal + key padding",
            _ => "none",
        };
        string scale = Literals.Float((float)(1.0 / Math.Sqrt(headDim)));
        string D = Literals.Int(width);
        Buffer x = input;
        for (long l = 0; l < options.Layers; l++)
        {
            string prefix = layer.Path + ".layers." + Literals.Int(l) + ".";
            string at = "// " + layer.Name + ".Layer[" + Literals.Int(l) + "]";
            var forward = _forward;
            var backward = new List<string>();
            forward.Add(at + ": " + (options.NormFirst ? "pre-norm" : "post-norm") + " Transformer layer [B,T," + D + "], " + Literals.Int(heads) + " heads of " + Literals.Int(headDim) + ", mask " + maskName + ", ff " + Literals.Int(ff) + (options.Dropout > 0 ? ", dropout " + Number(options.Dropout) + " (dropout1, FFN, dropout2; not on the attention probabilities yet)" : string.Empty));
            forward.Add("{");
            forward.Add("    var mask = " + mask + ";");
            backward.Add(at + " (backward)");
            backward.Add("{");
            backward.Add("    var mask = " + mask + ";");
            var fwd = new List<string>();
            var bwd = new List<List<string>>();

            Buffer attentionInput = x;
            if (options.NormFirst)
            {
                var nb = new List<string>();
                attentionInput = Norm(prefix + "norm1", prefix + "norm1", at + ".norm1", x, true, width, fwd, nb);
                bwd.Add(nb);
            }

            ParameterPlan inWeight = Parameter(prefix + "self_attn.in_proj_weight");
            ParameterPlan inBias = Parameter(prefix + "self_attn.in_proj_bias");
            var qkvBackward = new List<string>();
            string[] names = ["q", "k", "v"];
            var projections = new Buffer[3];
            for (int i = 0; i < 3; i++)
            {
                projections[i] = Linear(
                    prefix + "self_attn." + names[i], at + ".self_attn " + names[i] + " = x W_" + names[i] + "^T + b_" + names[i] + ", rows " + Literals.Int(i * width) + ".." + Literals.Int((i + 1) * width) + " of " + inWeight.Name,
                    attentionInput, true, width, width, inWeight, i * width * width, inBias, i * width, 0, fwd, qkvBackward);
            }

            bwd.Add(qkvBackward);
            Buffer probs = Alloc(prefix + "self_attn.probs", _plan.MaxBatch * heads * maxLength * maxLength, "B * " + Literals.Int(heads) + " * T * T");
            Buffer context = Alloc(prefix + "self_attn.context", true, width);
            string attentionDims = "B, T, T, " + Literals.Int(heads) + ", " + Literals.Int(headDim) + ", mask, " + scale;
            fwd.Add(at + ".self_attn: softmax(q k^T * " + scale + " + mask) v");
            fwd.Add(K + "Attention.Forward(" + context.A + ", " + probs.A + ", " + projections[0].A + ", " + projections[1].A + ", " + projections[2].A + ", " + attentionDims + ", " + Pool + ");");
            bwd.Add(
            [
                at + ".self_attn: attention",
                K + "Attention.Backward(" + projections[0].D + ", " + projections[1].D + ", " + projections[2].D + ", " + context.D + ", " + projections[0].A + ", " + projections[1].A + ", " + projections[2].A + ", " + probs.A + ", " + attentionDims + ", __scratch.Span.Slice(0, " + K + "Attention.ScratchLength(T, T, " + Pool + ".ThreadCount)), " + Pool + ");",
            ]);
            var ob = new List<string>();
            Buffer attentionOutput = Linear(
                prefix + "self_attn.output", at + ".self_attn.out_proj, " + Range(Parameter(prefix + "self_attn.out_proj.weight")),
                context, true, width, width, Parameter(prefix + "self_attn.out_proj.weight"), 0, Parameter(prefix + "self_attn.out_proj.bias"), 0, 0, fwd, ob);
            bwd.Add(ob);
            var d1 = new List<string>();
            attentionOutput = Dropout(prefix + "dropout1.output", at + ".dropout1", attentionOutput, true, width, options.Dropout, fwd, d1);
            bwd.Add(d1);
            var rb = new List<string>();
            Buffer residual1 = Residual(prefix + "residual1", at + ": residual1 = x + attention", x, attentionOutput, width, fwd, rb);
            bwd.Add(rb);

            // Post-norm normalizes residual1 with norm1; pre-norm normalizes the feed-forward input with norm2.
            string feedNorm = options.NormFirst ? "norm2" : "norm1";
            var feedNormBackward = new List<string>();
            Buffer feedInput = Norm(prefix + feedNorm, prefix + feedNorm, at + "." + feedNorm, residual1, true, width, fwd, feedNormBackward);
            bwd.Add(feedNormBackward);

            var l1 = new List<string>();
            Buffer hidden = Linear(
                prefix + "linear1.output", at + ".linear1 + activation, " + Range(Parameter(prefix + "linear1.weight")),
                feedInput, true, width, ff, Parameter(prefix + "linear1.weight"), 0, Parameter(prefix + "linear1.bias"), 0, options.Activation, fwd, l1);
            bwd.Add(l1);
            var dh = new List<string>();
            hidden = Dropout(prefix + "dropout.output", at + ".dropout (FFN)", hidden, true, ff, options.Dropout, fwd, dh);
            bwd.Add(dh);
            var l2 = new List<string>();
            Buffer feedOutput = Linear(
                prefix + "linear2.output", at + ".linear2, " + Range(Parameter(prefix + "linear2.weight")),
                hidden, true, ff, width, Parameter(prefix + "linear2.weight"), 0, Parameter(prefix + "linear2.bias"), 0, 0, fwd, l2);
            bwd.Add(l2);
            var d2 = new List<string>();
            feedOutput = Dropout(prefix + "dropout2.output", at + ".dropout2", feedOutput, true, width, options.Dropout, fwd, d2);
            bwd.Add(d2);
            var r2 = new List<string>();

            // Post-norm: residual2 = norm1 output + ffn, then norm2. Pre-norm: residual2 = residual1 + ffn is the output.
            Buffer residual2 = Residual(prefix + "residual2", at + ": residual2 = " + (options.NormFirst ? "residual1" : "norm1") + " + feed-forward", options.NormFirst ? residual1 : feedInput, feedOutput, width, fwd, r2);
            bwd.Add(r2);
            x = residual2;
            if (!options.NormFirst)
            {
                var nb = new List<string>();
                x = Norm(prefix + "norm2", prefix + "norm2", at + ".norm2", residual2, true, width, fwd, nb);
                bwd.Add(nb);
            }

            foreach (string line in fwd)
            {
                forward.Add("    " + line);
            }

            forward.Add("}");
            for (int i = bwd.Count - 1; i >= 0; i--)
            {
                foreach (string line in bwd[i])
                {
                    backward.Add("    " + line);
                }
            }

            backward.Add("}");
            _backward.Add(backward);
        }

        if (options.NormFirst)
        {
            var nb = new List<string>();
            x = Norm(layer.Path + ".norm", layer.Path + ".norm", "// " + layer.Name + ".Norm (final, pre-norm stack)", x, true, width, _forward, nb);
            _backward.Add(nb);
        }

        return x;
    }

    private void Loss(Buffer logits, long classes)
    {
        bool perPosition = Target.PerPosition;
        string rows = Rows(perPosition);
        Buffer logProbs = Alloc("loss.log_probs", perPosition, classes);
        LogitsOffset = logits.Offset;
        string labels = perPosition ? Span("__labels", "BT") : Span("batch.Labels", "B");
        string options = Literals.Float(Target.LabelSmoothing) + ", " + Literals.Int(Target.IgnoreIndex);
        _forward.Add("// Loss: cross-entropy over " + rows + " rows of " + Literals.Int(classes) + " classes, label smoothing " + Number(Target.LabelSmoothing) + ", ignore index " + Literals.Int(Target.IgnoreIndex));
        _forward.Add("__rows = " + rows + ";");
        _forward.Add("return " + K + "CrossEntropy.Forward(" + logProbs.A + ", " + logits.A + ", " + labels + ", " + rows + ", " + Literals.Int(classes) + ", " + options + ", " + Pool + ");");
        _backward.Add(
        [
            "// Loss: d logits = (softmax - smoothed one-hot) / counted rows",
            K + "CrossEntropy.Backward(" + logits.D + ", 1f, " + logProbs.A + ", " + labels + ", " + rows + ", " + Literals.Int(classes) + ", " + options + ", " + Pool + ");",
        ]);
    }
}
