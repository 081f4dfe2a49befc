using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [Input(MaxLength)] token ids, [Input(Features = N)] feature vectors (optionally a sequence of them), or
/// [Input(Channels = C, Height = H, Width = W)] images [B, C, H, W] (NCHW; the batch and the arena hold C·H·W floats per row).
/// </summary>
internal sealed class InputLayer : LayerDescriptor
{
    public static readonly InputLayer Instance = new();

    private InputLayer()
    {
    }

    public override LayerKind Kind => LayerKind.Input;

    public override string HandleType => "TokenInput";

    public override string[] HandleTypes => ["TokenInput", "FeatureInput", "ImageInput"];

    public override bool IsInput => true;

    /// <summary>A feature input (Features written and non-zero) is a <c>FeatureInput</c>; token ids are a <c>TokenInput</c>.</summary>
    public override string HandleTypeFor(EquatableArray<ArgumentSpec> arguments)
    {
        if (IsImage(arguments))
        {
            return "ImageInput";
        }

        foreach (ArgumentSpec argument in arguments)
        {
            if (argument.Name == "Features" && argument.Kind == ArgumentKind.Int && argument.Int != 0)
            {
                return "FeatureInput";
            }
        }

        return "TokenInput";
    }

    /// <summary>An image input: Channels, Height or Width written.</summary>
    private static bool IsImage(EquatableArray<ArgumentSpec> arguments)
    {
        foreach (ArgumentSpec argument in arguments)
        {
            if (argument.Name is "Channels" or "Height" or "Width")
            {
                return true;
            }
        }

        return false;
    }

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        if (IsImage(layer.Arguments))
        {
            PlanImage(c);
            return;
        }

        long maxLength = c.Int("MaxLength", 0);
        long features = c.Int("Features", 0);
        if (maxLength == 0 && features == 0)
        {
            c.Report(DiagnosticDescriptors.InputKindUnspecified, layer.AttributeLocation, layer.Name);
            return;
        }

        if ((layer.Argument("MaxLength") is not null && !c.CheckRange("MaxLength", maxLength, 1, "at least 1"))
            || (layer.Argument("Features") is not null && !c.CheckRange("Features", features, 1, "at least 1")))
        {
            return;
        }

        var dims = new List<Dim> { new("B", c.MaxBatch, DimKind.Batch) };
        string? source = null;
        if (maxLength > 0)
        {
            source = layer.Name;
            dims.Add(new Dim(c.SequenceName(layer.Name), maxLength, DimKind.Sequence) { Code = c.SequenceVariable(layer.Name) });
        }

        if (features > 0)
        {
            dims.Add(c.StaticDim("Features", features));
        }

        if (IsBatchMember(layer.Name))
        {
            c.Report(DiagnosticDescriptors.ReservedName, layer.MemberLocation, layer.Name, c.ClassName + ".Batch");
            return;
        }

        bool tokens = features == 0;
        var shape = new Shape(dims.ToEquatableArray(), tokens, source);
        if (!c.CheckTensor("the input " + shape.Named, shape.MaxElements))
        {
            return;
        }

        c.AddInput(new InputPlan(
            layer.Name,
            tokens,
            maxLength,
            layer.Argument("MaxLength")?.Display ?? maxLength.ToString(CultureInfo.InvariantCulture),
            features,
            c.Int("PadId", 0),
            0,
            string.Empty,
            false));
        if (maxLength > 0)
        {
            c.AddDim(layer.Name + "Length", maxLength, layer.Name + ": maximum sequence length");
        }

        if (features > 0)
        {
            c.AddDim(layer.Name + "Features", features, layer.Name + ": feature width");
        }

