using System;
using System.Collections.Generic;
using System.Numerics;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

public sealed class RecurrentDecoderTests
{
    /// <summary>Every attention kind with every cell.</summary>
    public static IEnumerable<object[]> AllKinds()
    {
        foreach (DecoderAttention attention in Enum.GetValues<DecoderAttention>())
        {
            foreach (RecurrentDecoderCell cell in Enum.GetValues<RecurrentDecoderCell>())
            {
                yield return [cell, attention];
            }
        }
    }

    /// <summary>E = 3, H = 5, M = 6 (5 for dot), A = 7 (Bahdanau, concat): no width is a multiple of 8.</summary>
    private static RecurrentDecoderConfig SmallConfig(RecurrentDecoderCell cell, DecoderAttention attention) => attention switch
    {
        DecoderAttention.None => new(cell, attention, 3, 5),
        DecoderAttention.Bahdanau => new(cell, attention, 3, 5, 6, 7),
        DecoderAttention.LuongDot => new(cell, attention, 3, 5, 5),
        DecoderAttention.LuongConcat => new(cell, attention, 3, 5, 6, 7),
        _ => new(cell, attention, 3, 5, 6),
    };

    /// <summary>
    /// Float64 central differences of the reference against its backward for every input and parameter. B = 3, T = 4,
    /// S = 5; target lengths (4, 1, 3) and source lengths (2, 5, 1) put a length-1 row on both sides, and padded positions
    /// must get exactly the zero gradient the differences give. See <see cref="GradientCheck.Check"/> for the tolerance.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Reference_GradientsMatchCentralDifferences(RecurrentDecoderCell cell, DecoderAttention attention)
    {
        var p = new DecoderProblem<double>(SmallConfig(cell, attention), 3, 4, 5, [4, 1, 3], [2, 5, 1], seed: 7 + (int)cell + (10 * (int)attention));
        var g = p.ReferenceBackward();
        double Loss() => p.Loss(p.ReferenceForward().Output);

        GradientCheck.Check("input", p.Input, g.Input, Loss);
        GradientCheck.Check("initialState", p.InitialState, g.InitialState, Loss);
        GradientCheck.Check("initialCell", p.InitialCell, g.InitialCell, Loss);
        GradientCheck.Check("memory", p.Memory, g.Memory, Loss);
        GradientCheck.Check("weightIh", p.WeightIh, g.WeightIh, Loss);
        GradientCheck.Check("weightHh", p.WeightHh, g.WeightHh, Loss);
        GradientCheck.Check("biasIh", p.BiasIh, g.BiasIh, Loss);
        GradientCheck.Check("biasHh", p.BiasHh, g.BiasHh, Loss);
        GradientCheck.Check("stateWeight", p.StateWeight, g.StateWeight, Loss);
        GradientCheck.Check("memoryWeight", p.MemoryWeight, g.MemoryWeight, Loss);
        GradientCheck.Check("scoreVector", p.ScoreVector, g.ScoreVector, Loss);
        GradientCheck.Check("combineWeight", p.CombineWeight, g.CombineWeight, Loss);
    }

    /// <summary>
    /// Float32 central differences (h = 1e-2) of the tuned kernel itself, up to 24 entries per tensor. The loss
    /// <c>Σ do·o</c> has at most 3·4·11 terms of size ≤ 1, so float rounding of the loss (≈ 6e-8·|L|/h ≈ 2e-4) and the
    /// truncation error (O(h²) ≈ 1e-4 for these smooth functions) stay far under the 1e-2 relative tolerance; a wrong
    /// gradient term is O(0.1) or more.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Tuned_GradientsMatchCentralDifferences(RecurrentDecoderCell cell, DecoderAttention attention)
    {
        var p = new DecoderProblem<float>(SmallConfig(cell, attention), 3, 4, 5, [4, 1, 3], [2, 5, 1], seed: 3 + (int)cell + (10 * (int)attention));
        var g = p.TunedBackward(p.TunedForward().Saved);
        double Loss() => p.Loss(p.TunedForward().Output);

        GradientCheck.CheckSingle("input", p.Input, g.Input, Loss, maxEntries: 24);
        GradientCheck.CheckSingle("initialState", p.InitialState, g.InitialState, Loss);
        GradientCheck.CheckSingle("initialCell", p.InitialCell, g.InitialCell, Loss);
        GradientCheck.CheckSingle("memory", p.Memory, g.Memory, Loss, maxEntries: 24);
        GradientCheck.CheckSingle("weightIh", p.WeightIh, g.WeightIh, Loss, maxEntries: 24);
        GradientCheck.CheckSingle("weightHh", p.WeightHh, g.WeightHh, Loss, maxEntries: 24);
        GradientCheck.CheckSingle("biasIh", p.BiasIh, g.BiasIh, Loss);
        GradientCheck.CheckSingle("biasHh", p.BiasHh, g.BiasHh, Loss);
        GradientCheck.CheckSingle("stateWeight", p.StateWeight, g.StateWeight, Loss, maxEntries: 24);
        GradientCheck.CheckSingle("memoryWeight", p.MemoryWeight, g.MemoryWeight, Loss, maxEntries: 24);
        GradientCheck.CheckSingle("scoreVector", p.ScoreVector, g.ScoreVector, Loss);
        GradientCheck.CheckSingle("combineWeight", p.CombineWeight, g.CombineWeight, Loss, maxEntries: 24);
    }

