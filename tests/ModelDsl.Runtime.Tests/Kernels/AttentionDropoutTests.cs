using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Randomness;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;
using static ModelDsl.Tests.Kernels.AttentionTests;

namespace ModelDsl.Tests.Kernels;

/// <summary>Dropout on the attention probabilities (PyTorch's <c>nn.MultiheadAttention(dropout = p)</c>).</summary>
public sealed class AttentionDropoutTests
{
    public static readonly TheoryData<MaskKind> AllMasks = AttentionTests.AllMasks;

    private const ulong Seed = 1234, Stream = 3, Offset = 777;

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void Reference_GradientCheck_WithDropout(MaskKind kind)
    {
        // The mask is a pure function of (seed, stream, offset + element), so every call of the loss draws the same mask
        // and the loss is a smooth function of q, k, v: float64 central differences apply as without dropout.
        AttentionShape[] shapes = [new(2, 7, 7, 2, 5), new(3, 5, 9, 3, 8), new(2, 6, 3, 1, 8)];
        int seed = 300 * (int)kind;
        foreach (var shape in shapes)
        {
            seed++;
            var spec = MaskSpec.Create(kind, shape.Batch, shape.QueryLength, shape.KeyLength, seed);
            double scale = 1 / Math.Sqrt(shape.HeadDim);
            var q = TestData.UniformDouble(shape.QueryCount, seed + 1);
            var k = TestData.UniformDouble(shape.KeyCount, seed + 2);
            var v = TestData.UniformDouble(shape.KeyCount, seed + 3);
            var dOut = TestData.UniformDouble(shape.QueryCount, seed + 4);
            var output = new double[shape.QueryCount];
            var probabilities = new double[shape.ProbabilityCount];
            var mask = new byte[shape.ProbabilityCount];
            var (b, tq, tk, h, dh) = shape;

            double Loss()
            {
                AttentionReference.Forward<double>(output, probabilities, q, k, v, b, tq, tk, h, dh, spec.Build(), scale, mask, 0.3f, Seed, Stream, Offset, training: true);
                return GradientCheck.Dot(dOut, output);
            }

            Loss();
            Assert.Contains((byte)0, mask);
            var dQ = new double[q.Length];
            var dK = new double[k.Length];
            var dV = new double[v.Length];
            AttentionReference.Backward<double>(dQ, dK, dV, dOut, q, k, v, probabilities, b, tq, tk, h, dh, spec.Build(), scale, mask, 0.3f, training: true);
            string what = $"{kind} {shape}";
            GradientCheck.Check($"dQ {what}", q, dQ, Loss);
            GradientCheck.Check($"dK {what}", k, dK, Loss);
            GradientCheck.Check($"dV {what}", v, dV, Loss);
        }
    }

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void Tuned_GradientCheckInFloat_WithDropout(MaskKind kind)
    {
        // As Tuned_GradientCheckInFloat (same h = 1e-2 and tolerance 1e-2, same reasoning): the mask is fixed by seed and
        // offset, and the kept weights are scaled by 1 / (1 − p) = 2, which doubles the O(1) derivatives at most.
        var shape = new AttentionShape(2, 6, 7, 2, 8);
        var (b, tq, tk, h, dh) = shape;
        var spec = MaskSpec.Create(kind, b, tq, tk, 7);
        float scale = Attention.DefaultScale(dh);
        var q = TestData.Uniform(shape.QueryCount, 1);
        var k = TestData.Uniform(shape.KeyCount, 2);
        var v = TestData.Uniform(shape.KeyCount, 3);
        var dOut = TestData.Uniform(shape.QueryCount, 4);
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        var mask = new byte[shape.ProbabilityCount];

        double Loss()
        {
            Attention.Forward(output, probabilities, q, k, v, b, tq, tk, h, dh, spec.Build(), scale, mask, 0.5f, Seed, Stream, Offset, training: true);
            return GradientCheck.Dot(dOut, output);
        }

        Loss();
        var dQ = new float[q.Length];
        var dK = new float[k.Length];
        var dV = new float[v.Length];
        var scratch = new float[Attention.ScratchLength(tq, tk, 1)];
        Attention.Backward(dQ, dK, dV, dOut, q, k, v, probabilities, b, tq, tk, h, dh, spec.Build(), scale, mask, 0.5f, training: true, scratch);
        GradientCheck.CheckSingle($"dQ {kind}", q, dQ, Loss);
        GradientCheck.CheckSingle($"dK {kind}", k, dK, Loss);
        GradientCheck.CheckSingle($"dV {kind}", v, dV, Loss);
    }

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void Tuned_MatchesReference_WithDropout(MaskKind kind)
    {
        // Same tolerances as Tuned_MatchesReference_RandomShapes (rounding only; the kept weights are at most 1 / (1 − p)
        // = 1.25 times larger). The masks are compared bit for bit: both draw CounterRandom per element.
        var random = new System.Random(2000 + (int)kind);
        int[] headDims = [1, 3, 5, 8, 16, 24, 32, 64];
        using var pool = new WorkerPool(2);
        for (int trial = 0; trial < 5; trial++)
        {
            var shape = new AttentionShape(random.Next(1, 4), random.Next(1, 41), random.Next(1, 41), random.Next(1, 5), headDims[random.Next(headDims.Length)]);
            if (kind is MaskKind.Causal or MaskKind.WindowCausal or MaskKind.KeyPaddingCausal && trial % 2 == 0)
            {
                shape = shape with { KeyLength = shape.QueryLength }; // self-attention
            }

            CompareWithReference(kind, shape, trial, trial % 2 == 0 ? pool : null);
        }
    }

