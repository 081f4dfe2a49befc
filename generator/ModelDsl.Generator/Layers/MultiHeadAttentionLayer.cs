using System.Collections.Generic;
using System;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [MultiHeadAttention]: one self- or cross-attention block (PyTorch's <c>nn.MultiheadAttention</c>, tensors
/// <c>{path}.in_proj_weight</c>, ...), no residual, no norm; no dropout unless declared.
/// </summary>
internal sealed class MultiHeadAttentionLayer : AttentionLayer
{
    public static readonly MultiHeadAttentionLayer Instance = new();

    private MultiHeadAttentionLayer()
    {
    }

    public override LayerKind Kind => LayerKind.MultiHeadAttention;

    public override string HandleType => "AttentionBlock";

    protected override bool IsStack => false;

    protected override float DefaultDropout => 0f;

    protected override long PlanBlock(LayerContext c, long heads, Shape? memory, List<PendingGroup> groups, List<(string, Shape)> activations)
    {
        Shape input = c.Input;
        long d = input.Last.Size;
        long t = input.Dims[1].Size;
        long flops;
        Shape probsShape = ProbabilitiesShape(input, heads, input.Dims[1]);
        groups.Add(LayerContext.Group(c.Layer.Name, input, input, AttentionParameters(c.Path + ".", d)));
        if (memory is null)
        {
            activations.Add(("qkv", input.WithLast(new Dim(null, Sizes.Multiply(3, d), DimKind.Static))));
            flops = SelfAttentionFlops(t, d);
        }
        else
        {
            activations.Add(("q", input));
            activations.Add(("kv", memory.WithLast(new Dim(null, Sizes.Multiply(2, d), DimKind.Static))));
            probsShape = ProbabilitiesShape(input, heads, memory.Dims[1]);
            flops = CrossAttentionFlops(t, memory.Dims[1].Size, d);
        }

        activations.Add(("probs", probsShape));
        activations.Add(("context", input));
        activations.Add(("output", input));
        return flops;
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        var backward = new List<string>();
        Buffer output = MultiHeadAttention(e, layer, title, from.Buffer, from.Sequence!, from.Width, layer.Options.Memory is { } attended ? e.FlowOf(attended) : null, backward);
        e.AddBackward(backward);
        return new Flow(output, from.Sequence, from.Width);
    }

    /// <summary>
    /// A standalone [MultiHeadAttention] (PyTorch's <c>nn.MultiheadAttention</c>, parameters <c>{path}.in_proj_weight</c>, ...):
    /// self-attention under the declared mask, or cross-attention to the memory with the memory's key padding. No residual, no norm.
    /// </summary>
    private static Buffer MultiHeadAttention(TrainingEmitter e, LayerPlan layer, string title, Buffer input, Sequence sequence, long width, Flow? memory, List<string> backward)
    {
        AttentionOptions options = layer.OptionsOf<AttentionOptions>();
        long heads = options.Heads;
        long headDim = width / heads;
        string scale = Literals.Float((float)(1.0 / Math.Sqrt(headDim)));
        string at = "// " + layer.Name;
        string declaration;
        string what;
        if (memory is null)
        {
            (string mask, string maskName) = TrainingEmitter.SelfMask(options, sequence);
            declaration = "var mask = " + mask + ";";
            what = "self-attention, mask " + maskName;
        }
        else
        {
            declaration = "var memoryMask = " + K + "AttentionMask.KeyPadding(" + memory.Sequence!.Lengths + ");";
            what = "cross-attention to " + options.Memory + " (memory key padding)";
        }

        var fwd = new List<string>();
        var bwd = new List<List<string>>();
        Buffer output = memory is null
            ? e.SelfAttention(layer.Path, at, input, sequence, width, heads, headDim, scale, options.Dropout, fwd, bwd)
            : e.CrossAttention(layer.Path, at, input, sequence, memory, width, heads, headDim, scale, options.Dropout, fwd, bwd);
        e.ForwardLines.Add(title + ": " + what + ", " + Literals.Int(heads) + " heads of " + Literals.Int(headDim));
        e.ForwardLines.Add("{");
        e.ForwardLines.Add("    " + declaration);
        foreach (string line in fwd)
        {
            e.ForwardLines.Add("    " + line);
        }

        e.ForwardLines.Add("}");
        backward.Add(title + " (backward)");
        backward.Add("{");
        backward.Add("    " + declaration);
        for (int i = bwd.Count - 1; i >= 0; i--)
        {
            foreach (string line in bwd[i])
            {
                backward.Add("    " + line);
            }
        }

        backward.Add("}");
        return output;
    }
}