    /// <summary>Random shapes (B ≤ 5, T ≤ 7, S ≤ 9, widths up to 21) with random lengths, 0 included, for every kind.</summary>
    public static IEnumerable<object[]> RandomShapes()
    {
        var random = new System.Random(4242);
        foreach (object[] kind in AllKinds())
        {
            var cell = (RecurrentDecoderCell)kind[0];
            var attention = (DecoderAttention)kind[1];
            for (int i = 0; i < 2; i++)
            {
                int batch = random.Next(1, 6), steps = random.Next(1, 8), source = random.Next(1, 10);
                int e = random.Next(1, 20), h = random.Next(1, 22), m = random.Next(1, 18), a = random.Next(1, 21);
                var config = attention switch
                {
                    DecoderAttention.None => new RecurrentDecoderConfig(cell, attention, e, h),
                    DecoderAttention.Bahdanau => new RecurrentDecoderConfig(cell, attention, e, h, m, a),
                    DecoderAttention.LuongDot => new RecurrentDecoderConfig(cell, attention, e, h, h),
                    DecoderAttention.LuongConcat => new RecurrentDecoderConfig(cell, attention, e, h, m, a),
                    _ => new RecurrentDecoderConfig(cell, attention, e, h, m),
                };
                int[] targets = i == 0 ? [] : new int[batch];
                int[] sources = i == 0 ? new int[batch] : [];
                for (int b = 0; b < targets.Length; b++)
                {
                    targets[b] = random.Next(0, steps + 1);
                }

                for (int b = 0; b < sources.Length; b++)
                {
                    sources[b] = random.Next(0, source + 1);
                }

                yield return [cell, attention, config.InputSize, config.HiddenSize, config.MemorySize, config.AttentionSize,
                    batch, steps, source, targets, sources, 300 + i];
            }
        }
    }

    /// <summary>
    /// Tuned float kernel against the float reference. Both round every operation to float, in different orders (GEMM
    /// blocking, biases before or after the dot products, vectorized against scalar tanh/sigmoid/exp, which differ by a few
    /// ulp). Dot products have at most ~60 terms of size ≤ 1, the recurrence contracts (|W| ≤ 0.5) and softmax weights
    /// are at most 1, so differences stay near 1e-6 even where T steps of gradients accumulate; rtol 1e-4 with atol 1e-5
    /// leaves a margin of ten while any wrong term would be O(0.1).
    /// </summary>
    [Theory]
    [MemberData(nameof(RandomShapes))]
    public void Tuned_MatchesReference(
        RecurrentDecoderCell cell, DecoderAttention attention, int e, int h, int m, int a,
        int batch, int steps, int source, int[] targetLengths, int[] sourceLengths, int seed)
    {
        var config = new RecurrentDecoderConfig(cell, attention, e, h, m, a);
        var p = new DecoderProblem<float>(config, batch, steps, source, targetLengths, sourceLengths, seed);
        var expected = p.ReferenceForward();
        using var pool = new WorkerPool(2);
        var actual = p.TunedForward(pool);
        const double rtol = 1e-4, atol = 1e-5;
        Compare.Close(expected.Output, actual.Output, rtol, atol, "output");
        Compare.Close(expected.Weights, actual.Weights, rtol, atol, "attention weights");

        var expectedGrad = p.ReferenceBackward();
        var actualGrad = p.TunedBackward(actual.Saved, pool);
        foreach (var (name, want, got) in expectedGrad.Pairs(actualGrad))
        {
            Compare.Close(want, got, rtol, atol, name);
        }
    }

