using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>
/// Which valid models the forward/backward/trainer emitter handles: token inputs (each read by an embedding) and feature
/// inputs (dense or sequences), feeding a graph (From, Memory) of positions, Transformer encoder and decoder stacks,
/// standalone multi-head attention (self or cross, with or without attention dropout), recurrent encoders and decoders,
/// pools, dense, layer norm, batch norm and dropout layers, ending in one or more loss heads (the last declared layer among them).
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
            if (Layers.LayerRegistry.Find(layer.Kind) is not { } descriptor)
            {
                return "training code for [" + KnownNames.AttributeName(layer.Kind) + "] layers (" + layer.Name + ")";
            }

            if (descriptor.TrainingUnsupported(layer, readsTokens) is { } unsupported)
            {
                return unsupported;
            }
        }

        if (plan.Losses.Count > 1)
        {
            foreach (TargetPlan loss in plan.Losses)
            {
                if (loss.Options is Losses.CrossEntropyOptions { ClassWeights: true })
                {
                    return "training code for [CrossEntropyLoss(ClassWeights = true)] in a model with several losses (" + loss.Name + ")";
                }
            }
        }

        return null;
    }
}
