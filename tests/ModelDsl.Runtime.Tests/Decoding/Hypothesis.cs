namespace ModelDsl.Tests.Decoding;

/// <summary>An output sequence found by an oracle: tokens without start or end, its log-probability and score.</summary>
internal sealed record Hypothesis(int[] Tokens, float LogProbability, float Score, bool Ended);
