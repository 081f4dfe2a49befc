using System.Collections.Generic;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Losses;

/// <summary>
/// The loss kinds the generator knows: the list of their descriptors. This is the only place that maps a <see cref="LossKind"/>
/// (or an attribute name) to what the kind means; every other stage asks the descriptor. A new loss is its descriptor file plus one
/// entry in <see cref="All"/> (docs/architecture.md).
/// </summary>
internal static class LossRegistry
{
    /// <summary>Every descriptor, once.</summary>
    public static readonly IReadOnlyList<LossDescriptor> All =
    [
        CrossEntropyLoss.Instance,
        MseLoss.Instance,
        L1Loss.Instance,
        BceWithLogitsLoss.Instance,
        SoftCrossEntropyLoss.Instance,
        KLDivergenceLoss.Instance,
    ];

    private static readonly Dictionary<LossKind, LossDescriptor> ByKind = Index(All, descriptor => descriptor.Kind);

    private static readonly Dictionary<string, LossDescriptor> ByAttributeClass = Index(All, descriptor => descriptor.AttributeClassName);

    /// <summary>The descriptor of <paramref name="kind"/>; null for <see cref="LossKind.None"/> or an unknown kind.</summary>
    public static LossDescriptor? Find(LossKind kind) => ByKind.TryGetValue(kind, out LossDescriptor? descriptor) ? descriptor : null;

    /// <summary>The descriptor of a known loss. Planned losses always have one.</summary>
    public static LossDescriptor Get(LossKind kind) =>
        Find(kind) ?? throw new System.InvalidOperationException("loss kind " + kind + " has no descriptor");

    /// <summary>The descriptor whose attribute class is called <paramref name="attributeClassName"/> (e.g. <c>MseLossAttribute</c>), or null.</summary>
    public static LossDescriptor? FromAttribute(string attributeClassName) =>
        ByAttributeClass.TryGetValue(attributeClassName, out LossDescriptor? descriptor) ? descriptor : null;

    /// <summary>The attribute names as written, for messages (<c>[CrossEntropyLoss]</c>, <c>[MseLoss]</c>, ...).</summary>
    public static string AttributeList()
    {
        var names = new List<string>();
        foreach (LossDescriptor descriptor in All)
        {
            names.Add("[" + descriptor.AttributeName + "]");
        }

        return string.Join(", ", names);
    }

    /// <summary>The descriptors by <paramref name="key"/>; two descriptors with one key fail here, when the registry is first used.</summary>
    private static Dictionary<TKey, LossDescriptor> Index<TKey>(IReadOnlyList<LossDescriptor> descriptors, System.Func<LossDescriptor, TKey> key)
        where TKey : notnull
    {
        var index = new Dictionary<TKey, LossDescriptor>();
        foreach (LossDescriptor descriptor in descriptors)
        {
            index.Add(key(descriptor), descriptor);
        }

        return index;
    }
}
