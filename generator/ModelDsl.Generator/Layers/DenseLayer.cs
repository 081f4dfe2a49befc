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

/// <summary>
/// [Dense(Units)]: a linear layer with an optional activation (PyTorch's <c>nn.Linear</c>: <c>{path}.weight</c> [Units, in],
/// Xavier-uniform, <c>{path}.bias</c> zeros unless <c>Bias = false</c>), optionally tied (<c>TiedTo</c>) to an embedding's table.
/// </summary>
internal sealed class DenseLayer : LayerDescriptor
{
    public static readonly DenseLayer Instance = new();

    private DenseLayer()
    {
    }

    public override LayerKind Kind => LayerKind.Dense;

    public override string HandleType => "Dense";

    public override bool IsClassifierHead => true;

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        if (!c.RequireFloat())
        {
            return;
        }

        long units = c.Int("Units", 0);
        if (!c.CheckRange("Units", units, 1, "at least 1"))
        {
            return;
        }

        Shape output = input.WithLast(c.StaticDim("Units", units));
        long inWidth = input.Last.Size;
        if (!c.CheckTensor("weight [" + units + ", " + inWidth + "]", Sizes.Multiply(units, inWidth)) || !c.CheckTensor("the output " + output.Named, output.MaxElements))
        {
            return;
        }

        string path = c.Path;
        var parameters = new List<PendingParameter>();
        if (layer.Text("TiedTo") is { } tiedTo)
        {
            // Like every name-taking argument, TiedTo names an earlier member (MDSL0007 unknown, 0008 later, 0009 itself).
            int owner = c.Resolve("TiedTo", tiedTo);
            if (owner < 0)
            {
                return;
            }

            LayerSpec embedding = c.LayerAt(owner);
            if (owner == c.Index || embedding.Kind != LayerKind.Embedding)
            {
                c.Report(DiagnosticDescriptors.TiedWeightMismatch, c.At("TiedTo"), layer.Name, tiedTo, "it is " + (owner == c.Index ? "the layer itself" : "[" + KnownNames.AttributeName(embedding.Kind) + "]") + ", not an [Embedding]");
                return;
            }

            long vocab = embedding.Int("Vocab", 0);
            long dimension = embedding.Int("Dimension", 0);
            if (vocab != units || dimension != inWidth)
            {
                string theirs = "[" + (embedding.Argument("Vocab")?.Display ?? vocab.ToString(CultureInfo.InvariantCulture)) + ", " + (embedding.Argument("Dimension")?.Display ?? dimension.ToString(CultureInfo.InvariantCulture)) + "]";
                string ours = "[" + output.Last.Named + ", " + input.Last.Named + "]";
                c.Report(DiagnosticDescriptors.TiedWeightMismatch, c.At("TiedTo"), layer.Name, tiedTo, "its weight is " + theirs + " but this layer's weight [Units, input width] is " + ours);
                return;
            }

            string tableOwner = embedding.Text("SharedWith") ?? tiedTo; // tie to the table's owner
            parameters.Add(new PendingParameter(path + ".weight", [units, inWidth], Init.XavierUniform, inWidth, units, Naming.SnakeCase(tableOwner) + ".weight"));
        }
        else
        {
            parameters.Add(LayerContext.Param(path + ".weight", Init.XavierUniform, units, inWidth));
        }

        if (c.Bool("Bias", true))
        {
            parameters.Add(LayerContext.Param(path + ".bias", Init.Zeros, units));
        }

        long rows = input.Rank == 3 ? input.Dims[1].Size : 1;
        long activation = c.Int("Activation", Activations.None);
        if (!Activations.CheckFused(c, activation))
        {
            return;
        }

        var activations = new List<(string, Shape)>();
        if (activation != 0)
        {
            activations.Add(("preactivation", output));
        }

