using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>
/// Which valid models the forward/backward/trainer emitter handles: token inputs (each read by an embedding) and feature
/// inputs (dense or sequences), feeding a graph (From, Memory) of positions, Transformer encoder and decoder stacks,
/// standalone multi-head attention (self or cross, with or without attention dropout), recurrent encoders and decoders,
/// pools, dense, layer norm, batch norm and dropout layers, ending in a cross-entropy or MSE head on the last layer.
/// Anything else gets MDSL2002 and no trainer (the layout, properties and Batch are still emitted). A pure function of the plan,
/// shared by the planner (to report) and the emitter (to decide).
/// </summary>
internal static class TrainingSupport
{
    /// <summary>Null when the trainer can be emitted; otherwise what is not supported yet, for the MDSL2002 message.</summary>
    public static string? Unsupported(ModelPlan plan)
    {
        if (plan.Target is null)
        {
            return "training code for a model without a loss";
        }

        var tokenInputs = new System.Collections.Generic.HashSet<string>(System.StringComparer.Ordinal);
        foreach (InputPlan input in plan.Inputs)
        {
            if (input.Tokens)
            {
                tokenInputs.Add(input.Name);
            }
        }

        foreach (LayerPlan layer in plan.Layers)
        {
            bool readsTokens = layer.Options.Source is { } from && tokenInputs.Contains(from);
            switch (layer.Kind)
            {
                case LayerKind.Input:
                    break;
                case LayerKind.Embedding:
                    if (!readsTokens)
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
                case LayerKind.BatchNorm:
                case LayerKind.MultiHeadAttention:
                case LayerKind.TransformerEncoder:
                case LayerKind.TransformerDecoder:
                case LayerKind.RecurrentEncoder:
                case LayerKind.RecurrentDecoder:
                    if (layer.Options.Source is null || readsTokens)
                    {
                        return "training code for a layer that reads a token input without an [Embedding] (" + layer.Name + ")";
                    }

                    break;
                default:
                    return "training code for [" + KnownNames.AttributeName(layer.Kind) + "] layers (" + layer.Name + ")";
            }
        }

        LayerPlan last = plan.Layers[plan.Layers.Count - 1];
        if (plan.Target.Layer != last.Name || (plan.Target.Kind == LossKind.CrossEntropy && last.Kind != LayerKind.Dense))
        {
            return "training code for a loss that is not on the last declared layer";
        }

        return null;
    }
}
