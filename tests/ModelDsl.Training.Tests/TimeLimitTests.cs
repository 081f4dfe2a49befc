using System;
using ModelDsl.Data;
using ModelDsl.Optim;

namespace ModelDsl.Training.Tests;

/// <summary>The wall-clock budget of a fit, on a clock the test drives.</summary>
public sealed class TimeLimitTests
{
    [Fact]
    public void A_fit_stops_after_the_step_during_which_the_budget_ran_out_and_evaluates_it()
    {
        var clock = new SteppedClock();
        var limit = new TimeLimit(TimeSpan.FromSeconds(10), clock);
        var ticker = new Ticker(clock, TimeSpan.FromSeconds(3));
        TaggedTokens[] examples = [new([1, 2, 3], [4, 5, 6]), new([7], [8]), new([2, 2], [1, 2]), new([3], [3]), new([4, 5], [5, 4])];
        var train = new BatchLoader<TinyTagger.Batch, TaggedTokens>(examples, RowWriters.Tagging<TinyTagger.Batch>(), new LoaderOptions { BatchSize = 2, Seed = 4 });
        var validation = new BatchLoader<TinyTagger.Batch, TaggedTokens>(examples, RowWriters.Tagging<TinyTagger.Batch>(), new LoaderOptions { Shuffle = false });
        using var trainer = new TinyTagger(seed: 1).CreateTrainer(new Adam(0.01f));

        // Each step takes 3 s on this clock (the ticker runs before the limit): 3, 6, 9, 12 s; the budget of 10 s is
        // spent during step 4, which ends the run. Evaluations are due every 100 steps, so the one at step 4 is the stop's.
        History history = trainer.Fit(train, validation, new FitOptions { Steps = 100, EvaluateEvery = 100, Callbacks = [ticker, limit] });

        Assert.True(limit.Reached);
        Assert.Equal(FitStopReason.Callback, history.StopReason);
        Assert.Equal(4, history.StepCount);
        Assert.Equal(4, trainer.Steps);
        Assert.Equal(4, Assert.Single(history.Evaluations).Step);
    }

    [Fact]
    public void Within_the_budget_nothing_is_stopped_and_a_new_fit_restarts_the_clock()
    {
        var clock = new SteppedClock();
        var limit = new TimeLimit(TimeSpan.FromSeconds(10), clock);
        IFitCallback callback = limit;
        callback.OnFitBegin(new FitStart(3, 3, 0, ["loss"]));
        clock.Advance(TimeSpan.FromSeconds(9.5));
        callback.OnStepEnd(new FitStep(1, 0, 1f, 0.1f, 1));
        Assert.False(limit.Reached);
        Assert.False(callback.StopRequested);

        clock.Advance(TimeSpan.FromSeconds(0.5));
        callback.OnStepEnd(new FitStep(2, 0, 1f, 0.1f, 2));
        Assert.True(callback.StopRequested);

        callback.OnFitBegin(new FitStart(3, 3, 0, ["loss"]));
        Assert.False(limit.Reached);
        callback.OnStepEnd(new FitStep(1, 0, 1f, 0.1f, 1));
        Assert.False(callback.StopRequested);
    }

    [Fact]
    public void A_step_allocates_nothing()
    {
        var clock = new SteppedClock();
        IFitCallback limit = new TimeLimit(TimeSpan.FromHours(1), clock);
        limit.OnFitBegin(new FitStart(10, 10, 0, ["loss"]));
        var step = new FitStep(1, 0, 1f, 0.1f, 1);

        Assert.Equal(0, ModelDsl.Tests.Support.Allocations.Measure(() => limit.OnStepEnd(in step)));
    }

    [Fact]
    public void A_budget_that_is_not_positive_is_refused_and_steps_before_the_begin_are_an_error()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TimeLimit(TimeSpan.Zero));
        Assert.Contains("must be positive", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeLimit(TimeSpan.FromSeconds(-1)));
        IFitCallback unstarted = new TimeLimit(TimeSpan.FromSeconds(1));
        Assert.Throws<InvalidOperationException>(() => unstarted.OnStepEnd(new FitStep(1, 0, 1f, 0.1f, 1)));
    }

    private sealed class SteppedClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    /// <summary>Moves the clock by a fixed time after every step: a step that takes that long.</summary>
    private sealed class Ticker(SteppedClock clock, TimeSpan perStep) : IFitCallback
    {
        public void OnStepEnd(in FitStep step) => clock.Advance(perStep);
    }
}
