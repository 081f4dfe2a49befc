namespace ModelDsl.Data;

/// <summary>A token sequence and its class (text classification).</summary>
/// <param name="Tokens">The token ids.</param>
/// <param name="Label">The class.</param>
public sealed record LabeledTokens(int[] Tokens, int Label);

/// <summary>A token sequence and one label per token (tagging).</summary>
/// <param name="Tokens">The token ids.</param>
/// <param name="Tags">One label per token, as many as <paramref name="Tokens"/>.</param>
public sealed record TaggedTokens(int[] Tokens, int[] Tags);

/// <summary>A source and a target sequence, without special tokens (translation, seq2seq).</summary>
/// <param name="Source">The source's token ids.</param>
/// <param name="Target">The target's token ids; BOS and EOS are added when the row is written.</param>
public sealed record TokenPair(int[] Source, int[] Target);

/// <summary>A feature vector (or a sequence of them, position after position) and its class.</summary>
/// <param name="Features">The values.</param>
/// <param name="Label">The class.</param>
public sealed record LabeledFeatures(float[] Features, int Label);

/// <summary>A feature vector (or a sequence of them) and its regression targets.</summary>
/// <param name="Features">The values.</param>
/// <param name="Targets">The targets.</param>
public sealed record FeatureTargets(float[] Features, float[] Targets);