    /// <summary>
    /// Decoding position by position with <see cref="RecurrentDecoder.Step"/> from <c>s_0</c>, feeding the teacher-forced
    /// inputs, gives exactly (bit for bit) the forward's outputs and attention weights at every valid position. The
    /// forward runs on two threads and the steps on one, so the equality also covers the thread count.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Step_EqualsTeacherForcedForward(RecurrentDecoderCell cell, DecoderAttention attention)
    {
        var config = attention switch
        {
            DecoderAttention.None => new RecurrentDecoderConfig(cell, attention, 11, 19),
            DecoderAttention.Bahdanau => new RecurrentDecoderConfig(cell, attention, 11, 19, 13, 17),
            DecoderAttention.LuongDot => new RecurrentDecoderConfig(cell, attention, 11, 19, 19),
            DecoderAttention.LuongConcat => new RecurrentDecoderConfig(cell, attention, 11, 19, 13, 17),
            _ => new RecurrentDecoderConfig(cell, attention, 11, 19, 13),
        };
        int batch = 4, steps = 6, source = 7;
        int[] targets = [6, 1, 4, 3], sources = [7, 1, 5, 3];
        var p = new DecoderProblem<float>(config, batch, steps, source, targets, sources, seed: 90 + (int)cell);
        using var pool = new WorkerPool(2);
        var forward = p.TunedForward(pool);

        var parameters = p.TunedParameters();
        var projected = new float[batch * source * config.ProjectedMemorySize];
        RecurrentDecoder.ProjectMemory(projected, p.Memory, parameters, batch, source, config);
        float[] state = (float[])p.InitialState.Clone(), stateCell = (float[])p.InitialCell.Clone();
        var output = new float[batch * config.OutputSize];
        var weights = new float[attention == DecoderAttention.None ? 0 : batch * source];
        var scratch = new float[RecurrentDecoder.StepScratchLength(batch, source, config)];
        var x = new float[batch * config.InputSize];
        int o = config.OutputSize;
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                p.Input.AsSpan(((b * steps) + t) * config.InputSize, config.InputSize).CopyTo(x.AsSpan(b * config.InputSize));
            }

