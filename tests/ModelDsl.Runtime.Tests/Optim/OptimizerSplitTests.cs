using System;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Optim;

/// <summary>
/// The optimizer step and the gradient clearing split over a pool: every element is updated by one worker with the serial
/// loop's arithmetic, so 1, 2 and 3 threads give the same bits (parameters and state), and nothing is allocated.
/// </summary>
public sealed class OptimizerSplitTests
{
    /// <summary>
    /// Above the split threshold by three chunks and an odd tail, so the step is split and chunks of every kind (full, partial,
    /// vector and scalar tails) run.
    /// </summary>
    private const int Length = Optimizer.SplitThreshold + (3 * Optimizer.ChunkLength) + 37;

    public static readonly TheoryData<string> Optimizers = new("sgd", "momentum", "nesterov", "adagrad", "adam", "adamw");

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void SplitStep_OneTwoAndThreeThreads_BitIdentical(string name)
    {
        var (serialParameters, serialState) = ThreeSteps(name, null);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            var (parameters, state) = ThreeSteps(name, pool);
            Assert.Equal(serialParameters, parameters);
            Assert.Equal(serialState, state);
        }
    }

    [Fact]
    public void Splits_OnlyAboveTheThresholdWithTwoOrMoreThreads()
    {
        using var one = new WorkerPool(1);
        using var two = new WorkerPool(2);
        Assert.True(Optimizer.Splits(Length, two));
        Assert.True(Optimizer.Splits(Optimizer.SplitThreshold, two));
        Assert.False(Optimizer.Splits(Optimizer.SplitThreshold - 1, two));
        Assert.False(Optimizer.Splits(Length, one));
        Assert.False(Optimizer.Splits(Length, null));
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void SplitStep_ChangesTheParameters(string name)
    {
        // Guards the test above against a split that does nothing on every path.
        var initial = TestData.Uniform(Length, 1);
        using var pool = new WorkerPool(2);
        var (parameters, _) = ThreeSteps(name, pool);
        int changed = 0;
        for (int i = 0; i < Length; i++)
        {
            changed += parameters[i] != initial[i] ? 1 : 0;
        }

        Assert.True(changed > Length - 100, $"{name}: only {changed} of {Length} parameters changed");
    }

    [Fact]
    public void SplitStep_AllocatesNothing()
    {
        var optimizer = new AdamW(weightDecay: 0.01f);
        var parameters = TestData.Uniform(Length, 1);
        var gradients = TestData.Uniform(Length, 2);
        var state = new float[optimizer.StateLength(Length)];
        using var pool = new WorkerPool(2);
        long step = 0;
        long bytes = Allocations.Measure(() => optimizer.Step(parameters, gradients, state, 1e-3f, ++step, pool));
        Assert.Equal(0, bytes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ParallelClear_ZeroesEveryElementAndAllocatesNothing(int threads)
    {
        using var pool = new WorkerPool(threads);
        foreach (int length in new[] { 0, 5, ParallelClear.ChunkLength, (2 * ParallelClear.ChunkLength) + 3 })
        {
            var buffer = TestData.Uniform(length, 3);
            buffer.AsSpan().Replace(0f, 1f);
            ParallelClear.Clear(buffer, pool);
            Assert.All(buffer, x => Assert.Equal(0f, x));
        }

        var big = new float[(2 * ParallelClear.ChunkLength) + 3];
        Assert.Equal(0, Allocations.Measure(() => ParallelClear.Clear(big, pool)));
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void RangeStep_UpdatesTheRangesAsTheWholeStepAndLeavesTheRestBitIdentical(string name)
    {
        // Two ranges: one above the split threshold (split over the pool) with a scalar tail, one short (serial); the rest is
        // "frozen".
        int[] ranges = [100, Optimizer.SplitThreshold + (2 * Optimizer.ChunkLength) + 5, Optimizer.SplitThreshold + (2 * Optimizer.ChunkLength) + 200, 1234];
        var (whole, wholeState) = ThreeSteps(name, null);
        foreach (int threads in new[] { 1, 2 })
        {
            using var pool = new WorkerPool(threads);
            var (parameters, state) = ThreeSteps(name, pool, ranges);
            var initial = TestData.Uniform(Length, 1);
            var initialState = new float[state.Length];
            Create(name).InitializeState(initialState, Length);
            int slots = state.Length / Length;
            for (int i = 0; i < Length; i++)
            {
                bool active = (i >= ranges[0] && i < ranges[0] + ranges[1]) || (i >= ranges[2] && i < ranges[2] + ranges[3]);
                Assert.Equal(active ? whole[i] : initial[i], parameters[i]);
                for (int k = 0; k < slots; k++)
                {
                    Assert.Equal(active ? wholeState[(k * Length) + i] : initialState[(k * Length) + i], state[(k * Length) + i]);
                }
            }
        }
    }

    private static Optimizer Create(string name) => name switch
    {
        "sgd" => new Sgd(0.1f, weightDecay: 0.01f),
        "momentum" => new Momentum(0.1f, momentum: 0.8f, dampening: 0.3f),
        "nesterov" => new Momentum(0.1f, weightDecay: 0.01f, nesterov: true),
        "adagrad" => new Adagrad(0.1f, weightDecay: 0.01f, initialAccumulator: 0.25f),
        "adam" => new Adam(0.01f, weightDecay: 0.01f),
        "adamw" => new AdamW(0.01f, weightDecay: 0.1f),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static (float[] Parameters, float[] State) ThreeSteps(string name, WorkerPool? pool, int[]? ranges = null)
    {
        Optimizer optimizer = Create(name);
        var parameters = TestData.Uniform(Length, 1);
        var state = new float[optimizer.StateLength(Length)];
        optimizer.InitializeState(state, Length);
        for (int step = 1; step <= 3; step++)
        {
            var gradients = TestData.Uniform(Length, 10 + step);
            if (ranges is null)
            {
                optimizer.Step(parameters, gradients, state, 0.05f * step, step, pool);
            }
            else
            {
                optimizer.StepRanges(parameters, gradients, state, ranges, 0.05f * step, step, pool);
            }
        }

        return (parameters, state);
    }
}
