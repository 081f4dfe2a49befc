using System.Collections.Generic;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

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
}