            RecurrentDecoder.Step(state, stateCell, output, weights, scratch, x, p.Memory, projected, sources, parameters, batch, source, config);
            for (int b = 0; b < batch; b++)
            {
                if (t >= targets[b])
                {
                    continue;
                }

                Assert.True(forward.Output.AsSpan(((b * steps) + t) * o, o).SequenceEqual(output.AsSpan(b * o, o)), $"output of row {b} at position {t}");
                if (weights.Length > 0)
                {
                    Assert.True(forward.Weights.AsSpan(((b * steps) + t) * source, source).SequenceEqual(weights.AsSpan(b * source, source)),
                        $"attention weights of row {b} at position {t}");
                }
            }
        }
    }

    /// <summary>
    /// Padded target positions and padded source keys are never read: NaN there (inputs, upstream gradients, memory)
    /// changes no result, padded outputs and weights are zero and padded inputs and keys get exactly zero gradient.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Padding_IsNeverReadAndGetsZeroGradient(RecurrentDecoderCell cell, DecoderAttention attention)
    {
        int batch = 3, steps = 4, source = 5;
        int[] targets = [2, 4, 0], sources = [3, 0, 5];
        var config = SmallConfig(cell, attention);
        var clean = new DecoderProblem<float>(config, batch, steps, source, targets, sources, seed: 17);
        var dirty = new DecoderProblem<float>(config, batch, steps, source, targets, sources, seed: 17);
        int e = config.InputSize, o = config.OutputSize, m = config.MemorySize;
        for (int b = 0; b < batch; b++)
        {
            dirty.Input.AsSpan(((b * steps) + targets[b]) * e, (steps - targets[b]) * e).Fill(float.NaN);
            dirty.DOutput.AsSpan(((b * steps) + targets[b]) * o, (steps - targets[b]) * o).Fill(float.NaN);
            if (m > 0)
            {
                dirty.Memory.AsSpan(((b * source) + sources[b]) * m, (source - sources[b]) * m).Fill(float.NaN);
            }
        }

        var cleanOut = clean.TunedForward();
        var dirtyOut = dirty.TunedForward();
        Assert.Equal(cleanOut.Output, dirtyOut.Output);
        Assert.Equal(cleanOut.Weights, dirtyOut.Weights);
        var cleanGrad = clean.TunedBackward(cleanOut.Saved);
        var dirtyGrad = dirty.TunedBackward(dirtyOut.Saved);
        foreach (var (name, want, got) in cleanGrad.Pairs(dirtyGrad))
        {
            if (name is "input" or "memory")
            {
                continue;
            }

            Assert.True(want.AsSpan().SequenceEqual(got), name);
        }

        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                bool padded = t >= targets[b];
                AssertRow(cleanGrad.Input, dirtyGrad.Input, ((b * steps) + t) * e, e, padded, $"dInput[{b},{t}]");
                AssertZeroIf(dirtyOut.Output.AsSpan(((b * steps) + t) * o, o), padded, $"output[{b},{t}]");
                if (m > 0)
                {
                    AssertZeroIf(dirtyOut.Weights.AsSpan(((b * steps) + t) * source, source), padded, $"weights[{b},{t}]");
                    AssertZeroIf(dirtyOut.Weights.AsSpan(((b * steps) + t) * source + sources[b], source - sources[b]), true, $"padded keys' weights[{b},{t}]");
                }
            }

            for (int j = 0; j < source && m > 0; j++)
            {
                AssertRow(cleanGrad.Memory, dirtyGrad.Memory, ((b * source) + j) * m, m, j >= sources[b], $"dMemory[{b},{j}]");
            }
        }

        // A sequence with no target positions has no output, so its initial state gets zero gradient.
        Assert.True(dirtyGrad.InitialState.AsSpan(2 * config.HiddenSize, config.HiddenSize).SequenceEqual(new float[config.HiddenSize]));

        static void AssertRow(float[] clean, float[] dirty, int start, int length, bool padded, string what)
        {
            Assert.True(clean.AsSpan(start, length).SequenceEqual(dirty.AsSpan(start, length)), what);
            AssertZeroIf(dirty.AsSpan(start, length), padded, what);
        }

        static void AssertZeroIf(ReadOnlySpan<float> values, bool zero, string what)
        {
            if (zero)
            {
                foreach (float value in values)
                {
                    Assert.True(value == 0f, $"{what}: {value}, expected 0");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Backward_Accumulates(RecurrentDecoderCell cell, DecoderAttention attention)
    {
        var p = new DecoderProblem<float>(SmallConfig(cell, attention), 3, 4, 5, [3, 4, 1], [5, 2, 4], seed: 23);
        var saved = p.TunedForward().Saved;
        var once = p.TunedBackward(saved);
        var twice = p.TunedBackward(saved);
        p.TunedBackward(saved, gradients: twice);

        // The second call adds onto the first call's sums in a different order, so "twice" is 2·once up to rounding.
        foreach (var (name, single, doubled) in once.Pairs(twice))
        {
            var expected = new float[single.Length];
            for (int i = 0; i < single.Length; i++)
            {
                expected[i] = 2 * single[i];
            }

            Compare.Close(expected, doubled, 1e-6, 1e-7, name);
        }
    }

    /// <summary>
    /// Empty initial states and biases mean zeros (the same bits as zero-filled ones: adding 0 changes nothing), and
    /// empty optional gradients are skipped without changing the others.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllKinds))]
    public void EmptyOptionalArguments_MeanZerosOrSkip(RecurrentDecoderCell cell, DecoderAttention attention)
    {
        var config = SmallConfig(cell, attention);
        var zeros = new DecoderProblem<float>(config, 3, 4, 5, [4, 1, 3], [2, 5, 1], seed: 31);
        zeros.InitialState = new float[zeros.InitialState.Length];
        zeros.InitialCell = new float[zeros.InitialCell.Length];
        zeros.BiasIh = new float[zeros.BiasIh.Length];
        zeros.BiasHh = new float[zeros.BiasHh.Length];
        var empty = new DecoderProblem<float>(config, 3, 4, 5, [4, 1, 3], [2, 5, 1], seed: 31) { InitialState = [], InitialCell = [], BiasIh = [], BiasHh = [] };
        var zerosOut = zeros.TunedForward();
        var emptyOut = empty.TunedForward();
        Assert.Equal(zerosOut.Output, emptyOut.Output);
        Assert.Equal(zerosOut.Weights, emptyOut.Weights);

        var expected = zeros.TunedBackward(zerosOut.Saved);
        var skipped = empty.NewGradients() with { Input = [] };
        empty.TunedBackward(emptyOut.Saved, gradients: skipped);
        foreach (var (name, want, got) in expected.Pairs(skipped))
        {
            if (got.Length > 0)
            {
                Assert.True(want.AsSpan().SequenceEqual(got), name);
            }
        }
    }

    /// <summary>No reduction depends on the thread count: a 2-thread pool gives the same bits as the calling thread alone.</summary>
    [Theory]
    [InlineData(RecurrentDecoderCell.Gru, DecoderAttention.Bahdanau)]
    [InlineData(RecurrentDecoderCell.Lstm, DecoderAttention.LuongGeneral)]
    [InlineData(RecurrentDecoderCell.Rnn, DecoderAttention.LuongDot)]
    [InlineData(RecurrentDecoderCell.Gru, DecoderAttention.LuongConcat)]
    public void Results_DoNotDependOnThreadCount(RecurrentDecoderCell cell, DecoderAttention attention)
    {
        var config = attention == DecoderAttention.LuongDot
            ? new RecurrentDecoderConfig(cell, attention, 24, 40, 40)
            : new RecurrentDecoderConfig(cell, attention, 24, 40, 36, attention is DecoderAttention.Bahdanau or DecoderAttention.LuongConcat ? 33 : 0);
        var p = new DecoderProblem<float>(config, 6, 9, 11, [9, 3, 0, 7, 1, 9], [11, 4, 2, 0, 11, 6], seed: 71);
        using var pool = new WorkerPool(2);
        var serial = p.TunedForward();
        var parallel = p.TunedForward(pool);
        Assert.Equal(serial.Output, parallel.Output);
        Assert.Equal(serial.Weights, parallel.Weights);
        var serialGrad = p.TunedBackward(serial.Saved);
        var parallelGrad = p.TunedBackward(parallel.Saved, pool);
        foreach (var (name, want, got) in serialGrad.Pairs(parallelGrad))
        {
            Assert.True(want.AsSpan().SequenceEqual(got), name);
        }
    }

    /// <summary>
    /// With one valid key the softmax is exactly 1 and the context is that key's encoder state, whatever the scores: the
    /// Bahdanau output's context half and the Luong output equal what the definitions give from <c>h_0</c> alone.
    /// </summary>
    [Theory]
    [InlineData(DecoderAttention.Bahdanau)]
    [InlineData(DecoderAttention.LuongDot)]
    [InlineData(DecoderAttention.LuongGeneral)]
    [InlineData(DecoderAttention.LuongConcat)]
    public void SingleValidKey_ContextIsThatKey(DecoderAttention attention)
    {
        var config = SmallConfig(RecurrentDecoderCell.Gru, attention);
        int h = config.HiddenSize, m = config.MemorySize, o = config.OutputSize;
        var p = new DecoderProblem<float>(config, 2, 3, 4, [], [1, 1], seed: 5);
        var result = p.TunedForward();
        for (int b = 0; b < 2; b++)
        {
            ReadOnlySpan<float> key = p.Memory.AsSpan(b * 4 * m, m);
            for (int t = 0; t < 3; t++)
            {
                int row = (b * 3) + t;
                Assert.Equal([1f, 0f, 0f, 0f], result.Weights.AsSpan(row * 4, 4).ToArray());
                if (attention == DecoderAttention.Bahdanau)
                {
                    Assert.True(key.SequenceEqual(result.Output.AsSpan((row * o) + h, m)), $"context of [{b},{t}]");
                    continue;
                }

                // o = tanh(W_c [h_0; s_t]) with s_t the output's state, which the plain recurrence gives.
                var plain = new DecoderProblem<float>(new RecurrentDecoderConfig(RecurrentDecoderCell.Gru, DecoderAttention.None, 3, h), 2, 3, 0, [], [], seed: 5)
                {
                    Input = p.Input, InitialState = p.InitialState, WeightIh = p.WeightIh, WeightHh = p.WeightHh, BiasIh = p.BiasIh, BiasHh = p.BiasHh,
                };
                ReadOnlySpan<float> s = plain.TunedForward().Output.AsSpan(row * h, h);
                for (int i = 0; i < h; i++)
                {
                    double pre = 0;
                    for (int k = 0; k < m; k++)
                    {
                        pre += (double)p.CombineWeight[(i * (m + h)) + k] * key[k];
                    }

                    for (int k = 0; k < h; k++)
                    {
                        pre += (double)p.CombineWeight[(i * (m + h)) + m + k] * s[k];
                    }

                    // float products and a vectorized tanh: a few ulp of a value ≤ 1.
                    Assert.Equal(Math.Tanh(pre), result.Output[(row * o) + i], 1e-5);
                }
            }
        }
    }

    [Fact]
    public void Config_RejectsInconsistentWidths()
    {
        Assert.Equal("memorySize", Assert.Throws<ArgumentException>(() => new RecurrentDecoderConfig(RecurrentDecoderCell.Gru, DecoderAttention.LuongDot, 3, 5, 6)).ParamName);
        Assert.Equal("memorySize", Assert.Throws<ArgumentException>(() => new RecurrentDecoderConfig(RecurrentDecoderCell.Gru, DecoderAttention.None, 3, 5, 6)).ParamName);
        Assert.Equal("attentionSize", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentDecoderConfig(RecurrentDecoderCell.Gru, DecoderAttention.Bahdanau, 3, 5, 6)).ParamName);
        Assert.Equal("attentionSize", Assert.Throws<ArgumentException>(() => new RecurrentDecoderConfig(RecurrentDecoderCell.Gru, DecoderAttention.LuongGeneral, 3, 5, 6, 4)).ParamName);
        Assert.Equal("attentionSize", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentDecoderConfig(RecurrentDecoderCell.Gru, DecoderAttention.LuongConcat, 3, 5, 6)).ParamName);
        Assert.Equal("hiddenSize", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentDecoderConfig(RecurrentDecoderCell.Lstm, DecoderAttention.None, 3, 0)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => RecurrentDecoder.SavedLength(1, 1, 1, default));
    }

    [Fact]
    public void Forward_NamesAWrongParameter()
    {
        var config = SmallConfig(RecurrentDecoderCell.Gru, DecoderAttention.LuongGeneral);
        var p = new DecoderProblem<float>(config, 2, 3, 4, [], [], seed: 1) { StateWeight = new float[35] };
        var error = Assert.Throws<ArgumentException>(() => p.TunedForward());
        Assert.Equal("parameters.StateWeight", error.ParamName);
        var q = new DecoderProblem<float>(config, 2, 3, 4, [3, 4], [], seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => q.TunedForward());
    }
}

