using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>[Embedding(Vocab, Dimension)]: a learned table of token vectors (PyTorch's <c>nn.Embedding</c>), optionally shared with another embedding.</summary>
internal sealed class EmbeddingLayer : LayerDescriptor
{
    public static readonly EmbeddingLayer Instance = new();

    private EmbeddingLayer()
    {
    }

    public override LayerKind Kind => LayerKind.Embedding;

    public override string HandleType => "TokenEmbedding";

    public override bool EmbedsTokens => true;

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        if (!input.Tokens)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, "Embedding", "token ids [B, T]", c.From, input.Named);
            return;
        }

        long vocab = c.Int("Vocab", 0);
        long dimension = c.Int("Dimension", 0);
        if (!c.CheckRange("Vocab", vocab, 1, "at least 1") | !c.CheckRange("Dimension", dimension, 1, "at least 1"))
        {
            return;
        }

        Shape output = input.Append(c.StaticDim("Dimension", dimension));
        if (!c.CheckTensor("weight [" + vocab + ", " + dimension + "]", Sizes.Multiply(vocab, dimension)) || !c.CheckTensor("the output " + output.Named, output.MaxElements))
        {
            return;
        }

        string path = c.Path;
        if (input.Source is { } source)
        {
            c.RecordVocabulary(source, vocab, layer.Argument("Vocab")?.Display ?? vocab.ToString(CultureInfo.InvariantCulture));
        }

        PendingParameter weight = LayerContext.Param(path + ".weight", Init.Normal, vocab, dimension);
        if (layer.Text("SharedWith") is { } shared)
        {
            // A second embedding (e.g. the target side of a translator) that uses another embedding's table.
            int owner = c.Resolve("SharedWith", shared);
            if (owner < 0)
            {
                return;
            }

            LayerSpec other = c.LayerAt(owner);
            if (other.Kind != LayerKind.Embedding || other.Argument("SharedWith") is not null)
            {
                c.Report(DiagnosticDescriptors.TiedWeightMismatch, c.At("SharedWith"), layer.Name, shared, "it is [" + KnownNames.AttributeName(other.Kind) + "]" + (other.Kind == LayerKind.Embedding ? " sharing another table" : string.Empty) + ", not an [Embedding] that owns its table");
                return;
            }

            long otherVocab = other.Int("Vocab", 0);
            long otherDimension = other.Int("Dimension", 0);
            if (otherVocab != vocab || otherDimension != dimension)
            {
                c.Report(DiagnosticDescriptors.TiedWeightMismatch, c.At("SharedWith"), layer.Name, shared, "its weight is [" + otherVocab.ToString(CultureInfo.InvariantCulture) + ", " + otherDimension.ToString(CultureInfo.InvariantCulture) + "] but this layer's is [" + vocab.ToString(CultureInfo.InvariantCulture) + ", " + dimension.ToString(CultureInfo.InvariantCulture) + "]");
                return;
            }

            weight = new PendingParameter(path + ".weight", [vocab, dimension], Init.Normal, vocab, dimension, Naming.SnakeCase(shared) + ".weight");
        }

        c.AddDim(layer.Name + "Vocab", vocab, layer.Name + ": vocabulary size");
        c.Complete(
            output,
            [LayerContext.Group(layer.Name, input, output, weight)],
            [("output", output)],
            0,
            "vocab " + vocab.ToString(CultureInfo.InvariantCulture));
    }

    public override string? TrainingUnsupported(LayerPlan layer, bool readsTokens) =>
        readsTokens ? null : "training code for an [Embedding] that does not read a token input directly (" + layer.Name + ")";

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Sequence tokens = e.SequenceOf(layer.Options.Source!);
        ParameterPlan weight = e.LayerParameter(layer, ".weight")!;
        long vocab = weight.Shape[0];
        long dimension = weight.Shape[1];
        Buffer embedded = e.Alloc(layer.Path + ".output", tokens, dimension);
        e.ForwardLines.Add(title + ", " + TrainingEmitter.Range(weight));
        e.ForwardLines.Add(K + "Embedding.Forward(" + embedded.A + ", " + TrainingEmitter.P(weight) + ", " + tokens.Ids + ", " + Literals.Int(vocab) + ", " + Literals.Int(dimension) + ");");
        e.AddBackward(
        [
            title,
            K + "Embedding.Backward(" + TrainingEmitter.G(weight) + ", " + embedded.D + ", " + tokens.Ids + ", " + Literals.Int(vocab) + ", " + Literals.Int(dimension) + ");",
        ]);
        return new Flow(embedded, tokens, dimension);
    }

    public override bool CanDecodeStep(LayerPlan layer) => true;

    /// <summary>The rows' tokens (the previous step's choices) looked up into the running buffer.</summary>
    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        ParameterPlan weight = c.Training.LayerParameter(layer, ".weight")!;
        c.Width = weight.Shape[1];
        c.Writer.Line(title);
        c.Writer.Line(K + "Embedding.Forward(" + DecoderContext.Buffer(c.Current, "R * " + Literals.Int(c.Width)) + ", " + TrainingEmitter.P(weight) + ", tokens, " + Literals.Int(weight.Shape[0]) + ", " + Literals.Int(c.Width) + ");");
    }
}
