using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>
/// Which valid models the forward/backward/trainer emitter handles today: one token input feeding a chain of
/// embedding, positions, Transformer stacks without memory, pools, dense, layer norm and dropout layers, ending in a
/// cross-entropy head. Everything else gets MDSL2002 and no trainer (the layout, properties and Batch are still
/// emitted). A pure function of the plan, shared by the planner (to report) and the emitter (to decide).
/// </summary>
internal static class TrainingSupport
{
    private const int MaskCausal = 1;
    private const int MaskKeyPadding = 2;

    /// <summary>Null when the trainer can be emitted; otherwise what is not supported yet, for the MDSL2002 message.</summary>
    public static string? Unsupported(ModelPlan plan)
    {
        if (plan.Inputs.Count != 1 || !plan.Inputs[0].Tokens)
        {
            return "training code for models other than a single token [Input]";
        }

        if (plan.Target is null)
        {
            return "training code for a model without a loss";
        }

        if (plan.Target.Kind != LossKind.CrossEntropy)
        {
            return "training code for a [MseLoss] head";
        }

        for (int i = 0; i < plan.Layers.Count; i++)
        {
            LayerPlan layer = plan.Layers[i];
            if (i > 0 && layer.Options.Source != plan.Layers[i - 1].Name)
            {
                return "training code for layers that do not read the layer declared just before them (" + layer.Name + ")";
            }

            switch (layer.Kind)
            {
                case LayerKind.Input:
                    if (i != 0)
                    {
                        return "training code for a second [Input]";
                    }

                    break;
                case LayerKind.Embedding:
                    if (i != 1)
                    {
                        return "training code for an [Embedding] that does not read the token input directly (" + layer.Name + ")";
                    }

                    break;
                case LayerKind.TransformerEncoder:
                case LayerKind.TransformerDecoder:
                    if (layer.Options.Memory is not null)
                    {
                        return "training code for a decoder with Memory (cross-attention) (" + layer.Name + ")";
                    }

                    if ((layer.Options.Mask & ~(MaskCausal | MaskKeyPadding)) != 0)
                    {
                        return "training code for LocalWindow or Graph masks (" + layer.Name + ")";
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
                    break;
                default:
                    return "training code for [" + KnownNames.AttributeName(layer.Kind) + "] layers (" + layer.Name + ")";
            }
        }

        LayerPlan last = plan.Layers[plan.Layers.Count - 1];
        if (last.Kind != LayerKind.Dense || plan.Target.Layer != last.Name)
        {
            return "training code for a loss that is not on the last declared layer";
        }

        return null;
    }
}