/// <summary>Allocation counts of the training and decoding paths.</summary>
public sealed class RecurrentDecoderAllocationTests
{
    [Theory]
    [InlineData(RecurrentDecoderCell.Gru, DecoderAttention.Bahdanau)]
    [InlineData(RecurrentDecoderCell.Lstm, DecoderAttention.Bahdanau)]
    [InlineData(RecurrentDecoderCell.Lstm, DecoderAttention.LuongGeneral)]
    [InlineData(RecurrentDecoderCell.Gru, DecoderAttention.LuongDot)]
    [InlineData(RecurrentDecoderCell.Lstm, DecoderAttention.LuongConcat)]
    [InlineData(RecurrentDecoderCell.Rnn, DecoderAttention.None)]
    public void ForwardBackwardAndStep_AllocateNothing(RecurrentDecoderCell cell, DecoderAttention attention)
    {
        var config = attention switch
        {
            DecoderAttention.None => new RecurrentDecoderConfig(cell, attention, 16, 24),
            DecoderAttention.Bahdanau => new RecurrentDecoderConfig(cell, attention, 16, 24, 20, 18),
            DecoderAttention.LuongDot => new RecurrentDecoderConfig(cell, attention, 16, 24, 24),
            DecoderAttention.LuongConcat => new RecurrentDecoderConfig(cell, attention, 16, 24, 20, 18),
            _ => new RecurrentDecoderConfig(cell, attention, 16, 24, 20),
        };
        int batch = 4, steps = 5, source = 6;
        var p = new DecoderProblem<float>(config, batch, steps, source, [5, 2, 4, 1], [6, 3, 1, 5], seed: 3);
        var result = p.TunedForward();
        var g = p.NewGradients();
        var scratch = new float[RecurrentDecoder.ScratchLength(batch, steps, source, config)];
        var projected = new float[batch * source * config.ProjectedMemorySize];
        var state = new float[batch * config.HiddenSize];
        var stateCell = new float[config.HasCellState ? batch * config.HiddenSize : 0];
        var output = new float[batch * config.OutputSize];
        var weights = new float[attention == DecoderAttention.None ? 0 : batch * source];
        var stepScratch = new float[RecurrentDecoder.StepScratchLength(batch, source, config)];
        var x = p.Input.AsSpan(0, batch * config.InputSize).ToArray();
        using var pool = new WorkerPool(2);
        foreach (var threads in new[] { null, pool })
        {
            long training = Allocations.Measure(() =>
            {
                p.TunedForward(result.Output, result.Saved, scratch, threads);
                p.TunedBackward(result.Saved, g, scratch, threads);
            });
            Assert.Equal(0, training);
            long decoding = Allocations.Measure(() =>
            {
                var parameters = p.TunedParameters();
                RecurrentDecoder.ProjectMemory(projected, p.Memory, parameters, batch, source, config, threads);
                RecurrentDecoder.Step(state, stateCell, output, weights, stepScratch, x, p.Memory, projected, p.SourceLengths, parameters,
                    batch, source, config, threads);
            });
            Assert.Equal(0, decoding);
        }
    }
}

