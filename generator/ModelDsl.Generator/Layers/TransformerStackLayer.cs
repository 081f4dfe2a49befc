using System.Collections.Generic;
using System.Globalization;
using System;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// What the Transformer stacks share (PyTorch's <c>nn.TransformerEncoder</c> / <c>nn.TransformerDecoder</c> names:
/// <c>{path}.layers.{i}.self_attn</c>, <c>multihead_attn</c> when a Memory is read, <c>linear1</c>, <c>linear2</c>,
/// <c>norm1..3</c>, and <c>{path}.norm</c> after a pre-norm stack). Defaults: Layers 1, FeedForward 4 × width, ReLU, dropout 0.1, post-norm.
/// </summary>
internal abstract class TransformerStackLayer : AttentionLayer
{
    /// <summary>PyTorch's default dropout of a Transformer layer.</summary>
    public const float StackDropout = 0.1f;

    protected override bool IsStack => true;

    protected override float DefaultDropout => StackDropout;

    protected override long PlanStack(LayerContext c, long layers, long feedForward, long heads, Shape? memory, List<PendingGroup> groups, List<(string, Shape)> activations)
    {
        LayerSpec layer = c.Layer;
        Activations.CheckFused(c, c.Int("Activation", Activations.Relu)); // an error stops the model's emission; the shapes are still planned
        Shape input = c.Input;
        long d = input.Last.Size;
        Dim length = input.Dims[1];
        long t = length.Size;
        long s = memory?.Dims[1].Size ?? t;
        string path = c.Path;
        Shape hidden = input.WithLast(new Dim(layer.Argument("FeedForward")?.Symbol, feedForward, DimKind.Static));
        Shape qkv = input.WithLast(new Dim(null, Sizes.Multiply(3, d), DimKind.Static));
        Shape probsShape = ProbabilitiesShape(input, heads, length);
        Shape stats = Shape.Create(false, input.Source, input.Dims[0], length, new Dim(null, 2, DimKind.Static));
        long flops = 0;
        bool cross = memory is not null;
        for (int i = 0; i < layers; i++)
        {
            string prefix = path + ".layers." + i.ToString(CultureInfo.InvariantCulture) + ".";
            string name = layer.Name + ".Layer[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            groups.Add(LayerContext.Group(name + ".SelfAttention", input, input, AttentionParameters(prefix + "self_attn.", d)));
            activations.Add((prefix + "self_attn.qkv", qkv));
            activations.Add((prefix + "self_attn.probs", probsShape));
            activations.Add((prefix + "self_attn.context", input));
            activations.Add((prefix + "self_attn.output", input));
            activations.Add((prefix + "norm1.output", input));
            activations.Add((prefix + "norm1.stats", stats));
            flops = Sizes.Add(flops, SelfAttentionFlops(t, d));
            if (cross)
            {
                groups.Add(LayerContext.Group(name + ".CrossAttention", input, input, AttentionParameters(prefix + "multihead_attn.", d)));
                Shape kv = memory!.WithLast(new Dim(null, Sizes.Multiply(2, d), DimKind.Static));
                activations.Add((prefix + "multihead_attn.q", input));
                activations.Add((prefix + "multihead_attn.kv", kv));
                activations.Add((prefix + "multihead_attn.probs", ProbabilitiesShape(input, heads, memory.Dims[1])));
                activations.Add((prefix + "multihead_attn.context", input));
                activations.Add((prefix + "multihead_attn.output", input));
                activations.Add((prefix + "norm2.output", input));
                activations.Add((prefix + "norm2.stats", stats));
                flops = Sizes.Add(flops, CrossAttentionFlops(t, s, d));
            }

            groups.Add(LayerContext.Group(
                name + ".FeedForward",
                input,
                input,
                LayerContext.Param(prefix + "linear1.weight", Init.XavierUniform, feedForward, d),
                LayerContext.Param(prefix + "linear1.bias", Init.Zeros, feedForward),
                LayerContext.Param(prefix + "linear2.weight", Init.XavierUniform, d, feedForward),
                LayerContext.Param(prefix + "linear2.bias", Init.Zeros, d)));
            string lastNorm = cross ? "norm3" : "norm2";
            activations.Add((prefix + "linear1.output", hidden));
            activations.Add((prefix + "activation.output", hidden));
            activations.Add((prefix + "linear2.output", input));
            activations.Add((prefix + lastNorm + ".output", input));
            activations.Add((prefix + lastNorm + ".stats", stats));
            flops = Sizes.Add(flops, Sizes.Multiply(4, t, d, feedForward));
            var norms = new List<PendingParameter>
            {
                LayerContext.Param(prefix + "norm1.weight", Init.Ones, d),
                LayerContext.Param(prefix + "norm1.bias", Init.Zeros, d),
                LayerContext.Param(prefix + "norm2.weight", Init.Ones, d),
                LayerContext.Param(prefix + "norm2.bias", Init.Zeros, d),
            };
            if (cross)
            {
                norms.Add(LayerContext.Param(prefix + "norm3.weight", Init.Ones, d));
                norms.Add(LayerContext.Param(prefix + "norm3.bias", Init.Zeros, d));
            }

            groups.Add(LayerContext.Group(name + ".Norms", input, input, [.. norms]));
        }

        if (c.Bool("NormFirst", false))
        {
            // Pre-norm stacks end with a final LayerNorm (PyTorch: TransformerEncoder(norm=LayerNorm(d))).
            groups.Add(LayerContext.Group(layer.Name + ".Norm", input, input, LayerContext.Param(path + ".norm.weight", Init.Ones, d), LayerContext.Param(path + ".norm.bias", Init.Zeros, d)));
            activations.Add((path + ".norm.output", input));
            activations.Add((path + ".norm.stats", stats));
        }

        c.AddDim(layer.Name + "Layers", layers, layer.Name + ": number of layers");
        c.AddDim(layer.Name + "FeedForward", feedForward, layer.Name + ": feed-forward hidden width");
        return flops;
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring)
    {
        var attention = (AttentionOptions)base.Options(layer, input, wiring);
        long feedForward = layer.Int("FeedForward", 0);
        return new StackOptions(
            attention.Source,
            attention.Memory,
            attention.Heads,
            attention.Mask,
            attention.WindowRadius,
            attention.Dropout,
            Layers: layer.Int("Layers", 1),
            FeedForward: feedForward == 0 ? Sizes.Multiply(4, input.Last.Size) : feedForward,
            Activation: (int)layer.Int("Activation", Activations.Relu),
            NormFirst: layer.Bool("NormFirst", false));
    }

