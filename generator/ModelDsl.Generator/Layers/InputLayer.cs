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

/// <summary>[Input(MaxLength)] token ids or [Input(Features = N)] feature vectors (optionally a sequence of them).</summary>
internal sealed class InputLayer : LayerDescriptor
{
    public static readonly InputLayer Instance = new();

    private InputLayer()
    {
    }

    public override LayerKind Kind => LayerKind.Input;

    public override string HandleType => "TokenInput";

    public override string[] HandleTypes => ["TokenInput", "FeatureInput"];

    public override bool IsInput => true;

    /// <summary>A feature input (Features written and non-zero) is a <c>FeatureInput</c>; token ids are a <c>TokenInput</c>.</summary>
    public override string HandleTypeFor(EquatableArray<ArgumentSpec> arguments)
    {
        foreach (ArgumentSpec argument in arguments)
        {
            if (argument.Name == "Features" && argument.Kind == ArgumentKind.Int && argument.Int != 0)
            {
                return "FeatureInput";
            }
        }

        return "TokenInput";
    }

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
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

    public override string? TrainingUnsupported(LayerPlan layer, bool readsTokens) => null;

    /// <summary>Names the generated Batch type uses for its own members.</summary>
    private static bool IsBatchMember(string name) =>
        name is "Count" or "Labels" or "Targets" or "SetLabel" or "SetLabels" or "SetTarget" or "Batch"
        || name.EndsWith("Lengths", System.StringComparison.Ordinal) || name.EndsWith("Adjacency", System.StringComparison.Ordinal);

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
}