/// <summary>Forward results: outputs, attention weights <c>[B, T, S]</c> and (tuned only) the saved activations.</summary>
public sealed record DecoderOutputs<T>(T[] Output, T[] Weights, T[] Saved);

/// <summary>Gradients of one backward call, each starting at zero (empty where the mode has no such tensor).</summary>
public sealed record DecoderGradients<T>(
    T[] Input, T[] InitialState, T[] InitialCell, T[] Memory,
    T[] WeightIh, T[] WeightHh, T[] BiasIh, T[] BiasHh, T[] StateWeight, T[] MemoryWeight, T[] ScoreVector, T[] CombineWeight)
    where T : unmanaged
{
    /// <summary>The parameter gradients as the reference's weights.</summary>
    public RecurrentDecoderReferenceWeights<T> Weights() => new()
    {
        WeightIh = WeightIh, WeightHh = WeightHh, BiasIh = BiasIh, BiasHh = BiasHh,
        StateWeight = StateWeight, MemoryWeight = MemoryWeight, ScoreVector = ScoreVector, CombineWeight = CombineWeight,
    };

    /// <summary>Each tensor by name beside the same tensor of <paramref name="other"/>.</summary>
    public IEnumerable<(string Name, T[] Mine, T[] Theirs)> Pairs(DecoderGradients<T> other)
    {
        yield return ("input", Input, other.Input);
        yield return ("initialState", InitialState, other.InitialState);
        yield return ("initialCell", InitialCell, other.InitialCell);
        yield return ("memory", Memory, other.Memory);
        yield return ("weightIh", WeightIh, other.WeightIh);
        yield return ("weightHh", WeightHh, other.WeightHh);
        yield return ("biasIh", BiasIh, other.BiasIh);
        yield return ("biasHh", BiasHh, other.BiasHh);
        yield return ("stateWeight", StateWeight, other.StateWeight);
        yield return ("memoryWeight", MemoryWeight, other.MemoryWeight);
        yield return ("scoreVector", ScoreVector, other.ScoreVector);
        yield return ("combineWeight", CombineWeight, other.CombineWeight);
    }
}

