using Microsoft.CodeAnalysis;

namespace ModelDsl.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. Ids: MDSL0xxx declaration, MDSL1xxx shapes, MDSL2xxx unsupported,
/// MDSL9xxx internal. Each has a page under docs/diagnostics/ and a test that asserts it alone.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Declaration = "ModelDsl.Declaration";
    private const string Shapes = "ModelDsl.Shapes";
    private const string Unsupported = "ModelDsl.Unsupported";
    private const string Internal = "ModelDsl.Internal";

    /// <summary>Where the diagnostics' docs pages are published: the repository's docs/diagnostics/ folder.</summary>
    internal const string HelpLinkBase = "https://github.com/modeldsl/ModelDsl/blob/main/docs/diagnostics/";

    public static readonly DiagnosticDescriptor ModelNotPartial = Error(
        "MDSL0001", Declaration, "Model class must be partial",
        "Model class '{0}' must be declared partial so the generator can add its members");

    public static readonly DiagnosticDescriptor UnsupportedModelClass = Error(
        "MDSL0002", Declaration, "Model class must be a top-level, non-generic, non-static class",
        "Model class '{0}' must be a top-level, non-generic, non-static class: it is {1}");

    public static readonly DiagnosticDescriptor UnsupportedMember = Error(
        "MDSL0003", Declaration, "A layer must be a get-only partial property",
        "{0}: {1}");

    public static readonly DiagnosticDescriptor WrongHandleType = Error(
        "MDSL0004", Declaration, "Layer property has the wrong type",
        "{0}: [{1}] needs a property of type {2}, not {3}");

    public static readonly DiagnosticDescriptor MissingMaxBatch = Error(
        "MDSL0005", Declaration, "Model must declare MaxBatch",
        "Model '{0}' must declare its maximum batch size, e.g. [Model(MaxBatch = 32)]");

    public static readonly DiagnosticDescriptor NoInput = Error(
        "MDSL0006", Declaration, "Model or layer has no input",
        "{0}: {1}");

    public static readonly DiagnosticDescriptor UnknownReference = Error(
        "MDSL0007", Declaration, "Reference names no layer",
        "{0}: {1} = \"{2}\" names no layer of {3}");

    public static readonly DiagnosticDescriptor ForwardReference = Error(
        "MDSL0008", Declaration, "Reference to a later layer",
        "{0}: {1} = \"{2}\" names a layer declared after it; a layer can only read layers declared before it");

    public static readonly DiagnosticDescriptor SelfReference = Error(
        "MDSL0009", Declaration, "Layer reads itself",
        "{0}: {1} = \"{2}\" names the layer itself, which would be a cycle");

    public static readonly DiagnosticDescriptor DuplicateParameterPrefix = Error(
        "MDSL0010", Declaration, "Two layers map to the same parameter name",
        "{0}: its parameter prefix '{1}' is already used by layer '{2}'");

    public static readonly DiagnosticDescriptor ReservedName = Error(
        "MDSL0011", Declaration, "Name reserved for a generated member",
        "{0}: the name is reserved for a member the generator adds to {1}");

    public static readonly DiagnosticDescriptor MultipleLayerAttributes = Error(
        "MDSL0012", Declaration, "A member carries more than one layer attribute",
        "{0}: a member can carry only one layer attribute, found [{1}] and [{2}]");

    public static readonly DiagnosticDescriptor MissingLoss = new(
        "MDSL0013", "Model declares no loss",
        "Model '{0}' declares no loss; add [CrossEntropyLoss] or [MseLoss] to its last layer '{1}' to train it",
        Declaration, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("MDSL0013"));

    public static readonly DiagnosticDescriptor InputKindUnspecified = Error(
        "MDSL0015", Declaration, "Input declares neither a length nor features",
        "{0}: [Input] needs a maximum length (token ids, [Input(Length)]) or Features (a dense vector, [Input(Features = N)])");

    public static readonly DiagnosticDescriptor WidthMismatch = Error(
        "MDSL1001", Shapes, "Layer width does not match its input",
        "{0}: expects input {1} but '{2}' produces {3}");

    public static readonly DiagnosticDescriptor HeadsMustDivideWidth = Error(
        "MDSL1002", Shapes, "Heads must divide the model width",
        "{0}: Heads ({1}) must divide the model width {2}");

    public static readonly DiagnosticDescriptor MemoryMismatch = Error(
        "MDSL1003", Shapes, "Cross-attention memory does not fit the queries",
        "{0}: cross-attention memory '{1}' produces {2}, but {3}");

    public static readonly DiagnosticDescriptor TiedWeightMismatch = Error(
        "MDSL1004", Shapes, "Tied weights have incompatible shapes",
        "{0}: cannot tie to '{1}': {2}");

    public static readonly DiagnosticDescriptor WindowRadiusOutOfRange = Error(
        "MDSL1005", Shapes, "Window radius out of range",
        "{0}: WindowRadius ({1}) must be between 1 and {2} (the maximum length {3} minus one)");

    public static readonly DiagnosticDescriptor PoolingNeedsSequence = Error(
        "MDSL1006", Shapes, "Pooling needs a sequence",
        "{0}: [{1}] pools over positions but '{2}' produces {3}, which has no sequence dimension");

    public static readonly DiagnosticDescriptor LossHeadMismatch = Error(
        "MDSL1007", Shapes, "Output head does not fit its loss",
        "{0}: {1}");

    public static readonly DiagnosticDescriptor ArgumentOutOfRange = Error(
        "MDSL1008", Shapes, "Size or argument out of range",
        "{0}: {1} ({2}) must be {3}");

    public static readonly DiagnosticDescriptor TooLarge = Error(
        "MDSL1009", Shapes, "Tensor or parameter block too large",
        "{0}: {1} has {2} elements, more than the limit of {3}");

    public static readonly DiagnosticDescriptor InputKindMismatch = Error(
        "MDSL1010", Shapes, "Layer cannot read its input",
        "{0}: [{1}] needs {2} but '{3}' produces {4}");

    public static readonly DiagnosticDescriptor SequenceTooLong = Error(
        "MDSL1011", Shapes, "Learned positions shorter than the sequence",
        "{0}: MaxLength ({1}) is shorter than the sequence of '{2}' {3}");

    public static readonly DiagnosticDescriptor MergeMismatch = Error(
        "MDSL1012", Shapes, "Merged members do not fit together",
        "{0}: [{1}] cannot merge '{2}' {3} with '{4}' {5}: {6}");

    public static readonly DiagnosticDescriptor LossNameConflict = Error(
        "MDSL1013", Shapes, "Loss name unusable or taken",
        "{0}: {1}");

    public static readonly DiagnosticDescriptor LayerAfterLastLoss = Error(
        "MDSL1014", Shapes, "Layer after the last loss head",
        "{0}: declared after the last loss head '{1}', its output reaches no loss and would never train; put a loss on it or remove it");

    public static readonly DiagnosticDescriptor SeveralPrimaryLosses = Error(
        "MDSL1015", Shapes, "More than one primary loss",
        "{0}: Primary = true, but loss '{1}' is already primary; one loss drives Logits, Predict and accuracy");

    public static readonly DiagnosticDescriptor EmptyImageOutput = Error(
        "MDSL1020", Shapes, "Convolution or pooling output would be empty",
        "{0}: the output {1} would be {2} = {3}; the window must fit the padded input");

    public static readonly DiagnosticDescriptor UnsupportedFeature = Error(
        "MDSL2001", Unsupported, "Unsupported combination",
        "{0}: {1} is not supported");

    public static readonly DiagnosticDescriptor TrainingNotSupportedYet = new(
        "MDSL2002", "Training code not generated yet",
        "Model '{0}': {1} is not supported yet; the layout, layer properties and Batch are generated, but no CreateTrainer/Trainer",
        Unsupported, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("MDSL2002"));

    public static readonly DiagnosticDescriptor MemberNameAsString = new(
        "MDSL0016", "Use nameof for a member name",
        "Write nameof({0}) instead of \"{0}\": a rename then updates it",
        Declaration, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLink("MDSL0016"));

    public static readonly DiagnosticDescriptor UndisposedTrainerOrDecoder = new(
        "MDSL0017", "Trainer or StepDecoder is never disposed",
        "The {0} made by {1} is never disposed, so its worker threads and native memory stay allocated; declare it with 'using var'",
        Declaration, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("MDSL0017"));

    public static readonly DiagnosticDescriptor UnreadMember = new(
        "MDSL0018", "Member is never read",
        "'{0}' is never read: no later member takes it as its input (From = nameof({0})) or as its Memory; connect it or remove it",
        Declaration, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("MDSL0018"));

    public static readonly DiagnosticDescriptor ImplicitEmbeddingInput = new(
        "MDSL0019", "Embedding reads the member before it while the model has several token inputs",
        "{0}: reads '{1}' only because it is the member before it, while the model has several token inputs ({2}); write From = nameof({1}) if that is meant",
        Declaration, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("MDSL0019"));

    public static readonly DiagnosticDescriptor LastTokenOfBidirectionalEncoder = new(
        "MDSL0020", "[LastTokenPool] reads a bidirectional encoder",
        "{0}: [LastTokenPool] reads the bidirectional encoder '{1}', whose reverse half at the last position has seen only the last token; use [FinalStatePool] for the final state of both directions (torch.cat([h_n[-2], h_n[-1]], -1))",
        Declaration, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("MDSL0020"));

    public static readonly DiagnosticDescriptor NoStepDecoder = new(
        "MDSL0021", "No StepDecoder for a model that predicts its own input",
        "Model '{0}' predicts the tokens of its input per position but gets no StepDecoder (no CreateDecoder): {1}",
        Declaration, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLink("MDSL0021"));

    public static readonly DiagnosticDescriptor InternalError = Error(
        "MDSL9001", Internal, "Internal generator error",
        "ModelDsl generator internal error while processing '{0}': {1}");

    private static DiagnosticDescriptor Error(string id, string category, string title, string message) =>
        new(id, title, message, category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    /// <summary>The docs page of a diagnostic: docs/diagnostics/{id}.md in the repository (a test checks each exists).</summary>
    internal static string HelpLink(string id) => HelpLinkBase + id + ".md";
}
