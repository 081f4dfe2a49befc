using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [PatchEmbedding(PatchSize, D)]: the Vision Transformer's embedding of an image [B, C, H, W]: non-overlapping P×P patches projected
/// to D (<c>{path}.proj</c>, PyTorch's <c>nn.Conv2d(C, D, P, stride=P)</c>: weight [D, C, P, P] Xavier uniform, bias [D] zeros), read
/// row by row, a learned <c>{path}.cls_token</c> [1, 1, D] prepended and learned <c>{path}.pos_embed</c> [1, 1 + N, D] added (both
/// normal(0, 1), as vit-pytorch's <c>torch.randn</c>): a sequence [B, 1 + N, D] of fixed length (every row full, no padding). The
/// runtime's <c>PatchEmbedding</c> kernels (the projection is the <c>Convolution</c> kernel, one image at a time).
/// </summary>
internal sealed class PatchEmbeddingLayer : LayerDescriptor
{
    public static readonly PatchEmbeddingLayer Instance = new();

    private PatchEmbeddingLayer()
    {
    }

    public override LayerKind Kind { get; } = new("PatchEmbedding");

    public override string HandleType => "PatchEmbeddingLayer";

    public override void Plan(LayerContext c)
    {
        if (!Images.Require(c))
        {
            return;
        }

        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        long patch = c.Int("PatchSize", 0), d = c.Int("D", 0);
        if (!c.CheckRange("PatchSize", patch, 1, "at least 1") || !c.CheckRange("D", d, 1, "at least 1"))
        {
            return;
        }

        Dim channels = input.Dims[1], height = input.Dims[2], width = input.Dims[3];
        if (height.Size % patch != 0 || width.Size % patch != 0)
        {
            string rule = "a divisor of the image's height " + height.Named + " and width " + width.Named + " (the patches do not overlap and cover the image)";
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("PatchSize"), layer.Name, "PatchSize", layer.Argument("PatchSize")!.Display, rule);
            return;
        }

        long patches = (height.Size / patch) * (width.Size / patch);
        long tokens = patches + 1;
        var length = new Dim("1 + N (" + Int(tokens) + ")", tokens, DimKind.Sequence) { Code = Int(tokens) };
        var output = Shape.Create(false, null, input.Dims[0], length, c.StaticDim("D", d));
        long weight = Sizes.Multiply(d, channels.Size, patch, patch);
        if (!c.CheckTensor("weight [" + d + ", " + channels.Size + ", " + patch + ", " + patch + "]", weight) || !c.CheckTensor("the output " + output.Named, output.MaxElements)
            || !c.CheckTensor("the column matrix", Sizes.Multiply(channels.Size, patch, patch, patches)))
        {
            return;
        }

        string path = c.Path;
        PendingParameter[] parameters =
        [
            new(path + ".proj.weight", [d, channels.Size, patch, patch], Init.XavierUniform, Sizes.Multiply(channels.Size, patch, patch), Sizes.Multiply(d, patch, patch), null),
            LayerContext.Param(path + ".proj.bias", Init.Zeros, d),
            LayerContext.Param(path + ".cls_token", Init.Normal, 1, 1, d),
            LayerContext.Param(path + ".pos_embed", Init.Normal, 1, tokens, d),
        ];
        string details = Int(patches) + " patches of " + Int(patch) + "x" + Int(patch) + " + class token, learned positions";
        c.Complete(output, [LayerContext.Group(layer.Name, input, output, parameters)], [("output", output)], Sizes.Multiply(2, d, patches, weight / d), details);
    }

    public override string? OnnxUnsupported(LayerPlan layer) => "[PatchEmbedding] has no ONNX export yet (issue 20)";

    public override string? PyTorchUnsupported(LayerPlan layer) => "[PatchEmbedding] has no PyTorch export yet (issue 20)";

    /// <summary>The runtime's checked projection shape for the batch's <c>B</c> images, as emitted.</summary>
    private static string ShapeOf(LayerPlan layer)
    {
        (long channels, long height, long width) = Images.Sizes3(layer.Input);
        long patch = layer.Groups[0].Parameters[0].Shape[2];
        return K + "PatchEmbedding.Shape(B, " + Int(channels) + ", " + Int(height) + ", " + Int(width) + ", " + Int(layer.Output.Last.Size) + ", " + Int(patch) + ")";
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        ParameterPlan weight = e.LayerParameter(layer, ".proj.weight")!, bias = e.LayerParameter(layer, ".proj.bias")!;
        ParameterPlan cls = e.LayerParameter(layer, ".cls_token")!, positions = e.LayerParameter(layer, ".pos_embed")!;
        long d = layer.Output.Last.Size, tokens = layer.Output.Dims[1].Size, patch = weight.Shape[2];
        string t = Int(tokens);

        // A sequence of fixed length: every row holds all 1 + N positions (its lengths, for masks and pools, are a constant table).
        string lengths = "__" + layer.Path.Replace('.', '_') + "_lengths";
        e.Constants.Add(new TrainingEmitter.TrainerConstant("int[]", lengths,
            "global::System.Linq.Enumerable.ToArray(global::System.Linq.Enumerable.Repeat(" + t + ", " + Int(e.MaxBatch) + "))"));
        var input = new InputPlan(layer.Name, false, tokens, t, d, 0, 0, string.Empty, false);
        var sequence = new Sequence(input, t, "B * " + t, t, null, TrainingEmitter.Span(lengths, "B"), null, null);

        Buffer output = e.Alloc(layer.Path + ".output", sequence, d);
        long scratchLength = Sizes.Multiply(layer.Input.Dims[1].Size, patch, patch, tokens - 1) + Sizes.Multiply(d, tokens - 1);
        e.ScratchTerms.Add(Int(scratchLength));
        string shape = ShapeOf(layer);
        string scratch = "__scratch.Span.Slice(0, " + Int(scratchLength) + ")";
        e.ForwardLines.Add(title + ", " + TrainingEmitter.Range(weight) + ", " + TrainingEmitter.Range(positions));
        e.ForwardLines.Add(K + "PatchEmbedding.Forward(" + output.A + ", " + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", " + TrainingEmitter.P(bias) + ", "
            + TrainingEmitter.P(cls) + ", " + TrainingEmitter.P(positions) + ", " + shape + ", " + scratch + ", " + Pool + ");");
        e.AddBackward(
        [
            title + (from.Buffer.Constant ? " (its input, the batch, takes no gradient)" : string.Empty),
            K + "PatchEmbedding.Backward(" + from.Buffer.OptionalD + ", " + TrainingEmitter.G(weight) + ", " + TrainingEmitter.G(bias) + ", " + TrainingEmitter.G(cls) + ", "
                + TrainingEmitter.G(positions) + ", " + output.D + ", " + from.Buffer.A + ", " + TrainingEmitter.P(weight) + ", " + shape + ", " + scratch + ", " + Pool + ");",
        ]);
        return new Flow(output, sequence, d);
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
