using ModelDsl.Memory;

namespace ModelDsl;

/// <summary>A token-id input <c>[B, T]</c> declared with <c>[Input(MaxLength)]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class TokenInput(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A dense input <c>[B, N]</c> or <c>[B, T, N]</c> declared with <c>[Input(Features = N)]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class FeatureInput(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A token embedding declared with <c>[Embedding(Vocab, D)]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class TokenEmbedding(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A position encoding declared with <c>[SinusoidalPositions]</c> or <c>[LearnedPositions(MaxLength)]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class Positions(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A Transformer encoder stack declared with <c>[TransformerEncoder]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class EncoderStack(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A Transformer decoder stack declared with <c>[TransformerDecoder]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class DecoderStack(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>Multi-head attention declared with <c>[MultiHeadAttention(Heads)]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class AttentionBlock(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A pooling over positions declared with <c>[MeanPool]</c>, <c>[FirstTokenPool]</c>, <c>[LastTokenPool]</c> or <c>[FinalStatePool]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class Pool(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A fully connected layer declared with <c>[Dense(Units)]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class Dense(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>Dropout declared with <c>[Dropout(P)]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class DropoutLayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A normalization declared with <c>[LayerNorm]</c> or <c>[BatchNorm]</c>.</summary>
/// <param name="info">The planned layer.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class Norm(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A <c>[RecurrentEncoder]</c> layer.</summary>
/// <param name="info">Shapes and parameters.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class RecurrentStack(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}

/// <summary>A <c>[RecurrentDecoder]</c> layer.</summary>
/// <param name="info">Shapes and parameters.</param>
/// <param name="parameters">The model's parameter block.</param>
public sealed class RecurrentDecoderLayer(LayerInfo info, AlignedBlock? parameters) : Layer(info, parameters)
{
}
