using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>
/// Which valid models the forward/backward/trainer emitter handles today: token inputs, each read by an embedding,
/// feeding a graph (From, Memory) of positions, Transformer encoder and decoder stacks (with cross-attention to a
/// Memory, every mask kind), pools, dense, layer norm and dropout layers, ending in a cross-entropy head. Everything else gets MDSL2002 and no trainer (the layout, properties and Batch are still
/// emitted). A pure function of the plan, shared by the planner (to report) and the emitter (to decide).
/// </summary>
internal static class TrainingSupport
{
    /// <summary>Null when the trainer can be emitted; otherwise what is not supported yet, for the MDSL2002 message.</summary>
    public static string? Unsupported(ModelPlan plan)
    {
        foreach (InputPlan input in plan.Inputs)
        {
            if (!input.Tokens)
            {
                return "training code for a feature [Input] (" + input.Name + ")";
            }
        }

        if (plan.Target is null)
        {
            return "training code for a model without a loss";
        }

        if (plan.Target.Kind != LossKind.CrossEntropy)
        {
            return "training code for a [MseLoss] head";
        }

        var kinds = new System.Collections.Generic.Dictionary<string, LayerKind>(System.StringComparer.Ordinal);
        foreach (LayerPlan layer in plan.Layers)
        {
            LayerKind? source = layer.Options.Source is { } from && kinds.TryGetValue(from, out LayerKind kind) ? kind : null;
            switch (layer.Kind)
            {
                case LayerKind.Input:
                    break;
                case LayerKind.Embedding:
                    if (source != LayerKind.Input)
                    {
                        return "training code for an [Embedding] that does not read a token input directly (" + layer.Name + ")";
                    }

                    break;
                case LayerKind.SinusoidalPositions:
                case LayerKind.LearnedPositions:
                case LayerKind.MeanPool:
                case LayerKind.FirstTokenPool:
                case LayerKind.LastTokenPool:
                case LayerKind.Dense:
                case LayerKind.Dropout:
                case LayerKind.LayerNorm:
                case LayerKind.TransformerEncoder:
                case LayerKind.TransformerDecoder:
                case LayerKind.RecurrentEncoder:
                case LayerKind.RecurrentDecoder:
                    if (source is null or LayerKind.Input)
                    {
                        return "training code for a layer that reads a token input without an [Embedding] (" + layer.Name + ")";
                    }

                    break;
                default:
                    return "training code for [" + KnownNames.AttributeName(layer.Kind) + "] layers (" + layer.Name + ")";
            }

            kinds[layer.Name] = layer.Kind;
        }

        LayerPlan last = plan.Layers[plan.Layers.Count - 1];
        if (last.Kind != LayerKind.Dense || plan.Target.Layer != last.Name)
        {
            return "training code for a loss that is not on the last declared layer";
        }

        return null;
    }
}
