using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>[SinusoidalPositions]: adds the fixed sine/cosine table of the original Transformer.</summary>
internal sealed class SinusoidalPositionsLayer : LayerDescriptor
{
    public static readonly SinusoidalPositionsLayer Instance = new();

    private SinusoidalPositionsLayer()
    {
    }

    public override LayerKind Kind => LayerKind.SinusoidalPositions;

    public override string HandleType => "Positions";

    public override void Plan(LayerContext c)
    {
        Shape input = c.Input;
        if (!input.IsFloatSequence)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, c.Layer.AttributeLocation, c.Layer.Name, AttributeName, "a float sequence [B, T, D]", c.From, input.Named);
            return;
        }

        c.Complete(input, [], [("output", input)], 0, "sinusoidal");
    }
}
