using ModelDsl.Memory;

namespace ModelDsl;

/// <summary>A 1-D convolution along a sequence, declared with <c>[Conv1d]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class Conv1dLayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}
