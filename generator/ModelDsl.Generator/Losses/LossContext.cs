using ModelDsl.Generator.Common;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Losses;

/// <summary>What a loss descriptor's shape rule sees: the head it sits on, its planned output, the loss as declared, and a reporter.</summary>
internal sealed class LossContext
{
    private readonly ModelPlanner _planner;

    internal LossContext(ModelPlanner planner, LayerSpec head, Shape output, LossSpec loss)
    {
        _planner = planner;
        Head = head;
        Output = output;
        Loss = loss;
    }

    /// <summary>The layer carrying the loss.</summary>
    public LayerSpec Head { get; }

    /// <summary>The head's planned output shape.</summary>
    public Shape Output { get; }

    /// <summary>The loss attribute as declared.</summary>
    public LossSpec Loss { get; }

    /// <summary>The head's layer descriptor (planned heads always have one).</summary>
    public LayerDescriptor HeadDescriptor => LayerRegistry.Get(Head.Kind);

    /// <summary>Reports MDSL1007 (the head does not fit the loss) at the loss attribute.</summary>
    public void Mismatch(string message) => Report(Diagnostics.DiagnosticDescriptors.LossHeadMismatch, Loss.Location, Head.Name, message);

    /// <summary>Reports a diagnostic; the first argument is conventionally the head's name.</summary>
    public void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] arguments) =>
        _planner.Report(descriptor, location, arguments);

    /// <summary>The float argument <paramref name="name"/> of the loss, or <paramref name="fallback"/>.</summary>
    public float Float(string name, float fallback) => Loss.Argument(name) is { Kind: ArgumentKind.Float } argument ? argument.Float : fallback;

    /// <summary>The bool argument <paramref name="name"/> of the loss, or <paramref name="fallback"/>.</summary>
    public bool Bool(string name, bool fallback) => Loss.Argument(name) is { Kind: ArgumentKind.Bool } argument ? argument.Bool : fallback;

    /// <summary>The int argument <paramref name="name"/> of the loss, or <paramref name="fallback"/>.</summary>
    public long Int(string name, long fallback) => Loss.Argument(name) is { Kind: ArgumentKind.Int } argument ? argument.Int : fallback;

    /// <summary>Reports MDSL1008 at argument <paramref name="name"/> unless <paramref name="ok"/>; returns <paramref name="ok"/>.</summary>
    public bool CheckRange(string name, float value, bool ok, string rule)
    {
        if (!ok)
        {
            Report(Diagnostics.DiagnosticDescriptors.ArgumentOutOfRange, Loss.Argument(name)?.Location ?? Loss.Location, Head.Name, name,
                value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), rule);
        }

        return ok;
    }

    /// <summary>
    /// For class logits an autoregressive decoder feeds back: whether the head's classes equal the decoded input's vocabulary
    /// (MDSL1007 at the loss otherwise).
    /// </summary>
    public bool CheckDecodedVocabulary() =>
        !Output.HasSequence || Output.Source is not { } decoded || _planner.CheckDecodedVocabulary(Head, Loss, Output, decoded);

    /// <summary>Reports MDSL1007 unless the head's output is float (not token ids) of rank 2 or 3; returns whether it is.</summary>
    public bool RequireFloat(string attribute)
    {
        if (Output.Tokens || Output.Rank == 4)
        {
            // An image [B, C, H, W] has no loss yet: a head flattens or pools it first.
            Mismatch("[" + attribute + "] needs a float output [B, D] or [B, T, D], but '" + Head.Name + "' produces " + Output.Named);
            return false;
        }

        return true;
    }

    /// <summary>Reports MDSL1007 unless the head's output is float with at least 2 values (classes) per row; returns whether it is.</summary>
    public bool RequireClasses(string attribute)
    {
        if (!RequireFloat(attribute))
        {
            return false;
        }

        if (Output.Last.Size < 2)
        {
            Mismatch("[" + attribute + "] compares distributions over at least 2 classes, but '" + Head.Name + "' has " + Output.Last.Named + " per row");
            return false;
        }

        return true;
    }
}
