using System.Globalization;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>[Dropout(Probability)]: inverted dropout in training, the identity in evaluation (and for p = 0).</summary>
internal sealed class DropoutLayer : LayerDescriptor
{
    public static readonly DropoutLayer Instance = new();

    private DropoutLayer()
    {
    }

    public override LayerKind Kind => LayerKind.Dropout;

    public override string HandleType => "DropoutLayer";

    public override void Plan(LayerContext c)
    {
        float probability = c.Float("Probability", 0f);
        if (c.RequireFloat() && c.CheckProbability("Probability", probability))
        {
            c.Complete(c.Input, [], [("output", c.Input)], 0, "p = " + probability.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions neutral) => neutral with { Dropout = layer.Float("Probability", 0f) };
}
