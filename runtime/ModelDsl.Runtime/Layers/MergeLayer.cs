using ModelDsl.Memory;

namespace ModelDsl;

/// <summary>Two members merged with <c>[Add(...)]</c> or <c>[Concat(...)]</c>; it has no parameters.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class MergeLayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}
