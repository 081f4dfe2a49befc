using System.Collections.Generic;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// The layer kinds the generator knows, one descriptor each. This is the only place that maps a <see cref="LayerKind"/>
/// (or an attribute name) to what the kind means; every other stage asks the descriptor.
/// </summary>
internal static class LayerRegistry
{
    /// <summary>Every descriptor, in <see cref="LayerKind"/> order.</summary>
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
    ];

    private static readonly HashSet<string> HandleTypeNames = CollectHandleTypes();

    /// <summary>The descriptor of <paramref name="kind"/>; null for <see cref="LayerKind.Unknown"/>.</summary>
    public static LayerDescriptor? Find(LayerKind kind) => kind switch
    {
        LayerKind.Input => InputLayer.Instance,
        LayerKind.Embedding => EmbeddingLayer.Instance,
        LayerKind.SinusoidalPositions => SinusoidalPositionsLayer.Instance,
        LayerKind.LearnedPositions => LearnedPositionsLayer.Instance,
        LayerKind.TransformerEncoder => TransformerEncoderLayer.Instance,
        LayerKind.TransformerDecoder => TransformerDecoderLayer.Instance,
        LayerKind.MultiHeadAttention => MultiHeadAttentionLayer.Instance,
        LayerKind.MeanPool => MeanPoolLayer.Instance,
        LayerKind.FirstTokenPool => FirstTokenPoolLayer.Instance,
        LayerKind.LastTokenPool => LastTokenPoolLayer.Instance,
        LayerKind.Dense => DenseLayer.Instance,
        LayerKind.Dropout => DropoutLayer.Instance,
        LayerKind.LayerNorm => LayerNormLayer.Instance,
        LayerKind.BatchNorm => BatchNormLayer.Instance,
        LayerKind.RecurrentEncoder => RecurrentEncoderLayer.Instance,
        LayerKind.RecurrentDecoder => RecurrentDecoderLayer.Instance,
        _ => null,
    };

    /// <summary>The descriptor of a known layer. Planned layers always have one.</summary>
    public static LayerDescriptor Get(LayerKind kind) =>
        Find(kind) ?? throw new System.InvalidOperationException("layer kind " + kind + " has no descriptor");

    /// <summary>The descriptor whose attribute class is called <paramref name="attributeClassName"/> (e.g. <c>DenseAttribute</c>), or null.</summary>
    public static LayerDescriptor? FromAttribute(string attributeClassName)
    {
        foreach (LayerDescriptor descriptor in All)
        {
            if (descriptor.AttributeClassName == attributeClassName)
            {
                return descriptor;
            }
        }

        return null;
    }

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
}
