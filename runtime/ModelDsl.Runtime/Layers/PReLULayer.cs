using ModelDsl.Memory;

namespace ModelDsl;

/// <summary>A learned-slope activation declared with <c>[PReLU]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class PReLULayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}
