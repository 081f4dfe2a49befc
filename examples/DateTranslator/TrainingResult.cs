using System;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>How a <see cref="TrainingProgress.Run"/> loop ended.</summary>
/// <param name="Steps">Steps completed.</param>
/// <param name="Elapsed">Wall-clock time of the loop.</param>
/// <param name="LastLoss">Loss of the last step (NaN when no step ran).</param>
/// <param name="SmoothedLoss">Exponential moving average of the loss (the last ~20 steps weigh most).</param>
/// <param name="ExamplesPerSecond">Examples trained per second over the whole loop.</param>
/// <param name="StopReason">Why the loop ended.</param>
public sealed record TrainingResult(int Steps, TimeSpan Elapsed, float LastLoss, double SmoothedLoss, double ExamplesPerSecond, TrainingStopReason StopReason);