    [Fact]
    public void Tuned_MatchesReference_WithDropout_LongKeys()
    {
        // More keys than the forward stages on the stack at once (256), so a row's output is summed over several chunks.
        using var pool = new WorkerPool(2);
        CompareWithReference(MaskKind.None, new AttentionShape(1, 3, 300, 2, 16), 1, pool);
        CompareWithReference(MaskKind.KeyPadding, new AttentionShape(2, 2, 600, 1, 5), 2, null);
    }

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void ZeroProbabilityOrNotTraining_EqualsNoDropout_BitForBit(MaskKind kind)
    {
        var shape = new AttentionShape(3, 9, 11, 2, 16);
        var spec = MaskSpec.Create(kind, shape.Batch, shape.QueryLength, shape.KeyLength, 5);
        var inputs = Inputs.Create(shape, 13);
        using var pool = new WorkerPool(2);
        var plain = Run(shape, spec, inputs, pool);
        foreach ((float p, bool training) in new[] { (0f, true), (0.4f, false), (1f, false) })
        {
            var (dropped, mask) = RunDropout(shape, spec, inputs, pool, p, training);
            Assert.Equal(plain.Output, dropped.Output);
            Assert.Equal(plain.Probabilities, dropped.Probabilities);
            Assert.Equal(plain.DQ, dropped.DQ);
            Assert.Equal(plain.DK, dropped.DK);
            Assert.Equal(plain.DV, dropped.DV);
            Assert.All(mask, m => Assert.Equal(1, m));

            var (reference, referenceMask) = RunReferenceDropout(shape, spec, inputs, p, training);
            var plainReference = RunReferenceDropout(shape, spec, inputs, 0f, training: false).Results;
            Assert.Equal(plainReference.Output, reference.Output);
            Assert.Equal(plainReference.DQ, reference.DQ);
            Assert.Equal(plainReference.DV, reference.DV);
            Assert.All(referenceMask, m => Assert.Equal(1, m));
        }
    }