    public override string? OnnxUnsupported(LayerPlan layer) => null;

    /// <summary>
    /// Each layer as PyTorch's: post-norm <c>normN(x + f(x))</c> or pre-norm <c>x + f(normN(x))</c> for self-attention, cross-attention
    /// (a Memory) and the feed-forward block; a pre-norm stack ends with its final norm. Dropout is the identity at inference.
    /// </summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title)
    {
        OnnxFlow from = c.SourceOf(layer);
        StackOptions options = layer.OptionsOf<StackOptions>();
        OnnxFlow? memory = options.Memory is { } memoryName ? c.FlowOf(memoryName) : null;
        c.Line(title + ": " + (options.NormFirst ? "pre-norm" : "post-norm") + ", " + Literals.Int(options.Layers) + " layers, " + Literals.Int(options.Heads) + " heads");
        string mask = OnnxSelfMask(c, options, layer.Path + ".mask", from);
        string memoryMask = memory is null ? "null" : OnnxMemoryMask(c, layer.Path + ".memory_mask", memory);
        string x = from.Value;
        for (long l = 0; l < options.Layers; l++)
        {
            string prefix = layer.Path + ".layers." + Literals.Int(l) + ".";
            int index = 1;
            x = OnnxSublayer(c, layer, prefix, index++, x, input => OnnxAttention(layer, prefix + "self_attn", @from with { Value = input }, null, mask));
            if (memory is not null)
            {
                x = OnnxSublayer(c, layer, prefix, index++, x, input => OnnxAttention(layer, prefix + "multihead_attn", @from with { Value = input }, memory, memoryMask));
            }

            x = OnnxSublayer(c, layer, prefix, index, x, input => OnnxFeedForward(c, layer, prefix, input));
        }

        return @from with { Value = OnnxFinalNorm(c, layer, x) };
    }

    /// <summary>linear1, the activation, linear2: writes the first two and returns the expression of the last.</summary>
    protected static string OnnxFeedForward(OnnxContext c, LayerPlan layer, string prefix, string input)
    {
        c.Line("g.Linear(" + OnnxContext.Quote(prefix + "linear1") + ", " + input + ", " + OnnxContext.ParamOf(layer, prefix + "linear1.weight") + ", " + OnnxContext.ParamOf(layer, prefix + "linear1.bias") + ");");
        c.Line("g.Activation(" + OnnxContext.Quote(prefix + "activation") + ", " + OnnxContext.Quote(prefix + "linear1") + ", " + Literals.Int(layer.OptionsOf<StackOptions>().Activation) + ");");
        return "g.Linear(" + OnnxContext.Quote(prefix + "linear2") + ", " + OnnxContext.Quote(prefix + "activation") + ", " + OnnxContext.ParamOf(layer, prefix + "linear2.weight") + ", " + OnnxContext.ParamOf(layer, prefix + "linear2.bias") + ")";
    }

