namespace ModelDsl.Generator.Parsing;

/// <summary>Metadata names of the DSL's runtime types, and the members the generator adds to a model.</summary>
internal static class KnownNames
{
    public const string Namespace = "ModelDsl";
    public const string ModelAttribute = "ModelDsl.ModelAttribute";

    /// <summary>The class name of <c>[Freeze]</c> (the trainer starts with the member frozen).</summary>
    public const string FreezeAttribute = "FreezeAttribute";

    /// <summary>The loss kind whose attribute class is <paramref name="attributeName"/>, or <see cref="LossKind.None"/>.</summary>
    public static LossKind LossKindOf(string attributeName) => Losses.LossRegistry.FromAttribute(attributeName)?.Kind ?? LossKind.None;

    /// <summary>The attribute's name as written, e.g. <c>TransformerEncoder</c>.</summary>
    public static string AttributeName(LayerKind kind) => Layers.LayerRegistry.Find(kind)?.AttributeName ?? kind.ToString();

    /// <summary>The loss attribute's name as written.</summary>
    public static string AttributeName(LossKind kind) => Losses.LossRegistry.Find(kind)?.AttributeName ?? kind.ToString();

    /// <summary>Members the generator adds to every model; a user member with one of these names is an error.</summary>
    public static bool IsReserved(string memberName) => memberName.StartsWith("__", System.StringComparison.Ordinal) || memberName switch
    {
        "MaxBatch" or "Dims" or "Batch" or "Trainer" or "CreateTrainer" or "StepDecoder" or "CreateDecoder" or "ParameterTable" or "LayerTable" or "ParameterCount" or "ParameterBlockLength"
            or "StateTable" or "StateBlockLength" or "ActivationTable" or "ActivationBlockLength" or "Summary" or "Mermaid" or "Dot"
            or "Parameters" or "State" => true,
        _ => false,
    };
}
