using System.Collections.Generic;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// The layer kinds the generator knows: the list of their descriptors. This is the only place that maps a <see cref="LayerKind"/>
/// (or an attribute name) to what the kind means; every other stage asks the descriptor. Each descriptor carries its kind and
/// attribute name, so a new kind is its descriptor file plus one entry in <see cref="All"/> (docs/architecture.md).
/// </summary>
internal static class LayerRegistry
{
    /// <summary>
    /// Every descriptor, once. The order is the order of per-kind decoder state in a generated <c>StepDecoder</c>: append new
    /// kinds at the end.
    /// </summary>
    public static readonly IReadOnlyList<LayerDescriptor> All =
    [
        InputLayer.Instance,
        EmbeddingLayer.Instance,
        SinusoidalPositionsLayer.Instance,
        LearnedPositionsLayer.Instance,
        TransformerEncoderLayer.Instance,
        TransformerDecoderLayer.Instance,
        MultiHeadAttentionLayer.Instance,
        MeanPoolLayer.Instance,
        FirstTokenPoolLayer.Instance,
        LastTokenPoolLayer.Instance,
        DenseLayer.Instance,
        DropoutLayer.Instance,
        LayerNormLayer.Instance,
        BatchNormLayer.Instance,
        RecurrentEncoderLayer.Instance,
        RecurrentDecoderLayer.Instance,
        PReLULayer.Instance,
        FinalStatePoolLayer.Instance,
        ActivationLayer.Instance,
        AddLayer.Instance,
        ConcatLayer.Instance,
        Conv2dLayer.Instance,
        MaxPool2dLayer.Instance,
        AvgPool2dLayer.Instance,
        GlobalAvgPool2dLayer.Instance,
        FlattenLayer.Instance,
        PatchEmbeddingLayer.Instance,
        PointerGeneratorLayer.Instance,
        Conv1dLayer.Instance,
        TokenMixingLayer.Instance,
    ];

    private static readonly Dictionary<LayerKind, LayerDescriptor> ByKind = Index(All, descriptor => descriptor.Kind);

    private static readonly Dictionary<string, LayerDescriptor> ByAttributeClass = Index(All, descriptor => descriptor.AttributeClassName);

    private static readonly HashSet<string> HandleTypeNames = CollectHandleTypes();

    /// <summary>The descriptor of <paramref name="kind"/>; null for <see cref="LayerKind.Unknown"/>.</summary>
    public static LayerDescriptor? Find(LayerKind kind) => ByKind.TryGetValue(kind, out LayerDescriptor? descriptor) ? descriptor : null;

    /// <summary>The descriptor of a known layer. Planned layers always have one.</summary>
    public static LayerDescriptor Get(LayerKind kind) =>
        Find(kind) ?? throw new System.InvalidOperationException("layer kind " + kind + " has no descriptor");

    /// <summary>The descriptor whose attribute class is called <paramref name="attributeClassName"/> (e.g. <c>DenseAttribute</c>), or null.</summary>
    public static LayerDescriptor? FromAttribute(string attributeClassName) =>
        ByAttributeClass.TryGetValue(attributeClassName, out LayerDescriptor? descriptor) ? descriptor : null;

    /// <summary>Whether <paramref name="metadataName"/> (e.g. <c>ModelDsl.Dense</c>) is a layer handle type.</summary>
    public static bool IsHandleType(string metadataName) => HandleTypeNames.Contains(metadataName);

    private static HashSet<string> CollectHandleTypes()
    {
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (LayerDescriptor descriptor in All)
        {
            foreach (string type in descriptor.HandleTypes)
            {
                names.Add(KnownNames.Namespace + "." + type);
            }
        }

        return names;
    }

    /// <summary>The descriptors by <paramref name="key"/>; two descriptors with one key fail here, when the registry is first used.</summary>
    private static Dictionary<TKey, LayerDescriptor> Index<TKey>(IReadOnlyList<LayerDescriptor> descriptors, System.Func<LayerDescriptor, TKey> key)
        where TKey : notnull
    {
        var index = new Dictionary<TKey, LayerDescriptor>();
        foreach (LayerDescriptor descriptor in descriptors)
        {
            index.Add(key(descriptor), descriptor);
        }

        return index;
    }
}
