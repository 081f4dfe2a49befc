using System;
using System.Collections.Generic;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

public sealed class RecurrentTests
{
    /// <summary>
    /// Shapes for the float64 gradient checks: B ∈ {1, 3}, T ∈ {1, 5}, (I, H) ∈ {(1, 1), (3, 4), (7, 9)}, every cell, both
    /// directions. Batches of 3 carry variable lengths with a 0 and a 1 among them; batches of 1 use the full length (empty
    /// lengths span), which takes the tuned kernel's single-GEMM path.
    /// </summary>
    public static IEnumerable<object[]> GradientShapes()
    {
        (int I, int H)[] sizes = [(1, 1), (3, 4), (7, 9)];
        int[][] lengthsOf5 = [[5, 0, 1], [1, 4, 0], [0, 1, 3]];
        foreach (CellKind cell in Enum.GetValues<CellKind>())
        {
            foreach (bool reverse in new[] { false, true })
            {
                foreach (int batch in new[] { 1, 3 })
                {
                    foreach (int steps in new[] { 1, 5 })
                    {
                        for (int s = 0; s < sizes.Length; s++)
                        {
                            int[] lengths = batch == 1 ? [] : steps == 1 ? [1, 0, 1] : lengthsOf5[s];
                            yield return [cell, reverse, batch, steps, sizes[s].I, sizes[s].H, lengths];
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(GradientShapes))]
    public void Reference_GradientsMatchCentralDifferences(CellKind cell, bool reverse, int batch, int steps, int inputSize, int hiddenSize, int[] lengths)
    {
        var p = new RecurrentProblem<double>(cell, batch, steps, inputSize, hiddenSize, lengths, reverse, seed: 11 * steps + inputSize);
        var g = p.ReferenceBackward(p.ReferenceForward().Saved);
        double Loss() => p.Loss(p.ReferenceForward());

        GradientCheck.Check("input", p.Input, g.Input, Loss);
        GradientCheck.Check("initialState", p.InitialState, g.InitialState, Loss);
        GradientCheck.Check("weightIh", p.WeightIh, g.WeightIh, Loss);
        GradientCheck.Check("weightHh", p.WeightHh, g.WeightHh, Loss);
        GradientCheck.Check("biasIh", p.BiasIh, g.BiasIh, Loss);
        GradientCheck.Check("biasHh", p.BiasHh, g.BiasHh, Loss);
        if (cell == CellKind.Lstm)
        {
            GradientCheck.Check("initialCell", p.InitialCell, g.InitialCell, Loss);
        }
    }

    /// <summary>
    /// Float32 gradient check of the tuned kernel itself (h = 1e-2). Truncation error O(h²·f''') ≈ 1e-4 and float rounding of
    /// the loss ≈ 6e-8·|L|/h ≈ 1e-4 for |L| ≈ 10 stay well under the 1e-2 relative tolerance; a wrong term is O(1).
    /// </summary>
    [Theory]
    [InlineData(CellKind.Rnn, false)]
    [InlineData(CellKind.Gru, true)]
    [InlineData(CellKind.Lstm, false)]
    [InlineData(CellKind.Lstm, true)]
    public void Tuned_GradientsMatchCentralDifferences(CellKind cell, bool reverse)
    {
        var p = new RecurrentProblem<float>(cell, 2, 4, 3, 5, [4, 2], reverse, seed: 5);
        var g = p.TunedBackward(p.TunedForward().Saved);
        double Loss() => p.Loss(p.TunedForward());

        GradientCheck.CheckSingle("input", p.Input, g.Input, Loss, maxEntries: 24);
        GradientCheck.CheckSingle("initialState", p.InitialState, g.InitialState, Loss);
        GradientCheck.CheckSingle("weightIh", p.WeightIh, g.WeightIh, Loss, maxEntries: 24);
        GradientCheck.CheckSingle("weightHh", p.WeightHh, g.WeightHh, Loss, maxEntries: 24);
        GradientCheck.CheckSingle("biasIh", p.BiasIh, g.BiasIh, Loss);
        GradientCheck.CheckSingle("biasHh", p.BiasHh, g.BiasHh, Loss);
        if (cell == CellKind.Lstm)
        {
            GradientCheck.CheckSingle("initialCell", p.InitialCell, g.InitialCell, Loss);
        }
    }

    public static IEnumerable<object[]> RandomShapes()
    {
        var random = new System.Random(2024);
        foreach (CellKind cell in Enum.GetValues<CellKind>())
        {
            for (int i = 0; i < 6; i++)
            {
                int batch = random.Next(1, 6), steps = random.Next(1, 10);
                int[] lengths = i % 3 == 0 ? [] : new int[batch];
                for (int b = 0; b < lengths.Length; b++)
                {
                    lengths[b] = random.Next(0, steps + 1);
                }

                yield return [cell, i % 2 == 1, batch, steps, random.Next(1, 24), random.Next(1, 40), lengths, 100 + i];
            }
        }
    }

    /// <summary>
    /// Tuned float kernel against the float reference. Both round every operation to float (relative 6e-8), but in a
    /// different order (GEMM blocking, bias added before or after the dot product, n + z(h − n) instead of (1 − z)n + zh),
    /// and TensorPrimitives' vectorized tanh/sigmoid differ from the scalar ones by a few ulp. Dot products have at most
    /// 4·40 terms of size ≤ 1 and the recurrence contracts (|W| ≤ 0.5, activations' slopes ≤ 1), so differences stay near
    /// 1e-6; rtol 1e-4 with atol 1e-5 leaves a margin of ten while any wrong term would be O(0.1).
    /// </summary>
    [Theory]
    [MemberData(nameof(RandomShapes))]
    public void Tuned_MatchesReference(CellKind cell, bool reverse, int batch, int steps, int inputSize, int hiddenSize, int[] lengths, int seed)
    {
        var p = new RecurrentProblem<float>(cell, batch, steps, inputSize, hiddenSize, lengths, reverse, seed);
        var expected = p.ReferenceForward();
        using var pool = new WorkerPool(2);
        var actual = p.TunedForward(pool: pool);
        const double rtol = 1e-4, atol = 1e-5;
        Compare.Close(expected.Output, actual.Output, rtol, atol, "output");
        Compare.Close(expected.FinalState, actual.FinalState, rtol, atol, "finalState");
        Compare.Close(expected.FinalCell, actual.FinalCell, rtol, atol, "finalCell");

        var expectedGrad = p.ReferenceBackward(expected.Saved);
        var actualGrad = p.TunedBackward(actual.Saved, pool: pool);
        Compare.Close(expectedGrad.Input, actualGrad.Input, rtol, atol, "dInput");
        Compare.Close(expectedGrad.WeightIh, actualGrad.WeightIh, rtol, atol, "dWeightIh");
        Compare.Close(expectedGrad.WeightHh, actualGrad.WeightHh, rtol, atol, "dWeightHh");
        Compare.Close(expectedGrad.BiasIh, actualGrad.BiasIh, rtol, atol, "dBiasIh");
        Compare.Close(expectedGrad.BiasHh, actualGrad.BiasHh, rtol, atol, "dBiasHh");
        Compare.Close(expectedGrad.InitialState, actualGrad.InitialState, rtol, atol, "dInitialState");
        Compare.Close(expectedGrad.InitialCell, actualGrad.InitialCell, rtol, atol, "dInitialCell");
    }

    [Theory]
    [InlineData(CellKind.Rnn)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    public void Backward_Accumulates(CellKind cell)
    {
        var p = new RecurrentProblem<float>(cell, 3, 4, 3, 5, [4, 0, 2], reverse: true, seed: 9);
        var saved = p.TunedForward().Saved;
        var once = p.TunedBackward(saved);
        var twice = p.TunedBackward(saved);
        p.TunedBackward(twice, saved, new float[TunedRecurrent.ScratchLength(cell, 3, 4, 5)]);
        AssertDoubled(once.Input, twice.Input);
        AssertDoubled(once.WeightIh, twice.WeightIh);
        AssertDoubled(once.WeightHh, twice.WeightHh);
        AssertDoubled(once.BiasIh, twice.BiasIh);
        AssertDoubled(once.BiasHh, twice.BiasHh);
        AssertDoubled(once.InitialState, twice.InitialState);
        AssertDoubled(once.InitialCell, twice.InitialCell);

        // The second call adds onto the first call's sums in a different order, so "twice" is 2·once up to rounding.
        static void AssertDoubled(float[] once, float[] twice)
        {
            var doubled = new float[once.Length];
            for (int i = 0; i < once.Length; i++)
            {
                doubled[i] = 2 * once[i];
            }

            Compare.Close(doubled, twice, 1e-6, 1e-7, "accumulated gradient");
        }
    }

    [Theory]
    [InlineData(CellKind.Rnn, false)]
    [InlineData(CellKind.Rnn, true)]
    [InlineData(CellKind.Gru, false)]
    [InlineData(CellKind.Gru, true)]
    [InlineData(CellKind.Lstm, false)]
    [InlineData(CellKind.Lstm, true)]
    public void Packed_PaddingIsZeroAndFinalStateIsLastValidStep(CellKind cell, bool reverse)
    {
        int[] lengths = [3, 0, 1, 5];
        var p = new RecurrentProblem<float>(cell, 4, 5, 3, 6, lengths, reverse, seed: 21);
        var o = new RecurrentOutputs<float>(new float[4 * 5 * 6], new float[4 * 6], cell == CellKind.Lstm ? new float[4 * 6] : [],
            new float[TunedRecurrent.SavedLength(cell, 4, 5, 6)]);
        Array.Fill(o.Output, float.NaN);
        Array.Fill(o.FinalState, float.NaN);
        p.TunedForward(o, new float[TunedRecurrent.ScratchLength(cell, 4, 5, 6)]);
        var reference = p.ReferenceForward();

        for (int b = 0; b < 4; b++)
        {
            int length = lengths[b];
            for (int t = length; t < 5; t++)
            {
                for (int j = 0; j < 6; j++)
                {
                    Assert.Equal(0f, o.Output[(((b * 5) + t) * 6) + j]);
                    Assert.Equal(0f, reference.Output[(((b * 5) + t) * 6) + j]);
                }
            }

            // The state after the last processed position: t = length − 1 forward, t = 0 reverse; h_0 when length is 0.
            ReadOnlySpan<float> expected = length == 0
                ? p.InitialState.AsSpan(b * 6, 6)
                : o.Output.AsSpan((((b * 5) + (reverse ? 0 : length - 1)) * 6), 6);
            Assert.True(expected.SequenceEqual(o.FinalState.AsSpan(b * 6, 6)), $"finalState of sequence {b}");
            if (cell == CellKind.Lstm && length == 0)
            {
                Assert.True(p.InitialCell.AsSpan(b * 6, 6).SequenceEqual(o.FinalCell.AsSpan(b * 6, 6)), $"finalCell of sequence {b}");
            }
        }
    }

    /// <summary>
    /// A reverse layer over a padded batch equals a forward layer over each sequence's valid prefix reversed, as PyTorch's
    /// packed sequences define it. The two runs multiply matrices of different row counts, so results may differ in the
    /// last bits (tolerance 1e-6 relative, 1e-7 absolute).
    /// </summary>
    [Theory]
    [InlineData(CellKind.Rnn)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    public void Packed_ReverseEqualsForwardOverReversedPrefix(CellKind cell)
    {
        int[] lengths = [3, 0, 1, 5];
        int steps = 5, inputSize = 3, h = 4;
        var p = new RecurrentProblem<float>(cell, 4, steps, inputSize, h, lengths, reverse: true, seed: 31);
        var reversed = p.TunedForward();
        for (int b = 0; b < 4; b++)
        {
            int length = lengths[b];
            if (length == 0)
            {
                continue;
            }

            var single = new RecurrentProblem<float>(cell, 1, length, inputSize, h, [], reverse: false, seed: 0)
            {
                WeightIh = p.WeightIh,
                WeightHh = p.WeightHh,
                BiasIh = p.BiasIh,
                BiasHh = p.BiasHh,
                InitialState = p.InitialState.AsSpan(b * h, h).ToArray(),
                InitialCell = cell == CellKind.Lstm ? p.InitialCell.AsSpan(b * h, h).ToArray() : [],
                Input = new float[length * inputSize],
            };
            for (int t = 0; t < length; t++)
            {
                p.Input.AsSpan(((b * steps) + length - 1 - t) * inputSize, inputSize).CopyTo(single.Input.AsSpan(t * inputSize));
            }

            var forward = single.TunedForward();
            var expected = new float[length * h];
            for (int t = 0; t < length; t++)
            {
                forward.Output.AsSpan((length - 1 - t) * h, h).CopyTo(expected.AsSpan(t * h));
            }

            Compare.Close(expected, reversed.Output.AsSpan(b * steps * h, length * h), 1e-6, 1e-7, $"output of sequence {b}");
            Compare.Close(forward.FinalState, reversed.FinalState.AsSpan(b * h, h), 1e-6, 1e-7, $"finalState of sequence {b}");
            if (cell == CellKind.Lstm)
            {
                Compare.Close(forward.FinalCell, reversed.FinalCell.AsSpan(b * h, h), 1e-6, 1e-7, $"finalCell of sequence {b}");
            }
        }
    }

    /// <summary>
    /// Padded positions are never read: NaN in the padded inputs and upstream gradients changes nothing, and the padded
    /// input rows get exactly zero gradient.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Rnn, false)]
    [InlineData(CellKind.Gru, true)]
    [InlineData(CellKind.Lstm, false)]
    [InlineData(CellKind.Lstm, true)]
    public void Packed_PaddedPositionsAreIgnored(CellKind cell, bool reverse)
    {
        int[] lengths = [2, 4, 0];
        int steps = 4, inputSize = 3, h = 5;
        var clean = new RecurrentProblem<float>(cell, 3, steps, inputSize, h, lengths, reverse, seed: 41);
        var dirty = new RecurrentProblem<float>(cell, 3, steps, inputSize, h, lengths, reverse, seed: 41);
        for (int b = 0; b < 3; b++)
        {
            dirty.Input.AsSpan(((b * steps) + lengths[b]) * inputSize, (steps - lengths[b]) * inputSize).Fill(float.NaN);
            dirty.DOutput.AsSpan(((b * steps) + lengths[b]) * h, (steps - lengths[b]) * h).Fill(float.NaN);
        }

        var cleanOut = clean.TunedForward();
        var dirtyOut = dirty.TunedForward();
        Assert.Equal(cleanOut.Output, dirtyOut.Output);
        Assert.Equal(cleanOut.FinalState, dirtyOut.FinalState);
        Assert.Equal(cleanOut.FinalCell, dirtyOut.FinalCell);
        var cleanGrad = clean.TunedBackward(cleanOut.Saved);
        var dirtyGrad = dirty.TunedBackward(dirtyOut.Saved);
        Assert.Equal(cleanGrad.WeightIh, dirtyGrad.WeightIh);
        Assert.Equal(cleanGrad.WeightHh, dirtyGrad.WeightHh);
        Assert.Equal(cleanGrad.BiasIh, dirtyGrad.BiasIh);
        Assert.Equal(cleanGrad.BiasHh, dirtyGrad.BiasHh);
        Assert.Equal(cleanGrad.InitialState, dirtyGrad.InitialState);
        Assert.Equal(cleanGrad.Input, dirtyGrad.Input);
        for (int b = 0; b < 3; b++)
        {
            foreach (float value in dirtyGrad.Input.AsSpan(((b * steps) + lengths[b]) * inputSize, (steps - lengths[b]) * inputSize))
            {
                Assert.Equal(0f, value);
            }
        }

        // The sequence of length 0 passes its final-state gradient straight to the initial state.
        Assert.Equal(dirty.DFinalState.AsSpan(2 * h, h).ToArray(), dirtyGrad.InitialState.AsSpan(2 * h, h).ToArray());
    }

    [Theory]
    [InlineData(CellKind.Rnn)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    public void EmptyInitialStateAndBiases_MeanZeros(CellKind cell)
    {
        var zeros = new RecurrentProblem<float>(cell, 2, 3, 4, 5, [3, 1], reverse: true, seed: 51);
        zeros.InitialState = new float[zeros.InitialState.Length];
        zeros.InitialCell = new float[zeros.InitialCell.Length];
        zeros.BiasIh = new float[zeros.BiasIh.Length];
        zeros.BiasHh = new float[zeros.BiasHh.Length];
        var empty = new RecurrentProblem<float>(cell, 2, 3, 4, 5, [3, 1], reverse: true, seed: 51)
        {
            InitialState = [],
            InitialCell = [],
            BiasIh = [],
            BiasHh = [],
        };
        var zerosOut = zeros.TunedForward();
        var emptyOut = empty.TunedForward();
        Assert.Equal(zerosOut.Output, emptyOut.Output);
        Assert.Equal(zerosOut.FinalState, emptyOut.FinalState);
        Assert.Equal(zerosOut.FinalCell, emptyOut.FinalCell);
        Assert.Equal(zeros.ReferenceForward().Output, empty.ReferenceForward().Output);
    }

    /// <summary>
    /// Empty optional gradients are skipped and an empty <c>dFinalState</c>/<c>dFinalCell</c> means zeros: the remaining
    /// gradients equal those of a call with every buffer given and zero upstream state gradients.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Rnn)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    public void Backward_OptionalArgumentsMayBeEmpty(CellKind cell)
    {
        var full = new RecurrentProblem<float>(cell, 3, 4, 2, 3, [4, 1, 0], reverse: false, seed: 61);
        full.DFinalState = new float[full.DFinalState.Length];
        full.DFinalCell = new float[full.DFinalCell.Length];
        var saved = full.TunedForward().Saved;
        var expected = full.TunedBackward(saved);

        var sparse = new RecurrentProblem<float>(cell, 3, 4, 2, 3, [4, 1, 0], reverse: false, seed: 61) { DFinalState = [], DFinalCell = [] };
        var g = sparse.NewGradients();
        var skipped = g with { Input = [], BiasIh = [], BiasHh = [], InitialState = [], InitialCell = [] };
        sparse.TunedBackward(skipped, saved, new float[TunedRecurrent.ScratchLength(cell, 3, 4, 3)]);
        Assert.Equal(expected.WeightIh, skipped.WeightIh);
        Assert.Equal(expected.WeightHh, skipped.WeightHh);
    }

    /// <summary>No reduction depends on the thread count: a 2-thread pool gives the same bits as the calling thread alone.</summary>
    [Theory]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    public void Results_DoNotDependOnThreadCount(CellKind cell)
    {
        var p = new RecurrentProblem<float>(cell, 5, 7, 33, 20, [7, 3, 0, 6, 1], reverse: true, seed: 71);
        using var pool = new WorkerPool(2);
        var serial = p.TunedForward();
        var parallel = p.TunedForward(pool: pool);
        Assert.Equal(serial.Output, parallel.Output);
        Assert.Equal(serial.FinalState, parallel.FinalState);
        var serialGrad = p.TunedBackward(serial.Saved);
        var parallelGrad = p.TunedBackward(parallel.Saved, pool: pool);
        Assert.Equal(serialGrad.Input, parallelGrad.Input);
        Assert.Equal(serialGrad.WeightIh, parallelGrad.WeightIh);
        Assert.Equal(serialGrad.WeightHh, parallelGrad.WeightHh);
        Assert.Equal(serialGrad.InitialState, parallelGrad.InitialState);
    }

    /// <summary>B = T = I = H = 1 GRU with chosen weights, expected value by hand from PyTorch's formulas.</summary>
    [Fact]
    public void Gru_HandComputedStep()
    {
        // W_ih = [w_ir, w_iz, w_in], W_hh = [w_hr, w_hz, w_hn], biases likewise (gate order r, z, n).
        float[] weightIh = [0.5f, -0.25f, 0.75f], weightHh = [-0.5f, 0.4f, 0.3f];
        float[] biasIh = [0.1f, 0.2f, -0.3f], biasHh = [0.05f, -0.1f, 0.2f];
        const double x = 0.8, h = -0.6;
        double r = Sigmoid((0.5 * x) + 0.1 + (-0.5 * h) + 0.05);
        double z = Sigmoid((-0.25 * x) + 0.2 + (0.4 * h) - 0.1);
        double n = Math.Tanh((0.75 * x) - 0.3 + (r * ((0.3 * h) + 0.2)));
        double expected = ((1 - z) * n) + (z * h);

        float[] output = new float[1], final = new float[1], saved = new float[Gru.SavedLength(1, 1, 1)];
        Gru.Forward(output, final, saved, new float[Gru.ScratchLength(1, 1, 1)], [(float)x], [(float)h],
            weightIh, weightHh, biasIh, biasHh, [], 1, 1, 1, 1);
        Assert.Equal(expected, output[0], 1e-6);
        Assert.Equal(expected, final[0], 1e-6);

        double[] reference = new double[1], referenceFinal = new double[1];
        GruReference.Forward<double>(reference, referenceFinal, new double[GruReference.SavedLength(1, 1, 1)],
            new double[GruReference.ScratchLength(1, 1, 1)], [x], [h], [0.5, -0.25, 0.75], [-0.5, 0.4, 0.3],
            [0.1, 0.2, -0.3], [0.05, -0.1, 0.2], [], 1, 1, 1, 1);
        Assert.Equal(expected, reference[0], 1e-12);
    }

    /// <summary>B = T = I = H = 1 LSTM with chosen weights, expected value by hand from PyTorch's formulas.</summary>
    [Fact]
    public void Lstm_HandComputedStep()
    {
        // Gate order i, f, g, o.
        float[] weightIh = [0.5f, -0.25f, 0.75f, 0.3f], weightHh = [-0.5f, 0.4f, 0.3f, -0.2f];
        float[] biasIh = [0.1f, 0.2f, -0.3f, 0f], biasHh = [0.05f, -0.1f, 0.2f, 0.4f];
        const double x = 0.8, h = -0.6, c = 1.5;
        double i = Sigmoid((0.5 * x) + 0.1 + (-0.5 * h) + 0.05);
        double f = Sigmoid((-0.25 * x) + 0.2 + (0.4 * h) - 0.1);
        double g = Math.Tanh((0.75 * x) - 0.3 + (0.3 * h) + 0.2);
        double o = Sigmoid((0.3 * x) + (-0.2 * h) + 0.4);
        double expectedCell = (f * c) + (i * g);
        double expected = o * Math.Tanh(expectedCell);

        float[] output = new float[1], final = new float[1], finalCell = new float[1];
        Lstm.Forward(output, final, finalCell, new float[Lstm.SavedLength(1, 1, 1)], new float[Lstm.ScratchLength(1, 1, 1)],
            [(float)x], [(float)h], [(float)c], weightIh, weightHh, biasIh, biasHh, [], 1, 1, 1, 1);
        Assert.Equal(expected, output[0], 1e-6);
        Assert.Equal(expected, final[0], 1e-6);
        Assert.Equal(expectedCell, finalCell[0], 1e-6);
    }

    /// <summary>B = T = I = H = 1 RNN: <c>h = tanh(w_ih x + b_ih + w_hh h_0 + b_hh)</c>.</summary>
    [Fact]
    public void Rnn_HandComputedStep()
    {
        float[] output = new float[1], final = new float[1];
        Rnn.Forward(output, final, new float[Rnn.SavedLength(1, 1, 1)], new float[Rnn.ScratchLength(1, 1, 1)],
            [0.8f], [-0.6f], [0.5f], [-0.5f], [0.1f], [0.05f], [], 1, 1, 1, 1);
        Assert.Equal(Math.Tanh((0.5 * 0.8) + 0.1 + (-0.5 * -0.6) + 0.05), output[0], 1e-6);
    }

    [Fact]
    public void Arguments_LengthsAreChecked()
    {
        var p = new RecurrentProblem<float>(CellKind.Gru, 2, 3, 2, 2, [3, 4], reverse: false, seed: 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => p.TunedForward());
        Assert.Equal("lengths", e.ParamName);
        Assert.Contains("lengths[1] is 4", e.Message, StringComparison.Ordinal);

        var negative = new RecurrentProblem<float>(CellKind.Lstm, 2, 3, 2, 2, [-1, 2], reverse: true, seed: 1);
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => negative.TunedForward()).ParamName);
        Assert.Equal("lengths", Assert.Throws<ArgumentOutOfRangeException>(() => negative.ReferenceForward()).ParamName);

        var count = new RecurrentProblem<float>(CellKind.Rnn, 2, 3, 2, 2, [3], reverse: false, seed: 1);
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => count.TunedForward()).ParamName);
        var saved = new RecurrentProblem<float>(CellKind.Rnn, 2, 3, 2, 2, [], reverse: false, seed: 1).TunedForward().Saved;
        Assert.Equal("lengths", Assert.Throws<ArgumentException>(() => count.TunedBackward(saved)).ParamName);
    }

    [Fact]
    public void Arguments_SpansNameTheArgument()
    {
        var p = new RecurrentProblem<float>(CellKind.Lstm, 2, 3, 2, 2, [], reverse: false, seed: 1);
        var o = p.TunedForward();
        float[] scratch = new float[Lstm.ScratchLength(2, 3, 2)];

        var e = Assert.Throws<ArgumentException>(() => Lstm.Forward(o.Output, o.FinalState, o.FinalCell, new float[o.Saved.Length - 1], scratch,
            p.Input, p.InitialState, p.InitialCell, p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, [], 2, 3, 2, 2));
        Assert.Equal("saved", e.ParamName);
        Assert.Contains("saved", e.Message, StringComparison.Ordinal);
        Assert.Equal("initialCell", Assert.Throws<ArgumentException>(() => Lstm.Forward(o.Output, o.FinalState, o.FinalCell, o.Saved, scratch,
            p.Input, p.InitialState, new float[3], p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, [], 2, 3, 2, 2)).ParamName);
        Assert.Equal("weightHh", Assert.Throws<ArgumentException>(() => Gru.Forward(o.Output, o.FinalState, new float[Gru.SavedLength(2, 3, 2)],
            new float[Gru.ScratchLength(2, 3, 2)], p.Input, p.InitialState, new float[12], p.WeightHh, [], [], [], 2, 3, 2, 2)).ParamName);
        Assert.Equal("dFinalState", Assert.Throws<ArgumentException>(() => Rnn.Backward([], new float[4], new float[4], [], [], [],
            new float[Rnn.ScratchLength(2, 3, 2)], new float[12], new float[5], p.Input, new float[4], new float[4],
            new float[Rnn.SavedLength(2, 3, 2)], [], 2, 3, 2, 2)).ParamName);
        Assert.Equal("hiddenSize", Assert.Throws<ArgumentOutOfRangeException>(() => Rnn.SavedLength(2, 3, 0)).ParamName);
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}

public sealed class RecurrentAllocationTests
{
    [Theory]
    [InlineData(CellKind.Rnn)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    public void ForwardAndBackward_AllocateNothing(CellKind cell)
    {
        using var pool = new WorkerPool(2);
        var p = new RecurrentProblem<float>(cell, 4, 6, 5, 7, [6, 0, 3, 1], reverse: true, seed: 3);
        var o = p.TunedForward();
        var g = p.NewGradients();
        float[] scratch = new float[TunedRecurrent.ScratchLength(cell, 4, 6, 7)];
        long bytes = Allocations.Measure(() =>
        {
            p.TunedForward(o, scratch, pool);
            p.TunedBackward(g, o.Saved, scratch, pool);
        });
        long gemmBytes = bytes == 0 ? 0 : Allocations.Measure(() => Gemm.Multiply(scratch.AsSpan(0, 4), p.WeightIh.AsSpan(0, 4), false,
            p.WeightHh.AsSpan(0, 4), true, 2, 2, 2, 1f, 0f, pool));
        Assert.True(bytes == 0, $"{bytes} bytes allocated by 5 forward+backward calls; a lone Gemm.Multiply allocates {gemmBytes} bytes per 5 calls.");
    }
}
