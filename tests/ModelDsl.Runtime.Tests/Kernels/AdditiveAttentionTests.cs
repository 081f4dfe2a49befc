using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

public sealed class AdditiveAttentionTests
{
    /// <summary>(B, Tk, A, Dv) shapes, including size 1 and sizes that are not multiples of 8.</summary>
    private static readonly (int Batch, int KeyLength, int AttentionDim, int ValueDim)[] Shapes =
    [
        (1, 1, 1, 1),
        (2, 7, 5, 3),
        (3, 13, 8, 9),
        (3, 4, 17, 16),
    ];

    [Fact]
    public void Forward_HandComputed()
    {
        // A = 1, v = 2 ln 3, Ws = 0, Uh = (0, atanh(1/2)): tanh = (0, 1/2), scores (0, ln 3) -> weights (1/4, 3/4);
        // values (4, 8) -> context 1 + 6 = 7.
        float[] v = [2f * MathF.Log(3f)], ws = [0f], uh = [0f, MathF.Atanh(0.5f)], h = [4f, 8f];
        var context = new float[1];
        var tanh = new float[2];
        var weights = new float[2];
        AdditiveAttention.Forward(context, tanh, weights, ws, uh, v, h, 1, 2, 1, 1);
        Assert.Equal(0.5f, tanh[1], 6);
        Assert.Equal(0.25f, weights[0], 6);
        Assert.Equal(0.75f, weights[1], 6);
        Assert.Equal(7f, context[0], 5);

        var contextD = new double[1];
        AdditiveAttentionReference.Forward<double>(contextD, new double[2], new double[2], [0.0], [0.0, Math.Atanh(0.5)], [2 * Math.Log(3)], [4.0, 8.0], 1, 2, 1, 1);
        Assert.Equal(7.0, contextD[0], 12);

        // Key length 1: only the first key counts.
        AdditiveAttention.Forward(context, tanh, weights, ws, uh, v, h, 1, 2, 1, 1, [1]);
        Assert.Equal(4f, context[0]);
        Assert.Equal([1f, 0f], weights);
        Assert.Equal(0f, tanh[1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reference_GradientCheck(bool padded)
    {
        int seed = padded ? 50 : 0;
        foreach (var (b, tk, a, dv) in Shapes)
        {
            seed++;
            int[] lengths = padded ? Lengths(b, tk, seed) : [];
            var ws = TestData.UniformDouble(b * a, seed + 1);
            var uh = TestData.UniformDouble(b * tk * a, seed + 2);
            var v = TestData.UniformDouble(a, seed + 3, 2);
            var h = TestData.UniformDouble(b * tk * dv, seed + 4);
            var dContext = TestData.UniformDouble(b * dv, seed + 5);
            var context = new double[b * dv];
            var tanh = new double[b * tk * a];
            var weights = new double[b * tk];

            double Loss()
            {
                AdditiveAttentionReference.Forward<double>(context, tanh, weights, ws, uh, v, h, b, tk, a, dv, lengths);
                return GradientCheck.Dot(dContext, context);
            }

            Loss();
            var dWs = new double[ws.Length];
            var dUh = new double[uh.Length];
            var dV = new double[v.Length];
            var dH = new double[h.Length];
            AdditiveAttentionReference.Backward<double>(dWs, dUh, dV, dH, dContext, v, h, tanh, weights, b, tk, a, dv, lengths);
            string what = $"(B {b}, Tk {tk}, A {a}, Dv {dv}, padded {padded})";
            GradientCheck.Check($"dWs {what}", ws, dWs, Loss);
            GradientCheck.Check($"dUh {what}", uh, dUh, Loss);
            GradientCheck.Check($"dv {what}", v, dV, Loss);
            GradientCheck.Check($"dH {what}", h, dH, Loss);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SingleQueryReference_GradientCheck(bool padded)
    {
        int seed = padded ? 70 : 20;
        foreach (var (b, tk, _, dv) in Shapes)
        {
            seed++;
            int[] lengths = padded ? Lengths(b, tk, seed) : [];
            var scores = TestData.UniformDouble(b * tk, seed + 1, 3);
            var values = TestData.UniformDouble(b * tk * dv, seed + 2);
            var dContext = TestData.UniformDouble(b * dv, seed + 3);
            var context = new double[b * dv];
            var weights = new double[b * tk];

            double Loss()
            {
                AdditiveAttentionReference.SingleQueryForward<double>(context, weights, scores, values, b, tk, dv, lengths);
                return GradientCheck.Dot(dContext, context);
            }

            Loss();
            var dScores = new double[scores.Length];
            var dValues = new double[values.Length];
            AdditiveAttentionReference.SingleQueryBackward<double>(dScores, dValues, dContext, values, weights, b, tk, dv, lengths);
            GradientCheck.Check($"dScores B {b} Tk {tk}", scores, dScores, Loss);
            GradientCheck.Check($"dValues B {b} Tk {tk}", values, dValues, Loss);
        }
    }

    [Fact]
    public void Tuned_GradientCheckInFloat()
    {
        // Float32 central differences (h = 1e-2): tanh and softmax are smooth with O(1) third derivatives here, so
        // truncation ≈ 1e-4 and rounding ≈ 1e-5; tolerance 1e-2 relative still fails any wrong term (O(0.1)).
        const int B = 3, Tk = 9, A = 10, Dv = 11;
        int[] lengths = [9, 4, 0];
        var ws = TestData.Uniform(B * A, 1);
        var uh = TestData.Uniform(B * Tk * A, 2);
        var v = TestData.Uniform(A, 3);
        var h = TestData.Uniform(B * Tk * Dv, 4);
        var dContext = TestData.Uniform(B * Dv, 5);
        var context = new float[B * Dv];
        var tanh = new float[B * Tk * A];
        var weights = new float[B * Tk];

        double Loss()
        {
            AdditiveAttention.Forward(context, tanh, weights, ws, uh, v, h, B, Tk, A, Dv, lengths);
            return GradientCheck.Dot(dContext, context);
        }

        Loss();
        var dWs = new float[ws.Length];
        var dUh = new float[uh.Length];
        var dV = new float[v.Length];
        var dH = new float[h.Length];
        var scratch = new float[AdditiveAttention.ScratchLength(B, Tk)];
        AdditiveAttention.Backward(dWs, dUh, dV, dH, dContext, v, h, tanh, weights, B, Tk, A, Dv, lengths, scratch);
        GradientCheck.CheckSingle("dWs", ws, dWs, Loss);
        GradientCheck.CheckSingle("dUh", uh, dUh, Loss);
        GradientCheck.CheckSingle("dv", v, dV, Loss);
        GradientCheck.CheckSingle("dH", h, dH, Loss);
    }

    [Fact]
    public void Tuned_MatchesReference_RandomShapes()
    {
        // Tolerance: only summation order (vector lanes, FMA) and tanh/exp implementations differ, a few float ulps per
        // operation over sums of ≤ 64 terms of size ≤ 1 (~1e-5 absolute); a wrong term would be ≥ 1e-2.
        var random = new System.Random(5);
        using var pool = new WorkerPool(2);
        for (int trial = 0; trial < 12; trial++)
        {
            int b = random.Next(1, 5), tk = random.Next(1, 40), a = random.Next(1, 65), dv = random.Next(1, 65);
            int[] lengths = trial % 3 == 0 ? [] : Lengths(b, tk, trial);
            var run = Inputs.Create(b, tk, a, dv, trial);
            var tuned = RunTuned(run, b, tk, a, dv, lengths, trial % 2 == 0 ? pool : null);
            var reference = RunReference(run, b, tk, a, dv, lengths);
            string what = $"trial {trial} (B {b}, Tk {tk}, A {a}, Dv {dv})";
            Compare.Close(reference.Context, tuned.Context, 1e-4, 5e-5, $"context {what}");
            Compare.Close(reference.Tanh, tuned.Tanh, 1e-4, 5e-5, $"tanh {what}");
            Compare.Close(reference.Weights, tuned.Weights, 1e-4, 5e-5, $"weights {what}");
            Compare.Close(reference.DWs, tuned.DWs, 1e-4, 5e-5, $"dWs {what}");
            Compare.Close(reference.DUh, tuned.DUh, 1e-4, 5e-5, $"dUh {what}");
            Compare.Close(reference.Dv, tuned.Dv, 1e-4, 5e-5, $"dv {what}");
            Compare.Close(reference.DH, tuned.DH, 1e-4, 5e-5, $"dH {what}");
        }
    }

    [Fact]
    public void SingleQuery_MatchesReference()
    {
        // Same tolerance reasoning as the additive comparison.
        var random = new System.Random(8);
        using var pool = new WorkerPool(2);
        for (int trial = 0; trial < 8; trial++)
        {
            int b = random.Next(1, 5), tk = random.Next(1, 40), dv = random.Next(1, 70);
            int[] lengths = trial % 2 == 0 ? [] : Lengths(b, tk, trial);
            var scores = TestData.Uniform(b * tk, trial, 3f);
            var values = TestData.Uniform(b * tk * dv, trial + 1);
            var dContext = TestData.Uniform(b * dv, trial + 2);
            var initialDScores = TestData.Uniform(b * tk, trial + 3);
            var initialDValues = TestData.Uniform(b * tk * dv, trial + 4);
            float[] context = new float[b * dv], weights = new float[b * tk];
            float[] dScores = (float[])initialDScores.Clone(), dValues = (float[])initialDValues.Clone();
            SingleQueryAttention.Forward(context, weights, scores, values, b, tk, dv, lengths, trial % 2 == 0 ? pool : null);
            SingleQueryAttention.Backward(dScores, dValues, dContext, values, weights, b, tk, dv, lengths, trial % 2 == 0 ? pool : null);
            float[] contextR = new float[b * dv], weightsR = new float[b * tk];
            float[] dScoresR = (float[])initialDScores.Clone(), dValuesR = (float[])initialDValues.Clone();
            AdditiveAttentionReference.SingleQueryForward<float>(contextR, weightsR, scores, values, b, tk, dv, lengths);
            AdditiveAttentionReference.SingleQueryBackward<float>(dScoresR, dValuesR, dContext, values, weightsR, b, tk, dv, lengths);
            Compare.Close(contextR, context, 1e-4, 5e-5, $"context trial {trial}");
            Compare.Close(weightsR, weights, 1e-4, 5e-5, $"weights trial {trial}");
            Compare.Close(dScoresR, dScores, 1e-4, 5e-5, $"dScores trial {trial}");
            Compare.Close(dValuesR, dValues, 1e-4, 5e-5, $"dValues trial {trial}");
        }
    }

    [Fact]
    public void FullyPaddedBatch_GivesZeroContextAndZeroGradients()
    {
        const int B = 2, Tk = 5, A = 6, Dv = 7;
        int[] lengths = [3, 0];
        var run = Inputs.Create(B, Tk, A, Dv, 3) with
        {
            InitialDWs = new float[B * A], InitialDUh = new float[B * Tk * A], InitialDv = new float[A], InitialDH = new float[B * Tk * Dv],
        };
        using var pool = new WorkerPool(2);
        foreach (var result in new[] { RunTuned(run, B, Tk, A, Dv, lengths, pool), RunReference(run, B, Tk, A, Dv, lengths) })
        {
            Assert.All(result.Context[Dv..], x => Assert.Equal(0f, x));
            Assert.All(result.Weights[Tk..], x => Assert.Equal(0f, x));
            Assert.All(result.Weights[3..Tk], x => Assert.Equal(0f, x)); // padded keys of batch 0
            Assert.All(result.DWs[A..], x => Assert.Equal(0f, x));
            Assert.All(result.DUh[(Tk * A)..], x => Assert.Equal(0f, x));
            Assert.All(result.DUh[(3 * A)..(Tk * A)], x => Assert.Equal(0f, x));
            Assert.All(result.DH[(Tk * Dv)..], x => Assert.Equal(0f, x));
            foreach (var values in new[] { result.Context, result.Weights, result.Tanh, result.DWs, result.DUh, result.Dv, result.DH })
            {
                Assert.All(values, x => Assert.True(float.IsFinite(x)));
            }

            Assert.Contains(result.Context[..Dv], x => x != 0);
        }
    }

    [Fact]
    public void Tuned_OneAndTwoThreads_BitIdentical()
    {
        const int B = 4, Tk = 23, A = 40, Dv = 33;
        int[] lengths = [23, 7, 1, 12];
        var run = Inputs.Create(B, Tk, A, Dv, 4);
        using var pool = new WorkerPool(2);
        var serial = RunTuned(run, B, Tk, A, Dv, lengths, null);
        var parallel = RunTuned(run, B, Tk, A, Dv, lengths, pool);
        Assert.Equal(serial.Context, parallel.Context);
        Assert.Equal(serial.Weights, parallel.Weights);
        Assert.Equal(serial.DWs, parallel.DWs);
        Assert.Equal(serial.DUh, parallel.DUh);
        Assert.Equal(serial.Dv, parallel.Dv);
        Assert.Equal(serial.DH, parallel.DH);
    }

    [Fact]
    public void ArgumentErrors_NameTheArgument()
    {
        const int B = 2, Tk = 3, A = 4, Dv = 5;
        var run = Inputs.Create(B, Tk, A, Dv, 1);
        var context = new float[B * Dv];
        var tanh = new float[B * Tk * A];
        var weights = new float[B * Tk];
        var error = Assert.Throws<ArgumentException>(() => AdditiveAttention.Forward(context, tanh, weights, run.Ws.AsSpan(1), run.Uh, run.V, run.H, B, Tk, A, Dv));
        Assert.Contains("ws", error.ParamName, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => AdditiveAttention.Forward(context, tanh, weights, run.Ws, run.Uh, run.V, run.H, B, Tk, A, Dv, [3, 4]));
        Assert.Equal("keyLengths", error.ParamName);
        Assert.Contains("keyLengths[1] is 4", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => AdditiveAttention.Forward(context, tanh, weights, run.Ws, run.Uh, run.V, run.H, B, Tk, A, Dv, [3]));
        Assert.Equal("keyLengths", error.ParamName);

        var scratch = new float[AdditiveAttention.ScratchLength(B, Tk) - 1];
        error = Assert.Throws<ArgumentException>(() => AdditiveAttention.Backward(
            run.InitialDWs, run.InitialDUh, run.InitialDv, run.InitialDH, run.DContext, run.V, run.H, tanh, weights, B, Tk, A, Dv, default, scratch));
        Assert.Equal("scratch", error.ParamName);

        error = Assert.Throws<ArgumentException>(() => SingleQueryAttention.Forward(context, weights, weights.AsSpan(1), run.H, B, Tk, Dv));
        Assert.Contains("scores", error.ParamName, StringComparison.Ordinal);
    }

    internal static int[] Lengths(int batch, int keyLength, int seed)
    {
        var random = new System.Random(seed);
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            lengths[b] = b == 2 ? 0 : random.Next(1, keyLength + 1);
        }

        return lengths;
    }

    internal sealed record Inputs(float[] Ws, float[] Uh, float[] V, float[] H, float[] DContext,
        float[] InitialDWs, float[] InitialDUh, float[] InitialDv, float[] InitialDH)
    {
        public static Inputs Create(int b, int tk, int a, int dv, int seed) => new(
            TestData.Uniform(b * a, seed), TestData.Uniform(b * tk * a, seed + 1), TestData.Uniform(a, seed + 2),
            TestData.Uniform(b * tk * dv, seed + 3), TestData.Uniform(b * dv, seed + 4),
            TestData.Uniform(b * a, seed + 5), TestData.Uniform(b * tk * a, seed + 6), TestData.Uniform(a, seed + 7),
            TestData.Uniform(b * tk * dv, seed + 8));
    }

    internal sealed record Results(float[] Context, float[] Tanh, float[] Weights, float[] DWs, float[] DUh, float[] Dv, float[] DH);

    internal static Results RunTuned(Inputs run, int b, int tk, int a, int dv, int[] lengths, WorkerPool? pool)
    {
        var context = new float[b * dv];
        var tanh = new float[b * tk * a];
        var weights = new float[b * tk];
        tanh.AsSpan().Fill(float.NaN); // overwritten, never read
        AdditiveAttention.Forward(context, tanh, weights, run.Ws, run.Uh, run.V, run.H, b, tk, a, dv, lengths, pool);
        var dWs = (float[])run.InitialDWs.Clone();
        var dUh = (float[])run.InitialDUh.Clone();
        var dV = (float[])run.InitialDv.Clone();
        var dH = (float[])run.InitialDH.Clone();
        var scratch = new float[AdditiveAttention.ScratchLength(b, tk)];
        scratch.AsSpan().Fill(float.NaN);
        AdditiveAttention.Backward(dWs, dUh, dV, dH, run.DContext, run.V, run.H, tanh, weights, b, tk, a, dv, lengths, scratch, pool);
        return new Results(context, tanh, weights, dWs, dUh, dV, dH);
    }

    private static Results RunReference(Inputs run, int b, int tk, int a, int dv, int[] lengths)
    {
        var context = new float[b * dv];
        var tanh = new float[b * tk * a];
        var weights = new float[b * tk];
        AdditiveAttentionReference.Forward<float>(context, tanh, weights, run.Ws, run.Uh, run.V, run.H, b, tk, a, dv, lengths);
        var dWs = (float[])run.InitialDWs.Clone();
        var dUh = (float[])run.InitialDUh.Clone();
        var dV = (float[])run.InitialDv.Clone();
        var dH = (float[])run.InitialDH.Clone();
        AdditiveAttentionReference.Backward<float>(dWs, dUh, dV, dH, run.DContext, run.V, run.H, tanh, weights, b, tk, a, dv, lengths);
        return new Results(context, tanh, weights, dWs, dUh, dV, dH);
    }
}

public sealed class AdditiveAttentionAllocationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ForwardAndBackward_AllocateNothing(bool padded)
    {
        const int B = 4, Tk = 20, A = 32, Dv = 24;
        int[] lengths = padded ? [20, 3, 0, 11] : [];
        var run = AdditiveAttentionTests.Inputs.Create(B, Tk, A, Dv, 1);
        var context = new float[B * Dv];
        var tanh = new float[B * Tk * A];
        var weights = new float[B * Tk];
        var scratch = new float[AdditiveAttention.ScratchLength(B, Tk)];
        var dScores = new float[B * Tk];
        using var pool = new WorkerPool(2);
        long bytes = Allocations.Measure(() =>
        {
            AdditiveAttention.Forward(context, tanh, weights, run.Ws, run.Uh, run.V, run.H, B, Tk, A, Dv, lengths, pool);
            AdditiveAttention.Backward(run.InitialDWs, run.InitialDUh, run.InitialDv, run.InitialDH, run.DContext, run.V, run.H, tanh, weights,
                B, Tk, A, Dv, lengths, scratch, pool);
            SingleQueryAttention.Forward(context, weights, dScores, run.H, B, Tk, Dv, lengths, pool);
            SingleQueryAttention.Backward(dScores, run.InitialDH, run.DContext, run.H, weights, B, Tk, Dv, lengths, pool);
        });
        Assert.Equal(0, bytes);
    }
}