        c.Complete(shape, shape, [], [], 0, tokens ? "token ids" : "features");
    }

    /// <summary>Images [B, C, H, W]: all three sizes at least 1, no length or features beside them.</summary>
    private static void PlanImage(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        foreach (string other in new[] { "MaxLength", "Features" })
        {
            if (layer.Argument(other) is { } argument)
            {
                c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At(other), layer.Name, other, argument.Display, "left unset for an image input (Channels, Height, Width)");
                return;
            }
        }

        long channels = c.Int("Channels", 0), height = c.Int("Height", 0), width = c.Int("Width", 0);
        if (!c.CheckRange("Channels", channels, 1, "at least 1 (an image input declares Channels, Height and Width)")
            || !c.CheckRange("Height", height, 1, "at least 1 (an image input declares Channels, Height and Width)")
            || !c.CheckRange("Width", width, 1, "at least 1 (an image input declares Channels, Height and Width)"))
        {
            return;
        }

        if (IsBatchMember(layer.Name))
        {
            c.Report(DiagnosticDescriptors.ReservedName, layer.MemberLocation, layer.Name, c.ClassName + ".Batch");
            return;
        }

        var shape = Shape.Create(false, null, new Dim("B", c.MaxBatch, DimKind.Batch), c.StaticDim("Channels", channels), c.StaticDim("Height", height), c.StaticDim("Width", width));
        long features = Sizes.Multiply(channels, height, width);
        if (!c.CheckTensor("the input " + shape.Named, shape.MaxElements))
        {
            return;
        }

        c.AddInput(new InputPlan(layer.Name, false, 0, "0", features, 0, 0, string.Empty, false) { Image = new[] { channels, height, width }.ToEquatableArray() });
        c.AddDim(layer.Name + "Channels", channels, layer.Name + ": image channels");
        c.AddDim(layer.Name + "Height", height, layer.Name + ": image height");
        c.AddDim(layer.Name + "Width", width, layer.Name + ": image width");
        c.Complete(shape, shape, [], [], 0, "images");
    }

    public override string? TrainingUnsupported(LayerPlan layer, bool readsTokens) => null;

    /// <summary>Names the generated Batch type uses for its own members.</summary>
    private static bool IsBatchMember(string name) =>
        name is "Count" or "Labels" or "Targets" or "SetLabel" or "SetLabels" or "SetTarget" or "Batch"
        || name.EndsWith("Lengths", System.StringComparison.Ordinal) || name.EndsWith("Adjacency", System.StringComparison.Ordinal);

    public override string? OnnxUnsupported(LayerPlan layer) =>
        layer.Output.Rank == 4 ? "image inputs [B, C, H, W] have no ONNX export yet (issue 20)" : null;

    /// <summary>A graph input named by the layer's path: token ids int64 <c>[batch, {path}_length]</c> or float features.</summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title)
    {
        foreach (InputPlan input in c.Plan.Inputs)
        {
            if (input.Name == layer.Name)
            {
                bool sequence = input.Tokens || input.MaxLength > 0;
                c.Line(title);
                c.Line(input.Tokens
                    ? "g.TokenInput(" + OnnxContext.Quote(layer.Path) + ");"
                    : "g.FeatureInput(" + OnnxContext.Quote(layer.Path) + ", " + Literals.Int(input.Features) + ", sequence: " + (sequence ? "true" : "false") + ");");
                return new OnnxFlow(layer.Path, sequence ? layer.Path : null, input.Tokens ? 0 : input.Features);
            }
        }

        throw new System.InvalidOperationException("no input plan for " + layer.Name);
    }

    /// <summary>Token ids are read by their embedding; feature vectors are copied into the arena by <c>__Prepare</c> and handed on.</summary>
    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow? flow = null;
        foreach ((InputPlan input, Buffer buffer) in e.DenseInputs)
        {
            if (input.Name == layer.Name)
            {
                flow = new Flow(buffer, null, input.Features);
            }
        }

        foreach (Sequence input in e.Sequences)
        {
            if (input.Input.Name == layer.Name && input.Features is { } features)
            {
                flow = new Flow(features, input, input.Input.Features);
            }
        }

        return flow;
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary>The batch's ids or features, cut to the batch's longest row; images (stored [B, C·H·W]) viewed as [B, C, H, W].</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        if (layer.Output.Rank == 4)
        {
            c.Forward.Add(PyTorchContext.Out(layer) + " = batch[\"" + layer.Name + "\"].reshape(-1, " + PyTorchContext.Int(layer.Output.Dims[1].Size) + ", "
                + PyTorchContext.Int(layer.Output.Dims[2].Size) + ", " + PyTorchContext.Int(layer.Output.Dims[3].Size) + ")");
            return;
        }

        c.Forward.Add(PyTorchContext.Out(layer) + " = batch[\"" + layer.Name + "\"]"
            + (layer.Output.Source is { } sequence ? "[:, :" + PyTorchContext.T(sequence) + "]" : string.Empty));
    }
}
