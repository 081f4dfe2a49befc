using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// What the attention layers share: heads over the model width, a declared mask, an optional cross-attention memory, and
/// PyTorch's <c>nn.MultiheadAttention</c> parameters. The Transformer stacks add feed-forward sublayers and norms per layer.
/// </summary>
internal abstract class AttentionLayer : LayerDescriptor
{
    /// <summary>A Transformer stack (layers of attention + feed-forward) rather than one attention block.</summary>
    protected abstract bool IsStack { get; }

    /// <summary>The <c>Masks</c> flags when Mask is not written.</summary>
    protected virtual int DefaultMask => 0;

    /// <summary>The dropout probability when Dropout is not written.</summary>
    protected abstract float DefaultDropout { get; }

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        string from = c.From;
        if (!input.IsFloatSequence)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, AttributeName, "a float sequence [B, T, D]", from, input.Named);
            return;
        }

        Dim width = input.Last;
        long d = width.Size;
        long declaredWidth = c.Int("Width", 0);
        if (layer.Argument("Width") is not null && !c.CheckRange("Width", declaredWidth, 0, "positive (or left out: the input's width)"))
        {
            return; // a size rule before the width rule: -64 is not a width at all
        }

        if (layer.Argument("Width") is not null && declaredWidth != 0 && declaredWidth != d)
        {
            c.Report(DiagnosticDescriptors.WidthMismatch, c.At("Width"), layer.Name, input.WithLast(c.StaticDim("Width", declaredWidth)).Named, from, input.Named);
            return;
        }

        bool stack = IsStack;
        long heads = c.Int("Heads", 1);
        long layers = stack ? c.Int("Layers", 1) : 1;
        long feedForward = stack ? c.Int("FeedForward", 0) : 0;
        bool ok = c.CheckRange("Heads", heads, 1, "at least 1");
        ok &= !stack || c.CheckRange("Layers", layers, 1, "at least 1");
        ok &= !stack || layer.Argument("FeedForward") is null || c.CheckRange("FeedForward", feedForward, 0, "at least 1 (or 0 for 4 × width)");
        ok &= c.CheckProbability("Dropout", c.Float("Dropout", DefaultDropout));
        if (!ok)
        {
            return;
        }

        if (d % heads != 0)
        {
            c.Report(DiagnosticDescriptors.HeadsMustDivideWidth, c.At("Heads"), layer.Name, heads, width.Named);
            return;
        }

        if (feedForward == 0)
        {
            feedForward = Sizes.Multiply(4, d);
        }

        int mask = (int)c.Int("Mask", DefaultMask);
        if ((mask & ~Masks.All) != 0)
        {
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Mask"), layer.Name, "Mask", mask, "a combination of the Masks flags");
            return;
        }

        Dim length = input.Dims[1];
        if ((mask & Masks.LocalWindow) != 0)
        {
            long radius = c.Int("WindowRadius", 0);
            if (radius < 1 || radius >= length.Size)
            {
                c.Report(DiagnosticDescriptors.WindowRadiusOutOfRange, c.At("WindowRadius"), layer.Name, radius, length.Size - 1, length.Name + " (" + length.Size.ToString(CultureInfo.InvariantCulture) + ")");
                return;
            }
        }

        // Cross-attention memory.
        Shape? memory = null;
        if (layer.Text("Memory") is { } memoryName)
        {
            int memoryIndex = c.Resolve("Memory", memoryName);
            if (memoryIndex < 0 || c.OutputOf(memoryIndex) is not { } memoryShape)
            {
                return;
            }

            if (!memoryShape.IsFloatSequence)
            {
                c.Report(DiagnosticDescriptors.MemoryMismatch, c.At("Memory"), layer.Name, memoryName, memoryShape.Named, "attention memory must be a float sequence [B, S, D]");
                return;
            }

            if (memoryShape.Last.Size != d)
            {
                c.Report(DiagnosticDescriptors.MemoryMismatch, c.At("Memory"), layer.Name, memoryName, memoryShape.Named, "the queries from '" + from + "' " + input.Named + " have width " + width.Named);
                return;
            }

            if (!stack && (mask & (Masks.Causal | Masks.LocalWindow | Masks.Graph)) != 0)
            {
                c.Report(DiagnosticDescriptors.UnsupportedFeature, c.At("Mask"), layer.Name, "a Causal, LocalWindow or Graph mask on cross-attention (queries and keys come from different sequences)");
                return;
            }

            memory = memoryShape;
            c.SetMemory(c.LayerAt(memoryIndex).Name);
        }

        if ((mask & Masks.Graph) != 0 && input.Source is { } graphSource)
        {
            c.AddGraphSource(graphSource);
        }

        long t = length.Size;
        long s = memory?.Dims[1].Size ?? t;
        long maxBatch = c.MaxBatch;
        long probs = Sizes.Multiply(maxBatch, heads, t, t);
        if (!c.CheckTensor("the attention weights [B, H, T, T]", probs) || !c.CheckTensor("the feed-forward hidden layer [B, T, FeedForward]", Sizes.Multiply(maxBatch, t, feedForward))
            || (memory is not null && !c.CheckTensor("the cross-attention weights [B, H, T, S]", Sizes.Multiply(maxBatch, heads, t, s))))
        {
            return;
        }

        var groups = new List<PendingGroup>();
        var activations = new List<(string, Shape)>();
        long flops = stack
            ? PlanStack(c, layers, feedForward, heads, memory, groups, activations)
            : PlanBlock(c, heads, memory, groups, activations);
        c.AddDim(layer.Name + "Heads", heads, layer.Name + ": attention heads");
        c.AddDim(layer.Name + "HeadDim", d / heads, layer.Name + ": width of one head");
        string details = (stack ? layers.ToString(CultureInfo.InvariantCulture) + " layers, " : string.Empty) + heads.ToString(CultureInfo.InvariantCulture) + " heads" + (stack ? ", ff " + feedForward.ToString(CultureInfo.InvariantCulture) + (c.Bool("NormFirst", false) ? ", pre-norm" : string.Empty) : string.Empty) + ", mask " + MaskName(mask) + (memory is not null ? ", memory " + layer.Argument("Memory")!.Text : string.Empty);
        c.Complete(input, [.. groups], [.. activations], flops, details);
    }

    /// <summary>The stacks' parameters and activations (see <see cref="TransformerStackLayer"/>); returns the FLOPs.</summary>
    protected virtual long PlanStack(LayerContext c, long layers, long feedForward, long heads, Shape? memory, List<PendingGroup> groups, List<(string, Shape)> activations) =>
        throw new System.InvalidOperationException(AttributeName + " is not a stack");

    /// <summary>One attention block's parameters and activations; returns the FLOPs.</summary>
    protected virtual long PlanBlock(LayerContext c, long heads, Shape? memory, List<PendingGroup> groups, List<(string, Shape)> activations) =>
        throw new System.InvalidOperationException(AttributeName + " is a stack");

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) => new AttentionOptions(
        wiring.Source,
        wiring.Memory,
        Heads: layer.Int("Heads", 1),
        Mask: (int)layer.Int("Mask", DefaultMask),
        WindowRadius: layer.Int("WindowRadius", 0),
        Dropout: layer.Float("Dropout", DefaultDropout));

    protected static long SelfAttentionFlops(long t, long d) =>
        Sizes.Add(Sizes.Add(Sizes.Multiply(2, t, d, 3 * d), Sizes.Multiply(4, t, t, d)), Sizes.Multiply(2, t, d, d));

    protected static long CrossAttentionFlops(long t, long s, long d) =>
        Sizes.Add(Sizes.Add(Sizes.Multiply(2, t, d, d), Sizes.Multiply(2, s, d, 2 * d)), Sizes.Add(Sizes.Multiply(4, t, s, d), Sizes.Multiply(2, t, d, d)));

    /// <summary><c>nn.MultiheadAttention</c>'s tensors under <paramref name="prefix"/>: in_proj [3d, d], its bias, out_proj.</summary>
    protected static PendingParameter[] AttentionParameters(string prefix, long d) =>
    [
        new PendingParameter(prefix + "in_proj_weight", [Sizes.Multiply(3, d), d], Init.XavierUniform, d, Sizes.Multiply(3, d), null),
        LayerContext.Param(prefix + "in_proj_bias", Init.Zeros, Sizes.Multiply(3, d)),
        LayerContext.Param(prefix + "out_proj.weight", Init.XavierUniform, d, d),
        LayerContext.Param(prefix + "out_proj.bias", Init.Zeros, d),
    ];

    /// <summary>The attention weights' shape <c>[B, H, T, S]</c>.</summary>
    protected static Shape ProbabilitiesShape(Shape input, long heads, Dim keys) =>
        Shape.Create(false, input.Source, input.Dims[0], new Dim("H", heads, DimKind.Static), input.Dims[1], keys);

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
}

/// <summary>The options every attention kind has (a Transformer stack adds <see cref="StackOptions"/>'s).</summary>
/// <param name="Mask">The <c>Masks</c> flags (Causal 1, KeyPadding 2, LocalWindow 4, Graph 8).</param>
/// <param name="WindowRadius">Positions each side a LocalWindow mask keeps.</param>
/// <param name="Dropout">Dropout probability on the attention weights (and a stack's sublayer outputs).</param>
internal record AttentionOptions(string? Source, string? Memory, long Heads, int Mask, long WindowRadius, float Dropout) : LayerOptions(Source, Memory);
