using System;
using System.IO;
using System.Linq;

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
        var clock = new ManualClock();
        string output = Capture(() =>
        {
            TrainingResult result = TrainingProgress.Run("train", 20, null, 8, (step, _) =>
            {
                Assert.Equal(++calls, step);
                clock.Advance(TimeSpan.FromMilliseconds(50));
                return step;
            }, interactive: false, time: clock);
            Assert.Equal(20, result.Steps);
            Assert.Equal(20f, result.LastLoss);
            Assert.Equal(TrainingStopReason.Steps, result.StopReason);
            Assert.Equal(TimeSpan.FromSeconds(1), result.Elapsed);
            Assert.Equal(20 * 8 / 1.0, result.ExamplesPerSecond, 9);
        });

        string[] lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal(10, lines.Length);
        Assert.StartsWith("train step 2/20 ( 10%)  loss 2.0000", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("train step 20/20 (100%)  loss 20.0000", lines[9], StringComparison.Ordinal);
        Assert.EndsWith("160 ex/s  elapsed 0:01  remaining 0:00", lines[9], StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Plain_PrintsALineAtLeastEveryTenSeconds()
    {
        var clock = new ManualClock();
        string output = Capture(() => TrainingProgress.Run("t", 100, null, 1, (_, _) =>
        {
            clock.Advance(TimeSpan.FromSeconds(4));
            return 1f;
        }, interactive: false, time: clock));

        // 100 steps of 4 s: a line at each tenth (steps 10, 20, ..., 100) and whenever 10 s passed since the last
        // line (three steps after it): steps 3, 6, 9, 10, 13, 16, 19, 20, ..., 93, 96, 99, 100.
        string[] lines = output.TrimEnd('\n').Split('\n');
        int[] expected = Enumerable.Range(0, 10).SelectMany(tenth => new[] { 3, 6, 9, 10 }.Select(s => 10 * tenth + s)).ToArray();
        Assert.Equal(expected.Select(s => $"t step {s}/100 "), lines.Select(line => line[..(line.IndexOf('(', StringComparison.Ordinal))]));
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
        var clock = new ManualClock();
        Capture(() => result = TrainingProgress.Run("t", 10_000, TimeSpan.FromMilliseconds(100), 1, (_, _) =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(20));
            return 1f;
        }, interactive: false, time: clock));
        Assert.Equal(TrainingStopReason.TimeLimit, result.StopReason);
        // At 20 ms a step, the limit is reached after step 5, checked after each step.
        Assert.Equal(5, result.Steps);
        Assert.Equal(TimeSpan.FromMilliseconds(100), result.Elapsed);
    }

    [Fact]
    public void Run_RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Run("t", 0, null, 1, (_, _) => 0f, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Run("t", 1, null, 0, (_, _) => 0f, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProgress.Run("t", 1, TimeSpan.Zero, 1, (_, _) => 0f, false));
    }

    // A clock that moves only when told: the tests' outcomes do not depend on how fast the machine is.
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
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