    [Theory]
    [InlineData(MaskKind.None, 0.1f)]
    [InlineData(MaskKind.None, 0.5f)]
    [InlineData(MaskKind.KeyPaddingCausal, 0.3f)]
    [InlineData(MaskKind.Adjacency, 0.3f)]
    public void Mask_DropsAboutPOfTheAllowedKeys_AndNoMaskedKey(MaskKind kind, float p)
    {
        var shape = new AttentionShape(4, 32, 32, 4, 8);
        var (b, tq, tk, h, _) = shape;
        var spec = MaskSpec.Create(kind, b, tq, tk, 9);
        var inputs = Inputs.Create(shape, 17);
        using var pool = new WorkerPool(2);
        var (results, mask) = RunDropout(shape, spec, inputs, pool, p, training: true);
        var attentionMask = spec.Build();
        int allowed = 0, dropped = 0;
        for (int e = 0; e < mask.Length; e++)
        {
            int j = e % tk, i = e / tk % tq, batch = e / tk / tq / h;
            if (!attentionMask.IsAllowed(batch, i, j, tq, tk))
            {
                Assert.True(mask[e] == 0, $"masked key {e} has dropout mask {mask[e]}");
                Assert.Equal(0f, results.Probabilities[e]);
                continue;
            }

            // The documented rule: kept exactly when the element's uniform draw is at least p.
            bool kept = CounterRandom.Uniform(Seed, Stream, Offset + (ulong)e) >= p;
            Assert.Equal(kept ? 1 : 0, mask[e]);
            allowed++;
            dropped += mask[e] == 0 ? 1 : 0;
        }

        // Dropped count ~ Binomial(n, p): the fraction is within 5 standard deviations sqrt(p(1 − p)/n) of p unless the
        // draws are biased (a 5σ deviation has probability < 1e-6 for good random bits). With n > 2000, 5σ ≤ 0.06, while a
        // wrong rule (dropping 1 − p at p = 0.1 or 0.3, or every masked key counted as dropped) is off by ≥ 0.4.
        double fraction = (double)dropped / allowed;
        double sigma = Math.Sqrt(p * (1 - p) / allowed);
        Assert.True(allowed > 2000, $"{allowed} allowed keys");
        Assert.True(Math.Abs(fraction - p) <= 5 * sigma, $"dropped {fraction:F4} of {allowed}, p = {p}, σ = {sigma:F5}");

        // Another stream or offset gives another mask.
        var other = new byte[mask.Length];
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        var (_, _, _, _, dh) = shape;
        Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, attentionMask, 0.3f, other, p, Seed, Stream + 1, Offset, training: true, pool);
        Assert.NotEqual(mask, other);
        Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, attentionMask, 0.3f, other, p, Seed, Stream, Offset + (ulong)mask.Length, training: true, pool);
        Assert.NotEqual(mask, other);
    }

    [Fact]
    public void Expectation_OverManyMasks_IsTheUndroppedOutput()
    {
        // Inverted dropout keeps E[output] = P V. Per output element o = Σ_j P_j M_j s v_j with independent M_j ~ Bernoulli(1 − p)
        // and s = 1 / (1 − p), so Var(o) = Σ_j P_j² v_j² p / (1 − p); the mean of N independent masks (seeds) deviates from
        // P V by at most 5·sqrt(Var / N) (plus 1e-5 for float rounding of O(1) sums) except with probability < 1e-6 per
        // element. Without the 1 / (1 − p) scale the mean would be (1 − p)·P V, off by p·|P V| ≫ the bound.
        const float P = 0.3f;
        const int Draws = 2000;
        var shape = new AttentionShape(2, 5, 6, 2, 4);
        var (b, tq, tk, h, dh) = shape;
        int width = h * dh;
        var spec = MaskSpec.Create(MaskKind.KeyPaddingCausal, b, tq, tk, 3);
        var inputs = Inputs.Create(shape, 21);
        float scale = Attention.DefaultScale(dh);
        var expected = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        Attention.Forward(expected, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, spec.Build(), scale);

        var sum = new double[shape.QueryCount];
        var output = new float[shape.QueryCount];
        var mask = new byte[shape.ProbabilityCount];
        for (int draw = 0; draw < Draws; draw++)
        {
            Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, spec.Build(), scale, mask, P, (ulong)draw, Stream, 0, training: true);
            for (int e = 0; e < sum.Length; e++)
            {
                sum[e] += output[e];
            }
        }

        bool anyVaried = false;
        for (int batch = 0; batch < b; batch++)
        {
            for (int i = 0; i < tq; i++)
            {
                for (int head = 0; head < h; head++)
                {
                    for (int d = 0; d < dh; d++)
                    {
                        int e = (batch * tq + i) * width + head * dh + d;
                        double variance = 0;
                        for (int j = 0; j < tk; j++)
                        {
                            double weight = probabilities[((batch * h + head) * tq + i) * tk + j];
                            double value = inputs.V[(batch * tk + j) * width + head * dh + d];
                            variance += weight * weight * value * value * P / (1 - P);
                        }

                        double mean = sum[e] / Draws;
                        double bound = 5 * Math.Sqrt(variance / Draws) + 1e-5;
                        anyVaried |= variance > 1e-4;
                        Assert.True(Math.Abs(mean - expected[e]) <= bound, $"element {e}: mean {mean:G6} vs {expected[e]:G6}, bound {bound:G3}");
                    }
                }
            }
        }

        Assert.True(anyVaried);
    }

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void OneAndTwoThreads_BitIdentical_WithDropout(MaskKind kind)
    {
        var shape = new AttentionShape(3, 19, 21, 3, 16);
        var spec = MaskSpec.Create(kind, shape.Batch, shape.QueryLength, shape.KeyLength, 3);
        var inputs = Inputs.Create(shape, 11);
        using var two = new WorkerPool(2);
        var (serial, serialMask) = RunDropout(shape, spec, inputs, null, 0.2f, training: true);
        var (parallel, parallelMask) = RunDropout(shape, spec, inputs, two, 0.2f, training: true);
        Assert.Equal(serialMask, parallelMask);
        Assert.Equal(serial.Output, parallel.Output);
        Assert.Equal(serial.Probabilities, parallel.Probabilities);
        Assert.Equal(serial.DQ, parallel.DQ);
        Assert.Equal(serial.DK, parallel.DK);
        Assert.Equal(serial.DV, parallel.DV);
    }

    [Fact]
    public void ArgumentErrors_NameTheArgument()
    {
        var shape = new AttentionShape(2, 3, 4, 2, 4);
        var (b, tq, tk, h, dh) = shape;
        var inputs = Inputs.Create(shape, 1);
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        var mask = new byte[shape.ProbabilityCount];
        var scratch = new float[Attention.ScratchLength(tq, tk, 1)];
        float[] dQ = new float[shape.QueryCount], dK = new float[shape.KeyCount], dV = new float[shape.KeyCount];

        var error = Assert.Throws<ArgumentException>(() =>
            Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, AttentionMask.None, 0.5f, mask.AsSpan(1), 0.1f, 1, 2, 3, true));
        Assert.Equal("dropoutMask", error.ParamName);
        error = Assert.Throws<ArgumentException>(() =>
            Attention.Backward(dQ, dK, dV, output, inputs.Q, inputs.K, inputs.V, probabilities, b, tq, tk, h, dh, AttentionMask.None, 0.5f, mask.AsSpan(1), 0.1f, true, scratch));
        Assert.Equal("dropoutMask", error.ParamName);

        foreach (float p in new[] { -0.1f, 1.5f, float.NaN })
        {
            var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() =>
                Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, AttentionMask.None, 0.5f, mask, p, 1, 2, 3, true));
            Assert.Equal("dropout", outOfRange.ParamName);
            outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() =>
                Attention.Backward(dQ, dK, dV, output, inputs.Q, inputs.K, inputs.V, probabilities, b, tq, tk, h, dh, AttentionMask.None, 0.5f, mask, p, true, scratch));
            Assert.Equal("dropout", outOfRange.ParamName);
        }

        error = Assert.Throws<ArgumentException>(() =>
            AttentionReference.Forward<float>(output, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, AttentionMask.None, 0.5f, mask.AsSpan(2), 0.1f, 1, 2, 3, true));
        Assert.Equal("dropoutMask", error.ParamName);
    }

    [Fact]
    public void AllDropped_GivesZeroOutputAndZeroGradients()
    {
        // p = 1: every weight is dropped (scale 0, no division by zero), so the output and every gradient are 0.
        var shape = new AttentionShape(2, 5, 6, 2, 8);
        var spec = MaskSpec.Create(MaskKind.Causal, 2, 5, 6, 1);
        var inputs = Inputs.Create(shape, 2);
        var (results, mask) = RunDropout(shape, spec, inputs, null, 1f, training: true, initialGradients: false);
        Assert.All(mask, m => Assert.Equal(0, m));
        Assert.All(results.Output, x => Assert.Equal(0f, x));
        Assert.All(results.DQ, x => Assert.Equal(0f, x));
        Assert.All(results.DK, x => Assert.Equal(0f, x));
        Assert.All(results.DV, x => Assert.Equal(0f, x));
        Assert.Contains(results.Probabilities, x => x > 0f); // the saved probabilities are the undropped softmax
    }

    private static void CompareWithReference(MaskKind kind, AttentionShape shape, int seed, WorkerPool? pool)
    {
        var spec = MaskSpec.Create(kind, shape.Batch, shape.QueryLength, shape.KeyLength, seed);
        var inputs = Inputs.Create(shape, seed + 50);
        var (tuned, tunedMask) = RunDropout(shape, spec, inputs, pool, 0.2f, training: true);
        var (reference, referenceMask) = RunReferenceDropout(shape, spec, inputs, 0.2f, training: true);
        string what = $"{kind} {shape}";
        Assert.Equal(referenceMask, tunedMask);
        Compare.Close(reference.Probabilities, tuned.Probabilities, 1e-4, 5e-5, $"probabilities {what}");
        Compare.Close(reference.Output, tuned.Output, 1e-4, 5e-5, $"output {what}");
        Compare.Close(reference.DQ, tuned.DQ, 1e-4, 5e-5, $"dQ {what}");
        Compare.Close(reference.DK, tuned.DK, 1e-4, 5e-5, $"dK {what}");
        Compare.Close(reference.DV, tuned.DV, 1e-4, 5e-5, $"dV {what}");
    }

    /// <summary>Tuned forward then backward with dropout; gradients start from the inputs' initial values (or zero).</summary>
    private static (Results Results, byte[] Mask) RunDropout(AttentionShape shape, MaskSpec spec, Inputs inputs, WorkerPool? pool, float p, bool training, bool initialGradients = true)
    {
        var (b, tq, tk, h, dh) = shape;
        float scale = Attention.DefaultScale(dh);
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        var mask = new byte[shape.ProbabilityCount];
        output.AsSpan().Fill(float.NaN); // overwritten, never read
        probabilities.AsSpan().Fill(float.NaN);
        mask.AsSpan().Fill(7);
        Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, spec.Build(), scale, mask, p, Seed, Stream, Offset, training, pool);
        var dQ = initialGradients ? (float[])inputs.InitialDQ.Clone() : new float[shape.QueryCount];
        var dK = initialGradients ? (float[])inputs.InitialDK.Clone() : new float[shape.KeyCount];
        var dV = initialGradients ? (float[])inputs.InitialDV.Clone() : new float[shape.KeyCount];
        var scratch = new float[Attention.ScratchLength(tq, tk, pool?.ThreadCount ?? 1)];
        scratch.AsSpan().Fill(float.NaN);
        Attention.Backward(dQ, dK, dV, inputs.DOutput, inputs.Q, inputs.K, inputs.V, probabilities, b, tq, tk, h, dh, spec.Build(), scale, mask, p, training, scratch, pool);
        return (new Results(output, probabilities, dQ, dK, dV), mask);
    }

    /// <summary>Float reference forward then backward with dropout, gradients starting from the initial values.</summary>
    private static (Results Results, byte[] Mask) RunReferenceDropout(AttentionShape shape, MaskSpec spec, Inputs inputs, float p, bool training)
    {
        var (b, tq, tk, h, dh) = shape;
        float scale = Attention.DefaultScale(dh);
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        var mask = new byte[shape.ProbabilityCount];
        AttentionReference.Forward<float>(output, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, spec.Build(), scale, mask, p, Seed, Stream, Offset, training);
        var dQ = (float[])inputs.InitialDQ.Clone();
        var dK = (float[])inputs.InitialDK.Clone();
        var dV = (float[])inputs.InitialDV.Clone();
        AttentionReference.Backward<float>(dQ, dK, dV, inputs.DOutput, inputs.Q, inputs.K, inputs.V, probabilities, b, tq, tk, h, dh, spec.Build(), scale, mask, p, training);
        return (new Results(output, probabilities, dQ, dK, dV), mask);
    }
}

