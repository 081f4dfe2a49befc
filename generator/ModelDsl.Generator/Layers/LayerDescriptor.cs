using ModelDsl.Generator.Common;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// Everything the generator knows about one layer kind, in one file per kind (see <c>docs/architecture.md</c>). The stages
/// (parser, planner, emitters) ask the descriptor of a layer instead of switching over <see cref="LayerKind"/>; only
/// <see cref="LayerRegistry"/> maps kinds and attribute names to descriptors. Descriptors hold no state: one instance per kind.
/// </summary>
internal abstract class LayerDescriptor
{
    /// <summary>The kind this descriptor describes.</summary>
    public abstract LayerKind Kind { get; }

    /// <summary>The attribute's name as written, e.g. <c>TransformerEncoder</c>.</summary>
    public string AttributeName => Kind.ToString();

    /// <summary>The attribute class's metadata name without namespace, e.g. <c>TransformerEncoderAttribute</c>.</summary>
    public string AttributeClassName => AttributeName + "Attribute";

    /// <summary>The handle type (in namespace <c>ModelDsl</c>) the layer's property must have.</summary>
    public abstract string HandleType { get; }

    /// <summary>The handle type for a declaration with these arguments (inputs depend on them).</summary>
    public virtual string HandleTypeFor(EquatableArray<ArgumentSpec> arguments) => HandleType;

    /// <summary>Every handle type the kind may use (for recognizing a handle-typed property without an attribute).</summary>
    public virtual string[] HandleTypes => [HandleType];
}
