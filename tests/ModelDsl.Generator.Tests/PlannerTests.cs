using System.Linq;
using Microsoft.CodeAnalysis;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>The plan the forward/backward emitters will read: names, resolved options, layouts.</summary>
public sealed class PlannerTests
{
    [Theory]
    [InlineData("TokenEmbedding", "token_embedding")]
    [InlineData("LMHead", "lm_head")]
    [InlineData("Head", "head")]
    [InlineData("Layer2Norm", "layer2_norm")]
    [InlineData("Token_Embedding", "token_embedding")]
    [InlineData("wte", "wte")]
    public void Parameter_prefixes_are_snake_case(string member, string expected) => Assert.Equal(expected, Naming.SnakeCase(member));

    [Fact]
    public void Decoder_with_memory_has_pytorch_state_dict_names_in_order()
    {
        ModelPlan plan = Plan(TestModels.Seq2Seq);
        LayerPlan decoder = plan.Layers.Single(layer => layer.Name == "Decoder");
        string[] names = [.. decoder.Groups.SelectMany(group => group.Parameters).Select(parameter => parameter.Name.Substring("decoder.layers.0.".Length))];
        string[] attention = ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"];
        string[] expected =
        [
            .. attention.Select(name => "self_attn." + name),
            .. attention.Select(name => "multihead_attn." + name),
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
            "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias",
        ];
        Assert.Equal(expected, names);
        // D = 32, FeedForward = 64: 2 × (3·32·32 + 3·32 + 32·32 + 32) + (64·32 + 64 + 32·64 + 32) + 3 × 2·32.
        Assert.Equal((2 * ((3 * 32 * 32) + (3 * 32) + (32 * 32) + 32)) + ((64 * 32) + 64 + (32 * 64) + 32) + (3 * 2 * 32), decoder.ParameterCount);
    }

    [Fact]
    public void Options_are_resolved_with_defaults()
    {
        ModelPlan seq2seq = Plan(TestModels.Seq2Seq);
        StackOptions decoder = seq2seq.Layers.Single(layer => layer.Name == "Decoder").OptionsOf<StackOptions>();
        Assert.Equal("TargetPositions", decoder.Source);
        Assert.Equal("Encoder", decoder.Memory);
        Assert.Equal(1 | 2, decoder.Mask);
        Assert.Equal(64, decoder.FeedForward);
        Assert.Equal(4, decoder.Heads);
        Assert.Equal(1, decoder.Activation); // Relu by default
        Assert.Equal(0.1f, decoder.Dropout);
        Assert.Equal("Target", seq2seq.Layers.Single(layer => layer.Name == "TargetEmbedding").Options.Source);
        Assert.Equal(1, seq2seq.Inputs.Single(input => input.Name == "Target").PadId);

        ModelPlan gpt = Plan(TestModels.Gpt);
        DenseOptions head = gpt.Layers.Single(layer => layer.Name == "LmHead").OptionsOf<DenseOptions>();
        Assert.Equal("Wte", head.TiedTo);
        Assert.False(head.Bias);
        StackOptions blocks = gpt.Layers.Single(layer => layer.Name == "Blocks").OptionsOf<StackOptions>();
        Assert.Equal(1, blocks.Mask); // decoder default: causal
        Assert.Equal(4 * 48, blocks.FeedForward); // 0 means 4 × D
        Assert.True(blocks.NormFirst);
        Assert.Equal(2, blocks.Activation); // Gelu
        Assert.Null(blocks.Memory);
        Assert.NotNull(gpt.Target);
        Assert.True(gpt.Target!.PerPosition);
        Assert.Equal(-1, gpt.Target.IgnoreIndex);
    }

    [Fact]
    public void Activation_arena_is_aligned_and_disjoint()
    {
        ModelPlan plan = Plan(TestModels.Seq2Seq);
        var buffers = plan.Layers.SelectMany(layer => layer.Activations).OrderBy(buffer => buffer.Offset).ToList();
        int end = 0;
        foreach (ActivationPlan buffer in buffers)
        {
            Assert.Equal(0, buffer.Offset % 16);
            Assert.True(buffer.Offset >= end, buffer.Name + " overlaps");
            Assert.Equal(buffer.Shape.Dims.Aggregate(1L, (product, dim) => product * dim.Size), buffer.Length);
            end = buffer.Offset + buffer.Length;
        }

        Assert.Equal(plan.ActivationBlockLength, end);
        // Cross-attention weights are [B, H, T, S] at the maxima: 16 × 4 × 24 × 20.
        Assert.Equal(16 * 4 * 24 * 20, buffers.Single(buffer => buffer.Name == "decoder.layers.0.multihead_attn.probs").Length);
    }

    private static ModelPlan Plan(string source)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        IncrementalGeneratorRunStep step = Assert.Single(outcome.Result.TrackedSteps[TrackingNames.Plan]);
        return (ModelPlan)step.Outputs.Single().Value;
    }
}
