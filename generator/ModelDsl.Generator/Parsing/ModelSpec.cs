using ModelDsl.Generator.Common;

namespace ModelDsl.Generator.Parsing;

/// <summary>What the user declared: one model class, as plain equatable data (no symbols, no syntax).</summary>
/// <param name="Namespace">Containing namespace, empty for the global namespace.</param>
/// <param name="ClassName">Class name.</param>
/// <param name="CanEmit">False when no generated part could compile (class not partial, nested, generic...).</param>
/// <param name="MaxBatch">Declared MaxBatch (0 when missing).</param>
/// <param name="MaxBatchLocation">The MaxBatch argument, or the [Model] attribute when missing.</param>
/// <param name="HasBrokenAttributes">An attribute the compiler could not bind (it reports that error itself).</param>
/// <param name="Layers">Layer members in declaration order.</param>
/// <param name="Diagnostics">Declaration errors found while parsing.</param>
internal sealed record ModelSpec(
    string Namespace,
    string ClassName,
    bool CanEmit,
    int MaxBatch,
    LocationInfo? MaxBatchLocation,
    LocationInfo? ClassLocation,
    bool HasBrokenAttributes,
    EquatableArray<StringValue> MemberNames,
    EquatableArray<LayerSpec> Layers,
    EquatableArray<DiagnosticInfo> Diagnostics)
{
    /// <summary>Namespace-qualified name used for hint names, e.g. <c>Demo.Classifier</c>.</summary>
    public string FullName => Namespace.Length == 0 ? ClassName : Namespace + "." + ClassName;
}

/// <summary>
/// A layer kind, identified by its attribute's name as written (<c>Dense</c> for <c>[Dense]</c>). The kinds the generator knows
/// are the descriptors listed in <c>LayerRegistry.All</c>; each descriptor declares its own kind (<c>new LayerKind("PReLU")</c>),
/// so a new kind adds nothing here. The named kinds below are those that existed before the registry became a list; descriptors
/// and tests refer to them. <see cref="Unknown"/> (the default) is a member with only a loss or only a handle type.
/// </summary>
/// <param name="Name">The attribute's name without <c>Attribute</c>; null for <see cref="Unknown"/>.</param>
internal readonly record struct LayerKind(string? Name)
{
    public static readonly LayerKind Unknown = default;
    public static readonly LayerKind Input = new("Input");
    public static readonly LayerKind Embedding = new("Embedding");
    public static readonly LayerKind SinusoidalPositions = new("SinusoidalPositions");
    public static readonly LayerKind LearnedPositions = new("LearnedPositions");
    public static readonly LayerKind TransformerEncoder = new("TransformerEncoder");
    public static readonly LayerKind TransformerDecoder = new("TransformerDecoder");
    public static readonly LayerKind MultiHeadAttention = new("MultiHeadAttention");
    public static readonly LayerKind MeanPool = new("MeanPool");
    public static readonly LayerKind FirstTokenPool = new("FirstTokenPool");
    public static readonly LayerKind LastTokenPool = new("LastTokenPool");
    public static readonly LayerKind Dense = new("Dense");
    public static readonly LayerKind Dropout = new("Dropout");
    public static readonly LayerKind LayerNorm = new("LayerNorm");
    public static readonly LayerKind BatchNorm = new("BatchNorm");
    public static readonly LayerKind RecurrentEncoder = new("RecurrentEncoder");
    public static readonly LayerKind RecurrentDecoder = new("RecurrentDecoder");

    /// <summary>The attribute's name, or <c>Unknown</c>.</summary>
    public override string ToString() => Name ?? "Unknown";
}

