using System;
using System.IO;
using System.Threading;

namespace ModelDsl.Examples.DateTranslator.Tests;

// Console.SetOut is process-wide: these tests run one at a time, and no other test writes to the console.
[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;

[Collection(nameof(ConsoleCollection))]
public class TrainingProgressTests
{
    [Fact]
    public void Run_Plain_RunsEveryStep_PrintsALinePerTenth()
    {
        int calls = 0;
        string output = Capture(() =>
        {
            TrainingResult result = TrainingProgress.Run("train", 20, null, 8, (step, _) =>
            {
                Assert.Equal(++calls, step);
                return step;
            }, interactive: false);
            Assert.Equal(20, result.Steps);
            Assert.Equal(20f, result.LastLoss);
            Assert.Equal(TrainingStopReason.Steps, result.StopReason);
            Assert.True(result.ExamplesPerSecond > 0);
        });

        string[] lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal(10, lines.Length);
        Assert.StartsWith("train step 2/20 ( 10%)  loss 2.0000", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("train step 20/20 (100%)  loss 20.0000", lines[9], StringComparison.Ordinal);
        Assert.Contains(" ex/s  elapsed ", lines[9], StringComparison.Ordinal);
    }

    [Fact]
    public void Run_SmoothedLoss_IsAnExponentialAverage()
    {
        float[] losses = [1f, 3f, 3f];
        TrainingResult result = default!;
        Capture(() => result = TrainingProgress.Run("t", 3, null, 1, (step, _) => losses[step - 1], interactive: false));
        // 1, then 1 + 0.05 (3 - 1) = 1.1, then 1.1 + 0.05 (3 - 1.1) = 1.195.
        Assert.Equal(1.195, result.SmoothedLoss, 12);
    }

    [Fact]
    public void Run_Stop_EndsAfterThatStep()
    {
        TrainingResult result = default!;
        Capture(() => result = TrainingProgress.Run("t", 100, null, 1, (step, progress) =>
        {
            if (step == 3)
            {
                progress.Stop();
            }

            return 1f;
        }, interactive: false));
        Assert.Equal(3, result.Steps);
        Assert.Equal(TrainingStopReason.Requested, result.StopReason);
    }

    [Fact]
    public void Run_TimeLimit_EndsEarly()
    {
        TrainingResult result = default!;
        Capture(() => result = TrainingProgress.Run("t", 10_000, TimeSpan.FromMilliseconds(100), 1, (_, _) =>
        {
            Thread.Sleep(20);
            return 1f;
        }, interactive: false));
        Assert.Equal(TrainingStopReason.TimeLimit, result.StopReason);
        // At 20 ms a step, a 100 ms limit stops after about 5 steps; the bound only says it stopped early.
        Assert.InRange(result.Steps, 1, 9_999);
        Assert.True(result.Elapsed >= TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Run_RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Run("t", 0, null, 1, (_, _) => 0f, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Run("t", 1, null, 0, (_, _) => 0f, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Run("t", 1, TimeSpan.Zero, 1, (_, _) => 0f, false));
    }

    private static string Capture(Action action)
    {
        TextWriter original = Console.Out;
        using var writer = new StringWriter { NewLine = "\n" };
        Console.SetOut(writer);
        try
        {
            action();
        }
        finally
        {
            Console.SetOut(original);
        }

        return writer.ToString();
    }
}
