using System;
using ModelDsl.Optim;

namespace ModelDsl.Tests.Optim;

/// <summary>Schedules at chosen steps against their formulas evaluated here in double.</summary>
public sealed class ScheduleTests
{
    // The schedule evaluates in double and rounds once to float: relative error at most 2^-24 ≈ 6e-8.
    private const double Rtol = 1e-7;

    [Fact]
    public void Constant_IsTheRateAtEveryStep()
    {
        var schedule = new ConstantSchedule(3e-4f);
        foreach (long step in new long[] { 0, 1, 17, 1_000_000_000_000 })
        {
            Assert.Equal(3e-4f, schedule.At(step));
        }
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 0.05)]
    [InlineData(5, 0.25)]
    [InlineData(9, 0.45)]
    [InlineData(10, 0.5)]
    [InlineData(11, 0.5)]
    [InlineData(100_000, 0.5)]
    public void LinearWarmup_RisesLinearlyThenHolds(long step, double expected) =>
        AssertClose(expected, new LinearWarmupSchedule(0.5f, 10).At(step));

    [Fact]
    public void WarmupCosine_MatchesFormula()
    {
        double lr = 1e-3f, floor = 1e-5f;
        const long warmup = 100, total = 1100;
        var schedule = new WarmupCosineSchedule(1e-3f, warmup, total, 1e-5f);
        AssertClose(0, schedule.At(0));
        AssertClose(lr / 2, schedule.At(50));
        AssertClose(lr, schedule.At(warmup));
        AssertClose(floor + (lr - floor) / 2, schedule.At(600));
        foreach (long step in new long[] { 101, 350, 777, 1099 })
        {
            double progress = (step - warmup) / (double)(total - warmup);
            AssertClose(floor + (lr - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress)), schedule.At(step));
        }

        // At the end and after it: the floor.
        AssertClose(floor, schedule.At(total));
        AssertClose(floor, schedule.At(10 * total));
    }

    [Fact]
    public void WarmupCosine_DecreasesAfterWarmup_AndNoWarmupStartsAtPeak()
    {
        var schedule = new WarmupCosineSchedule(1f, 10, 200);
        for (long step = 11; step <= 200; step++)
        {
            Assert.True(schedule.At(step) <= schedule.At(step - 1), $"rate rose at step {step}");
        }

        Assert.Equal(0f, schedule.At(200));
        Assert.Equal(2f, new WarmupCosineSchedule(2f, 0, 50).At(0));
    }

    [Fact]
    public void InverseSquareRoot_PeaksAtWarmup_WithThePaperValue()
    {
        const int d = 512;
        const long warmup = 4000;
        var schedule = new InverseSquareRootSchedule(d, warmup);
        double peak = Math.Pow(d, -0.5) * Math.Pow(warmup, -0.5);
        AssertClose(peak, schedule.At(warmup));
        AssertClose(Math.Pow(d, -0.5) * Math.Pow(warmup, -1.5), schedule.At(1));
        AssertClose(Math.Pow(d, -0.5) * 1000 * Math.Pow(warmup, -1.5), schedule.At(1000));
        AssertClose(Math.Pow(d, -0.5) * Math.Pow(16_000, -0.5), schedule.At(16_000));
        AssertClose(0, schedule.At(0));
        for (long step = 1; step <= 20_000; step += 7)
        {
            Assert.True(schedule.At(step) <= schedule.At(warmup), $"step {step} exceeds the peak");
        }
    }

    [Fact]
    public void InverseSquareRoot_FactorScalesEverything()
    {
        var schedule = new InverseSquareRootSchedule(64, 100, factor: 2f);
        AssertClose(2 * Math.Pow(64, -0.5) * Math.Pow(100, -0.5), schedule.At(100));
        AssertClose(2 * Math.Pow(64, -0.5) * Math.Pow(400, -0.5), schedule.At(400));
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(29, 0.1)]
    [InlineData(30, 0.01)]
    [InlineData(59, 0.01)]
    [InlineData(65, 0.001)]
    [InlineData(300, 1e-11)]
    public void StepDecay_MultipliesByGammaEveryStepSize(long step, double expected) =>
        AssertClose(expected, new StepDecaySchedule(0.1f, 30).At(step), rtol: 1e-6);

    [Fact]
    public void StepDecay_CustomGamma()
    {
        var schedule = new StepDecaySchedule(2f, 5, gamma: 0.5f);
        AssertClose(2, schedule.At(4));
        AssertClose(1, schedule.At(5));
        AssertClose(0.25, schedule.At(19));
        AssertClose(0.125, schedule.At(20));
    }

    [Fact]
    public void ArgumentErrors_NameTheArgument()
    {
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(1f).At(-1)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(float.NaN)).ParamName);
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmupSchedule(1f, 0)).ParamName);
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(1f, -1, 10)).ParamName);
        Assert.Equal("totalSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(1f, 10, 10)).ParamName);
        var floor = Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(1f, 1, 10, floor: 2f));
        Assert.Equal("floor", floor.ParamName);
        Assert.Contains("learningRate", floor.Message, StringComparison.Ordinal);
        Assert.Equal("modelWidth", Assert.Throws<ArgumentOutOfRangeException>(() => new InverseSquareRootSchedule(0, 10)).ParamName);
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => new InverseSquareRootSchedule(8, 10, -1f)).ParamName);
        Assert.Equal("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecaySchedule(1f, 0)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecaySchedule(1f, 10, 1.5f)).ParamName);
    }

    private static void AssertClose(double expected, float actual, double rtol = Rtol)
    {
        double allowed = rtol * Math.Abs(expected);
        Assert.True(Math.Abs(actual - expected) <= allowed, $"got {actual:G9}, expected {expected:G17}");
    }
}