public sealed class AttentionDropoutAllocationTests
{
    public static readonly TheoryData<MaskKind> AllMasks = AttentionTests.AllMasks;

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void ForwardAndBackward_WithDropout_AllocateNothing(MaskKind kind)
    {
        var shape = new AttentionShape(2, 16, 300, 2, 8); // 300 keys: the forward stages dropped weights in two chunks
        var (b, tq, tk, h, dh) = shape;
        var spec = MaskSpec.Create(kind, b, tq, tk, 1);
        using var pool = new WorkerPool(2);
        var q = TestData.Uniform(shape.QueryCount, 1);
        var k = TestData.Uniform(shape.KeyCount, 2);
        var v = TestData.Uniform(shape.KeyCount, 3);
        var dOut = TestData.Uniform(shape.QueryCount, 4);
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        var mask = new byte[shape.ProbabilityCount];
        var dQ = new float[shape.QueryCount];
        var dK = new float[shape.KeyCount];
        var dV = new float[shape.KeyCount];
        var scratch = new float[Attention.ScratchLength(tq, tk, pool.ThreadCount)];
        float scale = Attention.DefaultScale(dh);
        ulong step = 0;
        long bytes = Allocations.Measure(() =>
        {
            var attentionMask = spec.Build();
            Attention.Forward(output, probabilities, q, k, v, b, tq, tk, h, dh, attentionMask, scale, mask, 0.1f, 5, 1, step++, true, pool);
            Attention.Backward(dQ, dK, dV, dOut, q, k, v, probabilities, b, tq, tk, h, dh, attentionMask, scale, mask, 0.1f, true, scratch, pool);
        });
        Assert.Equal(0, bytes);
    }
}