    /// <summary>A pre-norm stack's final norm (returns the value it hands on).</summary>
    protected static string OnnxFinalNorm(OnnxContext c, LayerPlan layer, string x)
    {
        if (!layer.OptionsOf<StackOptions>().NormFirst)
        {
            return x;
        }

        c.Line("g.LayerNorm(" + OnnxContext.Quote(layer.Path + ".norm") + ", " + OnnxContext.Quote(x) + ", " + OnnxContext.ParamOf(layer, layer.Path + ".norm.weight") + ", " + OnnxContext.ParamOf(layer, layer.Path + ".norm.bias") + ");");
        return layer.Path + ".norm";
    }

    /// <summary>One residual sublayer: <paramref name="body"/> gets the C# expression of its input and returns the expression of its output.</summary>
    protected static string OnnxSublayer(OnnxContext c, LayerPlan layer, string prefix, int index, string x, Func<string, string> body)
    {
        string norm = prefix + "norm" + Literals.Int(index);
        string residual = prefix + "residual" + Literals.Int(index);
        string normWeight = OnnxContext.ParamOf(layer, norm + ".weight");
        string normBias = OnnxContext.ParamOf(layer, norm + ".bias");
        if (layer.OptionsOf<StackOptions>().NormFirst)
        {
            c.Line("g.LayerNorm(" + OnnxContext.Quote(norm) + ", " + OnnxContext.Quote(x) + ", " + normWeight + ", " + normBias + ");");
            c.Line("g.Add(" + OnnxContext.Quote(residual) + ", " + OnnxContext.Quote(x) + ", " + body(OnnxContext.Quote(norm)) + ");");
            return residual;
        }

        c.Line("g.Add(" + OnnxContext.Quote(residual) + ", " + OnnxContext.Quote(x) + ", " + body(OnnxContext.Quote(x)) + ");");
        c.Line("g.LayerNorm(" + OnnxContext.Quote(norm) + ", " + OnnxContext.Quote(residual) + ", " + normWeight + ", " + normBias + ");");
        return norm;
    }

