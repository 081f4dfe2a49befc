using ModelDsl.Memory;

namespace ModelDsl;

/// <summary>The MLP-Mixer's token mixing (a Dense over the token axis), declared with <c>[TokenMixing]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class TokenMixingLayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}
