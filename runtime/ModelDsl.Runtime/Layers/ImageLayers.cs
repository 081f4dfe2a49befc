using ModelDsl.Memory;

namespace ModelDsl;

/// <summary>An image input <c>[B, C, H, W]</c> declared with <c>[Input(Channels = C, Height = H, Width = W)]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class ImageInput(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A 2-D convolution declared with <c>[Conv2d]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class Conv2dLayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>An image pooling layer: <c>[MaxPool2d]</c>, <c>[AvgPool2d]</c> or <c>[GlobalAvgPool2d]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class Pool2dLayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>An image flattened to one row per example, declared with <c>[Flatten]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class FlattenLayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A Vision Transformer patch embedding (patches, class token, positions) declared with <c>[PatchEmbedding]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class PatchEmbeddingLayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}