/// <summary>
/// A loss kind, identified by its attribute's name as written (<c>CrossEntropyLoss</c> for <c>[CrossEntropyLoss]</c>). The kinds the
/// generator knows are the descriptors listed in <c>LossRegistry.All</c> (one file each under <c>Losses/</c>); each declares its own
/// kind, so a new loss adds nothing here. <see cref="None"/> (the default) is a member without a loss.
/// </summary>
/// <param name="Name">The attribute's name without <c>Attribute</c>; null for <see cref="None"/>.</param>
internal readonly record struct LossKind(string? Name)
{
    public static readonly LossKind None = default;

    /// <summary>The attribute's name, or <c>None</c>.</summary>
    public override string ToString() => Name ?? "None";
}

/// <summary>One layer member.</summary>
/// <param name="Name">Member name.</param>
/// <param name="Kind">Layer attribute (Unknown when the member has only a loss or only a handle type).</param>
/// <param name="Modifiers">Accessibility keywords as written, repeated on the implementation.</param>
/// <param name="PropertyType">Declared type, fully qualified with global::, null when it is not a usable type.</param>
/// <param name="Implementable">The generator may emit the partial property implementation.</param>
/// <param name="Broken">The attribute did not bind; planning skips the model's shape checks.</param>
internal sealed record LayerSpec(
    string Name,
    LayerKind Kind,
    string Modifiers,
    string? PropertyType,
    bool Implementable,
    LocationInfo? MemberLocation,
    LocationInfo? AttributeLocation,
    EquatableArray<ArgumentSpec> Arguments,
    LossSpec? Loss,
    bool Broken)
{
    /// <summary>Every loss attribute on the member, in declaration order (<see cref="Loss"/> is the first).</summary>
    public EquatableArray<LossSpec> Losses { get; init; } = EquatableArray<LossSpec>.Empty;

    public ArgumentSpec? Argument(string name)
    {
        foreach (ArgumentSpec argument in Arguments)
        {
            if (argument.Name == name)
            {
                return argument;
            }
        }

        return null;
    }

    /// <summary>The int (or enum) argument <paramref name="name"/>, or <paramref name="fallback"/> when it was not written.</summary>
    public long Int(string name, long fallback) => Argument(name) is { Kind: ArgumentKind.Int } argument ? argument.Int : fallback;

    /// <summary>The float argument <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public float Float(string name, float fallback) => Argument(name) is { Kind: ArgumentKind.Float } argument ? argument.Float : fallback;

    /// <summary>The bool argument <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public bool Bool(string name, bool fallback) => Argument(name) is { Kind: ArgumentKind.Bool } argument ? argument.Bool : fallback;

    /// <summary>The string argument <paramref name="name"/> (a member name given with nameof), or null.</summary>
    public string? Text(string name) => Argument(name) is { Kind: ArgumentKind.String, Text: { } text } ? text : null;
}

/// <summary>A loss attribute on a layer member.</summary>
internal sealed record LossSpec(LossKind Kind, LocationInfo? Location, EquatableArray<ArgumentSpec> Arguments)
{
    public ArgumentSpec? Argument(string name)
    {
        foreach (ArgumentSpec argument in Arguments)
        {
            if (argument.Name == name)
            {
                return argument;
            }
        }

        return null;
    }
}

/// <summary>How an argument's value is stored.</summary>
internal enum ArgumentKind
{
    Int,
    Float,
    Bool,
    String,
}

/// <summary>
/// One attribute argument with its constant value. <see cref="Symbol"/> keeps the name the user wrote when
/// the argument is a simple name or member access (<c>D</c>, <c>Sizes.D</c>), so messages say "D (64)".
/// </summary>
internal sealed record ArgumentSpec(string Name, ArgumentKind Kind, long Int, float Float, bool Bool, string? Text, string? Symbol, LocationInfo? Location)
{
    /// <summary>"D (64)" when the user wrote a name, else "64".</summary>
    public string Display
    {
        get
        {
            string value = Kind switch
            {
                ArgumentKind.Float => Float.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                ArgumentKind.Bool => Bool ? "true" : "false",
                ArgumentKind.String => Text ?? "null",
                _ => Int.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            return Symbol is null ? value : Symbol + " (" + value + ")";
        }
    }
}