        activations.Add(("output", output));
        c.Complete(output, [LayerContext.Group(layer.Name, input, output, [.. parameters])], [.. activations], Sizes.Multiply(2, rows, inWidth, units), Activations.Name(activation));
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) => new DenseOptions(
        wiring.Source,
        wiring.Memory,
        Activation: (int)layer.Int("Activation", Activations.None),
        Bias: layer.Bool("Bias", true),
        TiedTo: layer.Text("TiedTo"));

    public override string? OnnxUnsupported(LayerPlan layer) => null;

    /// <summary><c>x Wᵀ + b</c> (MatMul with the transposed weight, Add), then the activation if any.</summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title)
    {
        OnnxFlow from = c.SourceOf(layer);
        ParameterPlan weight = OnnxContext.Parameter(layer, layer.Path + ".weight");
        ParameterPlan? bias = OnnxContext.FindParameter(layer, layer.Path + ".bias");
        string bare = layer.OptionsOf<DenseOptions>().Activation == 0 ? layer.Path : layer.Path + ".linear";
        c.Line(title);
        c.Line("g.Linear(" + OnnxContext.Quote(bare) + ", " + OnnxContext.Quote(from.Value) + ", " + OnnxContext.Param(weight) + ", " + (bias is null ? "null" : OnnxContext.Param(bias)) + ");");
        if (layer.OptionsOf<DenseOptions>().Activation != 0)
        {
            c.Line("g.Activation(" + OnnxContext.Quote(layer.Path) + ", " + OnnxContext.Quote(bare) + ", " + Literals.Int(layer.OptionsOf<DenseOptions>().Activation) + ");");
        }

        return new OnnxFlow(layer.Path, from.Sequence, weight.Shape[0]);
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        ParameterPlan weight = e.LayerParameter(layer, ".weight")!;
        ParameterPlan? bias = e.LayerParameter(layer, ".bias");
        long units = weight.Shape[0];
        string comment = title + ", " + TrainingEmitter.Range(weight) + (layer.OptionsOf<DenseOptions>().TiedTo is not null ? " (tied)" : string.Empty) + (bias is null ? string.Empty : ", " + TrainingEmitter.Range(bias));
        var backward = new List<string>();
        Buffer output = e.Linear(layer.Path, comment, from.Buffer, from.Sequence, from.Width, units, weight, 0, bias, 0, layer.OptionsOf<DenseOptions>().Activation, e.ForwardLines, backward);
        e.AddBackward(backward);
        return new Flow(output, from.Sequence, units);
    }

    public override bool CanDecodeStep(LayerPlan layer) => true;

    /// <summary>As the head, writes the logits and their log-softmax into <c>logProbabilities</c>.</summary>
    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        ParameterPlan weight = c.Training.LayerParameter(layer, ".weight")!;
        ParameterPlan? bias = c.Training.LayerParameter(layer, ".bias");
        long units = weight.Shape[0];
        bool head = c.IsHead(layer);
        string output = head ? "__logits" : c.Other;
        c.Writer.Line(title);
        c.WriteLinear(output, c.Current, weight, 0, bias, 0, c.Width, units, layer.OptionsOf<DenseOptions>().Activation);
        if (head)
        {
            string V = Literals.Int(units);
            c.Writer.Line("// log-softmax over the " + V + " classes");
            c.Writer.Line(K + "Softmax.LogForward(logProbabilities.Slice(0, R * " + V + "), " + DecoderContext.Buffer("__logits", "R * " + V) + ", R, " + V + ", pool);");
        }
        else
        {
            c.Current = c.Other;
        }

        c.Width = units;
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary><c>nn.Linear(in, Units, bias)</c> and the activation; a tied weight is the embedding's <c>weight</c> Parameter itself.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        ParameterPlan weight = layer.Groups[0].Parameters[0];
        string self = PyTorchContext.Self(layer);
        c.Init.Add(self + " = nn.Linear(" + PyTorchContext.Int(weight.Shape[1]) + ", " + PyTorchContext.Int(weight.Shape[0]) + ", bias=" + PyTorchContext.Bool(layer.OptionsOf<DenseOptions>().Bias) + ")");
        if (weight.TiedTo is { } owner)
        {
            c.Init.Add(self + ".weight = self." + owner);
        }

        string linear = self + "(" + c.In(layer) + ")";
        c.Forward.Add(PyTorchContext.Out(layer) + " = " + (layer.OptionsOf<DenseOptions>().Activation == Activations.None ? linear : PyTorchContext.Activation(layer.OptionsOf<DenseOptions>().Activation) + "(" + linear + ")"));
    }
}

/// <summary>[Dense]'s options.</summary>
/// <param name="Activation">The <c>Activation</c> value applied to the output (None 0 ... LeakyRelu 6).</param>
/// <param name="TiedTo">The embedding whose weight the layer shares (transposed use, as in weight tying).</param>
internal sealed record DenseOptions(string? Source, string? Memory, int Activation, bool Bias, string? TiedTo) : LayerOptions(Source, Memory);
