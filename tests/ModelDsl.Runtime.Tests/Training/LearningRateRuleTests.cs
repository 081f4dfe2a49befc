using System;
using ModelDsl.Memory;
using ModelDsl.Optim;
using ModelDsl.Training;

namespace ModelDsl.Tests.Training;

/// <summary>The learning rate lives in one place: a schedule with its own rate must agree with the optimizer's.</summary>
public sealed class LearningRateRuleTests
{
    [Fact]
    public void DifferentRates_Throw_NamingBoth()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Create(new Adam(1e-3f), new WarmupCosineSchedule(2e-3f, warmupSteps: 10, totalSteps: 100)));
        Assert.Equal("schedule", error.ParamName);
        Assert.StartsWith(
            "Tiny.Trainer: the learning rate is given twice, Adam(0.001) and WarmupCosineSchedule(0.002). The schedule sets the rate of every step: give the optimizer the same rate, or no schedule.",
            error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("constant")]
    [InlineData("warmup")]
    [InlineData("cosine")]
    [InlineData("step")]
    public void EveryScheduleWithARate_IsChecked(string kind)
    {
        LearningRateSchedule schedule = kind switch
        {
            "constant" => new ConstantSchedule(0.5f),
            "warmup" => new LinearWarmupSchedule(0.5f, 10),
            "cosine" => new WarmupCosineSchedule(0.5f, 10, 100),
            _ => new StepDecaySchedule(0.5f, 30),
        };
        Assert.Equal(0.5f, schedule.BaseRate);
        Assert.Throws<ArgumentException>(() => Create(new Sgd(0.25f), schedule));
        Create(new Sgd(0.5f), schedule).Dispose();
    }

    [Fact]
    public void ScheduleWithoutARate_OrNoSchedule_IsAccepted()
    {
        // The inverse-square-root schedule derives every rate from the width and warmup: the optimizer's rate is unused.
        Assert.Null(new InverseSquareRootSchedule(64, 100).BaseRate);
        Create(new Adam(1e-3f), new InverseSquareRootSchedule(64, 100)).Dispose();
        Create(new Adam(1e-3f), null).Dispose();
    }

    private static TinyTrainer Create(Optimizer optimizer, LearningRateSchedule? schedule) => new(optimizer, schedule);

    private sealed class TinyTrainer(Optimizer optimizer, LearningRateSchedule? schedule)
        : TrainerBase("Tiny", new AlignedBlock(4), [], null, [], optimizer, threads: 1, schedule, clipNorm: 0f, dropoutSeed: 0, maskBytesPerStep: 0);
}