    /// <summary>Each layer of the stack writes its own backward block; a pre-norm stack's final norm one more.</summary>
    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        Flow? memory = layer.Options.Memory is { } memoryName ? e.FlowOf(memoryName) : null;
        Buffer output = Stack(e, layer, from.Buffer, from.Sequence!, from.Width, memory);
        return new Flow(output, from.Sequence, from.Width);
    }

    private static Buffer Stack(TrainingEmitter e, LayerPlan layer, Buffer input, Sequence sequence, long width, Flow? memory)
    {
        StackOptions options = layer.OptionsOf<StackOptions>();
        long heads = options.Heads;
        long headDim = width / heads;
        long ff = options.FeedForward;
        (string mask, string maskName) = TrainingEmitter.SelfMask(options, sequence);
        string scale = Literals.Float((float)(1.0 / Math.Sqrt(headDim)));
        string D = Literals.Int(width);
        bool cross = memory is not null;
        Buffer x = input;
        for (long l = 0; l < options.Layers; l++)
        {
            string prefix = layer.Path + ".layers." + Literals.Int(l) + ".";
            string at = "// " + layer.Name + ".Layer[" + Literals.Int(l) + "]";
            var forward = e.ForwardLines;
            var backward = new List<string>();
            forward.Add(at + ": " + (options.NormFirst ? "pre-norm" : "post-norm") + " Transformer " + (cross ? "decoder " : string.Empty) + "layer [B," + sequence.T + "," + D + "], " + Literals.Int(heads) + " heads of " + Literals.Int(headDim) + ", mask " + maskName + (cross ? ", cross-attention to " + layer.Options.Memory + " (memory key padding)" : string.Empty) + ", ff " + Literals.Int(ff) + (options.Dropout > 0 ? ", dropout " + TrainingEmitter.Number(options.Dropout) + " (on the attention probabilities, after each sublayer and in the FFN)" : string.Empty));
            forward.Add("{");
            forward.Add("    var mask = " + mask + ";");
            backward.Add(at + " (backward)");
            backward.Add("{");
            backward.Add("    var mask = " + mask + ";");
            if (cross)
            {
                string memoryMask = K + "AttentionMask.KeyPadding(" + memory!.Sequence!.Lengths + ")";
                forward.Add("    var memoryMask = " + memoryMask + ";");
                backward.Add("    var memoryMask = " + memoryMask + ";");
            }

            var fwd = new List<string>();
            var bwd = new List<List<string>>();

            // PyTorch's layer: each sublayer is x + dropoutN(f(normN(x))) (pre-norm) or normN(x + dropoutN(f(x))) (post-norm).
            int sublayer = 1;
            x = e.Sublayer(prefix, at, sublayer++, "self-attention", x, sequence, width, options, fwd, bwd, normed => e.SelfAttention(prefix + "self_attn", at + ".self_attn", normed, sequence, width, heads, headDim, scale, options.Dropout, fwd, bwd));
            if (cross)
            {
                x = e.Sublayer(prefix, at, sublayer++, "cross-attention", x, sequence, width, options, fwd, bwd, normed => e.CrossAttention(prefix + "multihead_attn", at + ".multihead_attn", normed, sequence, memory!, width, heads, headDim, scale, options.Dropout, fwd, bwd));
            }

            x = e.Sublayer(prefix, at, sublayer, "feed-forward", x, sequence, width, options, fwd, bwd, normed => e.FeedForward(prefix, at, normed, sequence, width, ff, options, fwd, bwd));

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
            e.AddBackward(backward);
        }

        if (options.NormFirst)
        {
            var nb = new List<string>();
            x = e.Norm(layer.Path + ".norm", layer.Path + ".norm", "// " + layer.Name + ".Norm (final, pre-norm stack)", x, sequence, width, e.ForwardLines, nb);
            e.AddBackward(nb);
        }

        return x;
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary>
    /// <c>nn.TransformerEncoder</c> of <c>nn.TransformerEncoderLayer</c>s, or with a Memory <c>nn.TransformerDecoder</c> of
    /// <c>nn.TransformerDecoderLayer</c>s (batch_first; a pre-norm stack with its final <c>norm</c>), run by the module's
    /// <c>transformer_stack</c> under the declared mask; cross-attention sees the memory's valid positions.
    /// </summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        StackOptions o = layer.OptionsOf<StackOptions>();
        long d = layer.Input.Last.Size;
        bool cross = o.Memory is not null;
        string activation = o.Activation == Activations.Relu ? "\"relu\"" : o.Activation == 2 ? "\"gelu\"" : PyTorchContext.Activation(o.Activation);
        string kind = cross ? "Decoder" : "Encoder";
        c.Init.Add(PyTorchContext.Self(layer) + " = nn.Transformer" + kind + "(");
        c.Init.Add("    nn.Transformer" + kind + "Layer(" + PyTorchContext.Int(d) + ", " + PyTorchContext.Int(o.Heads) + ", " + PyTorchContext.Int(o.FeedForward)
            + ", dropout=" + PyTorchContext.Float(o.Dropout) + ", activation=" + activation + ", batch_first=True, norm_first=" + PyTorchContext.Bool(o.NormFirst) + "),");
        c.Init.Add("    " + PyTorchContext.Int(o.Layers) + ", norm=" + (o.NormFirst ? "nn.LayerNorm(" + PyTorchContext.Int(d) + ")" : "None") + (cross ? ")" : ", enable_nested_tensor=False)"));
        string sequence = PyTorchContext.SequenceOf(layer);
        string mask = "mask_" + layer.Path;
        c.Forward.Add(mask + " = " + PyTorchContext.SelfMask(o.Mask, o.WindowRadius, sequence));
        string memory = string.Empty;
        if (cross)
        {
            LayerPlan source = c.Layer(o.Memory!);
            c.Forward.Add("memory_" + mask + " = " + PyTorchContext.MemoryMask(sequence, PyTorchContext.SequenceOf(source)));
            memory = ", " + PyTorchContext.Out(source) + ", memory_" + mask;
        }

        c.Forward.Add(PyTorchContext.Out(layer) + " = transformer_stack(" + PyTorchContext.Self(layer) + ", " + c.In(layer) + ", " + mask + memory + ")");
    }
}

/// <summary>A Transformer encoder or decoder stack's options.</summary>
/// <param name="FeedForward">Hidden width of the feed-forward sublayer (default 4·D).</param>
/// <param name="Activation">The feed-forward's <c>Activation</c> value (None 0, Relu 1, Gelu 2, GeluTanh 3, Tanh 4, Sigmoid 5, LeakyRelu 6).</param>
/// <param name="NormFirst">Pre-norm (LayerNorm before each sublayer, one more after the stack) instead of post-norm.</param>
internal sealed record StackOptions(
    string? Source,
    string? Memory,
    long Heads,
    int Mask,
    long WindowRadius,
    float Dropout,
    long Layers,
    long FeedForward,
    int Activation,
    bool NormFirst) : AttentionOptions(Source, Memory, Heads, Mask, WindowRadius, Dropout);
