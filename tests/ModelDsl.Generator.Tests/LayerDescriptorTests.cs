using System.Linq;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Tests;

/// <summary>Per-kind facts the descriptors own: handle types, and each option's default written once (docs/architecture.md).</summary>
public sealed class LayerDescriptorTests
{
    private static readonly LayerOptions Wiring = new("In", null);

    private static readonly Shape Sequence = Shape.Create(false, "In", new Dim("B", 8, DimKind.Batch), new Dim("T", 16, DimKind.Sequence), new Dim("D", 64, DimKind.Static));

    [Theory]
    [InlineData("Embedding", "TokenEmbedding")]
    [InlineData("TransformerEncoder", "EncoderStack")]
    [InlineData("TransformerDecoder", "DecoderStack")]
    [InlineData("MultiHeadAttention", "AttentionBlock")]
    [InlineData("MeanPool", "Pool")]
    [InlineData("Dense", "Dense")]
    [InlineData("Dropout", "DropoutLayer")]
    [InlineData("BatchNorm", "Norm")]
    [InlineData("RecurrentEncoder", "RecurrentStack")]
    [InlineData("RecurrentDecoder", "RecurrentDecoderLayer")]
    public void Each_kind_names_its_handle_type(string kind, string handle) =>
        Assert.Equal(handle, LayerRegistry.Get(new LayerKind(kind)).HandleTypeFor(EquatableArray<ArgumentSpec>.Empty));

    [Fact]
    public void An_input_with_features_is_a_feature_input()
    {
        Assert.Equal("TokenInput", InputLayer.Instance.HandleTypeFor(new[] { Int("MaxLength", 32) }.ToEquatableArray()));
        Assert.Equal("FeatureInput", InputLayer.Instance.HandleTypeFor(new[] { Int("Features", 4) }.ToEquatableArray()));
        Assert.True(LayerRegistry.IsHandleType("ModelDsl.FeatureInput"));
        Assert.False(LayerRegistry.IsHandleType("ModelDsl.Layer"));
    }

    [Fact]
    public void Batch_norm_momentum_defaults_to_the_descriptor_constant()
    {
        Assert.Equal(BatchNormLayer.DefaultMomentum, Options<BatchNormOptions>(LayerKind.BatchNorm).Momentum);
        Assert.Equal(0.3f, Options<BatchNormOptions>(LayerKind.BatchNorm, Float("Momentum", 0.3f)).Momentum);
    }

    [Fact]
    public void Transformer_defaults_differ_by_kind_only_where_the_descriptors_say()
    {
        StackOptions decoder = Options<StackOptions>(LayerKind.TransformerDecoder);
        StackOptions encoder = Options<StackOptions>(LayerKind.TransformerEncoder);
        AttentionOptions block = Options<AttentionOptions>(LayerKind.MultiHeadAttention);
        Assert.Equal(Generator.Layers.Masks.Causal, decoder.Mask);
        Assert.Equal(0, encoder.Mask);
        Assert.Equal(TransformerStackLayer.StackDropout, encoder.Dropout);
        Assert.Equal(0f, block.Dropout);
        Assert.Equal(4 * 64, encoder.FeedForward);
        Assert.IsNotType<StackOptions>(block); // a lone attention block has no feed-forward, layers or norm options
        Assert.Equal(Activations.Relu, decoder.Activation);
        Assert.Equal(1, encoder.Layers);
        Assert.Equal(1, block.Heads);
    }

    [Fact]
    public void Only_causal_decoders_and_recurrent_decoders_are_autoregressive()
    {
        LayerKind[] autoregressive =
        [
            .. LayerRegistry.All.Where(descriptor => descriptor.IsAutoregressive(Spec(descriptor.Kind))).Select(descriptor => descriptor.Kind),
        ];
        Assert.Equal(new[] { LayerKind.TransformerDecoder, LayerKind.RecurrentDecoder }, autoregressive);
        Assert.False(TransformerDecoderLayer.Instance.IsAutoregressive(Spec(LayerKind.TransformerDecoder, Int("Mask", 2))));
    }

    private static T Options<T>(LayerKind kind, params ArgumentSpec[] arguments)
        where T : LayerOptions =>
        Assert.IsAssignableFrom<T>(LayerRegistry.Get(kind).Options(Spec(kind, arguments), Sequence, Wiring));

    private static LayerSpec Spec(LayerKind kind, params ArgumentSpec[] arguments) =>
        new("Layer", kind, "public", null, true, null, null, arguments.ToEquatableArray(), null, false);

    private static ArgumentSpec Int(string name, long value) => new(name, ArgumentKind.Int, value, 0, false, null, null, null);

    private static ArgumentSpec Float(string name, float value) => new(name, ArgumentKind.Float, 0, value, false, null, null, null);
}