/// <summary>
/// One decoder call with seeded random inputs, parameters and upstream gradient, runnable through the reference (any T)
/// or the tuned kernel (float). Backward computes the gradient of <c>L = Σ dOutput·o</c>.
/// </summary>
public sealed class DecoderProblem<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public DecoderProblem(RecurrentDecoderConfig config, int batch, int steps, int sourceLength, int[] targetLengths, int[] sourceLengths, int seed)
    {
        Config = config;
        Batch = batch;
        Steps = steps;
        SourceLength = config.Attention == DecoderAttention.None ? 0 : sourceLength;
        TargetLengths = targetLengths;
        SourceLengths = sourceLengths;
        int e = config.InputSize, h = config.HiddenSize, m = config.MemorySize, a = config.AttentionSize, gates = config.GateCount * h;
        bool bahdanau = config.HasAttentionSize;
        bool luong = config.IsLuong;
        Input = Random(batch * steps * e, seed, 1.0);
        InitialState = Random(batch * h, seed + 1, 0.8);
        InitialCell = config.HasCellState ? Random(batch * h, seed + 2, 1.0) : [];
        Memory = Random(batch * SourceLength * m, seed + 3, 1.0);
        WeightIh = Random(gates * config.CellInputSize, seed + 4, 0.5);
        WeightHh = Random(gates * h, seed + 5, 0.5);
        BiasIh = Random(gates, seed + 6, 0.5);
        BiasHh = Random(gates, seed + 7, 0.5);
        StateWeight = bahdanau ? Random(a * h, seed + 8, 0.5) : [];
        MemoryWeight = Random(config.ProjectedMemorySize * m, seed + 9, 0.5);
        ScoreVector = bahdanau ? Random(a, seed + 10, 1.0) : [];
        CombineWeight = luong ? Random(h * (m + h), seed + 11, 0.5) : [];
        DOutput = Random(batch * steps * config.OutputSize, seed + 12, 1.0);
    }

    public RecurrentDecoderConfig Config { get; }

    public int Batch { get; }

    public int Steps { get; }

    public int SourceLength { get; }

    public int[] TargetLengths { get; }

    public int[] SourceLengths { get; }

    public T[] Input { get; set; }

    public T[] InitialState { get; set; }

    public T[] InitialCell { get; set; }

    public T[] Memory { get; set; }

    public T[] WeightIh { get; set; }

    public T[] WeightHh { get; set; }

    public T[] BiasIh { get; set; }

    public T[] BiasHh { get; set; }

    public T[] StateWeight { get; set; }

    public T[] MemoryWeight { get; set; }

    public T[] ScoreVector { get; set; }

    public T[] CombineWeight { get; set; }

    public T[] DOutput { get; set; }

    public override string ToString() =>
        $"{Config} B={Batch} T={Steps} S={SourceLength} targets=[{string.Join(',', TargetLengths)}] sources=[{string.Join(',', SourceLengths)}]";

    public RecurrentDecoderReferenceWeights<T> ReferenceParameters() => new()
    {
        WeightIh = WeightIh, WeightHh = WeightHh, BiasIh = BiasIh, BiasHh = BiasHh,
        StateWeight = StateWeight, MemoryWeight = MemoryWeight, ScoreVector = ScoreVector, CombineWeight = CombineWeight,
    };

    public DecoderOutputs<T> ReferenceForward()
    {
        var result = new DecoderOutputs<T>(new T[Batch * Steps * Config.OutputSize], new T[WeightsLength], []);
        RecurrentDecoderReference.Forward<T>(result.Output, result.Weights, Input, InitialState, InitialCell, Memory, ReferenceParameters(),
            TargetLengths, SourceLengths, Batch, Steps, SourceLength, Config);
        return result;
    }

    public DecoderGradients<T> ReferenceBackward()
    {
        var g = NewGradients();
        RecurrentDecoderReference.Backward<T>(g.Input, g.InitialState, g.InitialCell, g.Memory, g.Weights(), DOutput, Input, InitialState,
            InitialCell, Memory, ReferenceParameters(), TargetLengths, SourceLengths, Batch, Steps, SourceLength, Config);
        return g;
    }

    public DecoderGradients<T> NewGradients() => new(
        new T[Input.Length], new T[InitialState.Length], new T[InitialCell.Length], new T[Memory.Length],
        new T[WeightIh.Length], new T[WeightHh.Length], new T[BiasIh.Length], new T[BiasHh.Length],
        new T[StateWeight.Length], new T[MemoryWeight.Length], new T[ScoreVector.Length], new T[CombineWeight.Length]);

    /// <summary><c>Σ dOutput·o</c> in double.</summary>
    public double Loss(T[] output)
    {
        double sum = 0;
        for (int i = 0; i < output.Length; i++)
        {
            sum += double.CreateTruncating(DOutput[i]) * double.CreateTruncating(output[i]);
        }

        return sum;
    }

    private int WeightsLength => Config.Attention == DecoderAttention.None ? 0 : Batch * Steps * SourceLength;

    private static T[] Random(int length, int seed, double scale)
    {
        double[] values = TestData.UniformDouble(length, seed, scale);
        var result = new T[length];
        for (int i = 0; i < length; i++)
        {
            result[i] = T.CreateTruncating(values[i]);
        }

        return result;
    }
}

