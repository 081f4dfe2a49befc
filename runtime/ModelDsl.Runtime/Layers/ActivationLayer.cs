using ModelDsl.Memory;

namespace ModelDsl;

/// <summary>An element-wise activation declared with <c>[Activation(...)]</c>; it has no parameters.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class ActivationLayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}