/// <summary>Runs a float <see cref="DecoderProblem{T}"/> through <see cref="RecurrentDecoder"/>.</summary>
public static class TunedDecoder
{
    public static RecurrentDecoderParameters TunedParameters(this DecoderProblem<float> p) => new()
    {
        WeightIh = p.WeightIh, WeightHh = p.WeightHh, BiasIh = p.BiasIh, BiasHh = p.BiasHh,
        StateWeight = p.StateWeight, MemoryWeight = p.MemoryWeight, ScoreVector = p.ScoreVector, CombineWeight = p.CombineWeight,
    };

    public static DecoderOutputs<float> TunedForward(this DecoderProblem<float> p, WorkerPool? pool = null)
    {
        var c = p.Config;
        var output = new float[p.Batch * p.Steps * c.OutputSize];
        var saved = new float[RecurrentDecoder.SavedLength(p.Batch, p.Steps, p.SourceLength, c)];
        p.TunedForward(output, saved, new float[RecurrentDecoder.ScratchLength(p.Batch, p.Steps, p.SourceLength, c)], pool);
        return new DecoderOutputs<float>(output, RecurrentDecoder.AttentionWeights(saved, p.Batch, p.Steps, p.SourceLength, c).ToArray(), saved);
    }

    public static void TunedForward(this DecoderProblem<float> p, float[] output, float[] saved, float[] scratch, WorkerPool? pool = null) =>
        RecurrentDecoder.Forward(output, saved, scratch, p.Input, p.InitialState, p.InitialCell, p.Memory, p.TunedParameters(),
            p.TargetLengths, p.SourceLengths, p.Batch, p.Steps, p.SourceLength, p.Config, pool);

    public static DecoderGradients<float> TunedBackward(this DecoderProblem<float> p, float[] saved, WorkerPool? pool = null)
    {
        var g = p.NewGradients();
        p.TunedBackward(saved, g, new float[RecurrentDecoder.ScratchLength(p.Batch, p.Steps, p.SourceLength, p.Config)], pool);
        return g;
    }

    public static void TunedBackward(this DecoderProblem<float> p, float[] saved, DecoderGradients<float> gradients) =>
        p.TunedBackward(saved, gradients, new float[RecurrentDecoder.ScratchLength(p.Batch, p.Steps, p.SourceLength, p.Config)]);

    public static void TunedBackward(this DecoderProblem<float> p, float[] saved, DecoderGradients<float> g, float[] scratch, WorkerPool? pool = null)
    {
        var gradients = new RecurrentDecoderGradients
        {
            WeightIh = g.WeightIh, WeightHh = g.WeightHh, BiasIh = g.BiasIh, BiasHh = g.BiasHh,
            StateWeight = g.StateWeight, MemoryWeight = g.MemoryWeight, ScoreVector = g.ScoreVector, CombineWeight = g.CombineWeight,
        };
        RecurrentDecoder.Backward(g.Input, g.InitialState, g.InitialCell, g.Memory, gradients, scratch, p.DOutput, p.Input, p.Memory,
            p.TunedParameters(), saved, p.TargetLengths, p.SourceLengths, p.Batch, p.Steps, p.SourceLength, p.Config, pool);
    }
}
