using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Randomness;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

public sealed class DropoutTests
{
    private const int Large = 100_000;

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    public void KeepFraction_IsWithinBinomialBound(float p)
    {
        var (_, mask) = Forward(Large, p, seed: 42, stream: 3, offset: 0);
        int kept = Count(mask);
        // Kept ~ Binomial(n, 1 - p): mean n(1-p), sd sqrt(n p (1-p)) (95 for p = 0.1, 158 for p = 0.5).
        // Five standard deviations: a correct kernel fails with probability < 1e-6, while a mask
        // with the polarity of p inverted (or p ignored) is off by hundreds of sds for p = 0.1.
        double expected = Large * (1.0 - p), sd = Math.Sqrt(Large * p * (1.0 - p));
        Assert.InRange(kept, expected - 5 * sd, expected + 5 * sd);
    }

    [Fact]
    public void Expectation_IsPreserved()
    {
        float[] x = TestData.Uniform(Large, 5);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] += 1f;
        }

        float[] y = new float[Large];
        var mask = new byte[Large];
        Dropout.Forward(y, mask, x, 0.5f, 7, 0, 0, training: true);

        // E[y] = E[x] (inverted dropout). Each y_i = x_i · 2 · B_i has variance ≈ E[x²] ≈ 1.33, so the mean of
        // 100k has sd ≈ 0.0037; a kernel that forgot the 1/(1-p) scale would give a mean off by 0.5.
        double meanX = Mean(x), meanY = Mean(y);
        Assert.InRange(meanY, meanX - 0.02, meanX + 0.02);
        for (int i = 0; i < Large; i++)
        {
            Assert.Equal(mask[i] == 1 ? x[i] * 2f : 0f, y[i]);
        }
    }

    [Fact]
    public void Mask_IsAFunctionOfSeedStreamAndCounter()
    {
        const float p = 0.3f;
        var (_, mask) = Forward(1000, p, seed: 11, stream: 2, offset: 500);
        for (int i = 0; i < mask.Length; i++)
        {
            // The documented rule: element i is kept when Uniform(seed, stream, offset + i) >= p.
            bool keep = CounterRandom.Uniform(11, 2, 500 + (ulong)i) >= p;
            Assert.Equal(keep ? 1 : 0, mask[i]);
        }

        // Same (seed, stream, offset): identical. A window starting 100 elements later: same fates.
        var (_, again) = Forward(1000, p, seed: 11, stream: 2, offset: 500);
        Assert.Equal(mask, again);
        var (_, shifted) = Forward(900, p, seed: 11, stream: 2, offset: 600);
        Assert.Equal(mask.AsSpan(100).ToArray(), shifted);
    }

    [Fact]
    public void Mask_DiffersForDifferentSeedsStreamsAndOffsets()
    {
        const float p = 0.5f;
        var (_, baseline) = Forward(10_000, p, seed: 1, stream: 0, offset: 0);
        var (_, otherSeed) = Forward(10_000, p, seed: 2, stream: 0, offset: 0);
        var (_, otherStream) = Forward(10_000, p, seed: 1, stream: 1, offset: 0);
        var (_, otherOffset) = Forward(10_000, p, seed: 1, stream: 0, offset: 10_000);

        // Independent masks with p = 0.5 differ in half of the entries (sd 50 of 10k): require > 40%.
        Assert.True(Differences(baseline, otherSeed) > 4000, "seed 1 and 2 gave nearly the same mask");
        Assert.True(Differences(baseline, otherStream) > 4000, "streams 0 and 1 gave nearly the same mask");
        Assert.True(Differences(baseline, otherOffset) > 4000, "offsets 0 and 10000 gave nearly the same mask");
    }

    [Fact]
    public void OneAndTwoThreads_GiveIdenticalResults()
    {
        float[] x = TestData.Uniform(Large, 9);
        float[] y1 = new float[Large], y2 = new float[Large];
        byte[] m1 = new byte[Large], m2 = new byte[Large];
        using var pool = new WorkerPool(2);
        Dropout.Forward(y1, m1, x, 0.2f, 99, 4, 12345, training: true);
        Dropout.Forward(y2, m2, x, 0.2f, 99, 4, 12345, training: true, pool);
        Assert.Equal(m1, m2);
        Assert.Equal(y1, y2);
    }

    [Theory]
    [InlineData(0.0f, true)]
    [InlineData(0.1f, true)]
    [InlineData(0.5f, true)]
    [InlineData(0.9f, true)]
    [InlineData(1.0f, true)]
    [InlineData(0.5f, false)]
    public void Tuned_MatchesReference(float p, bool training)
    {
        foreach (int n in new[] { 1, 7, 8, 17, 100, 1031 })
        {
            float[] x = TestData.Uniform(n, n);
            float[] dy = TestData.Uniform(n, n + 1);
            float[] y = new float[n], yRef = new float[n];
            byte[] mask = new byte[n], maskRef = new byte[n];
            Dropout.Forward(y, mask, x, p, 5, 6, 7, training);
            DropoutReference.Forward<float>(yRef, maskRef, x, p, 5, 6, 7, training);
            Assert.Equal(maskRef, mask);
            // x · (1 / (1 - p)) against x / (1 - p): at most 1 ulp apart after the rounding of the reciprocal.
            Compare.Close(yRef, y, 3e-7, 0, $"output n={n} p={p}");

            float[] dx = TestData.Uniform(n, n + 2), dxRef = (float[])dx.Clone();
            Dropout.Backward(dx, dy, mask, p, training);
            DropoutReference.Backward<float>(dxRef, dy, maskRef, p, training);
            Compare.Close(dxRef, dx, 3e-7, 3e-7, $"dInput n={n} p={p}");
        }
    }

    [Fact]
    public void Reference_GradientMatchesCentralDifferences()
    {
        const int n = 50;
        double[] x = TestData.UniformDouble(n, 1);
        double[] dy = TestData.UniformDouble(n, 2);
        double[] y = new double[n];
        byte[] mask = new byte[n];

        double Loss()
        {
            DropoutReference.Forward<double>(y, mask, x, 0.4f, 3, 0, 0, training: true);
            return GradientCheck.Dot(dy, y);
        }

        Loss();
        var dx = new double[n];
        DropoutReference.Backward<double>(dx, dy, mask, 0.4f, training: true);
        GradientCheck.Check("dInput", x, dx, Loss);
    }

    [Fact]
    public void Gradient_FlowsOnlyThroughKeptElements()
    {
        const int n = 1000;
        const float p = 0.25f;
        float[] x = TestData.Uniform(n, 1), y = new float[n];
        byte[] mask = new byte[n];
        Dropout.Forward(y, mask, x, p, 8, 1, 0, training: true);
        float[] dy = new float[n], dx = new float[n];
        Array.Fill(dy, 1f);
        Dropout.Backward(dx, dy, mask, p, training: true);
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            // Kept: 1 / (1 - 0.25) = 4/3; dropped: exactly zero.
            Assert.Equal(mask[i] == 1 ? 4f / 3f : 0f, dx[i], 1e-6f);
            Assert.Equal(mask[i] == 1, y[i] != 0f);
            kept += mask[i];
        }

        Assert.InRange(kept, 1, n - 1);
    }

    [Fact]
    public void ZeroProbabilityOrEvaluation_IsTheIdentity()
    {
        float[] x = TestData.Uniform(100, 3);
        foreach (var (p, training) in new[] { (0f, true), (0.7f, false) })
        {
            float[] y = new float[100], dx = new float[100];
            byte[] mask = new byte[100];
            Dropout.Forward(y, mask, x, p, 1, 2, 3, training);
            Assert.Equal(x, y);
            Assert.All(mask, m => Assert.Equal(1, m));
            Dropout.Backward(dx, x, mask, p, training);
            Assert.Equal(x, dx);
        }
    }

    [Fact]
    public void ProbabilityOne_DropsEverythingWithoutNaN()
    {
        float[] x = TestData.Uniform(100, 3), y = new float[100], dx = new float[100];
        Array.Fill(y, float.NaN);
        byte[] mask = new byte[100];
        Dropout.Forward(y, mask, x, 1f, 1, 2, 3, training: true);
        Assert.All(y, v => Assert.Equal(0f, v));
        Assert.All(mask, m => Assert.Equal(0, m));
        Dropout.Backward(dx, x, mask, 1f, training: true);
        Assert.All(dx, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void InPlace_GivesTheSameResult()
    {
        float[] x = TestData.Uniform(257, 4), y = new float[257];
        byte[] mask = new byte[257], mask2 = new byte[257];
        Dropout.Forward(y, mask, x, 0.3f, 1, 1, 1, training: true);
        Dropout.Forward(x, mask2, x, 0.3f, 1, 1, 1, training: true);
        Assert.Equal(y, x);
        Assert.Equal(mask, mask2);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void ProbabilityOutsideZeroOne_NamesP(float p)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Dropout.Forward(new float[4], new byte[4], new float[4], p, 0, 0, 0, training: true));
        Assert.Equal("p", error.ParamName);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Backward(new float[4], new float[4], new byte[4], p, true));
        Assert.Equal("p", error.ParamName);
    }

    [Fact]
    public void WrongLengths_NameTheArgument()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Dropout.Forward(new float[4], new byte[3], new float[4], 0.5f, 0, 0, 0, training: true));
        Assert.Equal("mask", error.ParamName);
        error = Assert.Throws<ArgumentException>(() =>
            Dropout.Forward(new float[5], new byte[4], new float[4], 0.5f, 0, 0, 0, training: true));
        Assert.Equal("output", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Dropout.Backward(new float[4], new float[3], new byte[4], 0.5f, true));
        Assert.Equal("dOutput", error.ParamName);

        float[] buffer = new float[8];
        error = Assert.Throws<ArgumentException>(() =>
            Dropout.Forward(buffer.AsSpan(1, 4), new byte[4], buffer.AsSpan(0, 4), 0.5f, 0, 0, 0, training: true));
        Assert.Equal("output", error.ParamName);
        error = Assert.Throws<ArgumentException>(() =>
            Dropout.Backward(buffer.AsSpan(0, 4), buffer.AsSpan(2, 4), new byte[4], 0.5f, true));
        Assert.Equal("dInput", error.ParamName);
    }

    private static (float[] Output, byte[] Mask) Forward(int n, float p, ulong seed, ulong stream, ulong offset)
    {
        float[] x = new float[n], y = new float[n];
        Array.Fill(x, 1f);
        var mask = new byte[n];
        Dropout.Forward(y, mask, x, p, seed, stream, offset, training: true);
        return (y, mask);
    }

    private static int Count(byte[] mask)
    {
        int count = 0;
        foreach (byte m in mask)
        {
            count += m;
        }

        return count;
    }

    private static int Differences(byte[] a, byte[] b)
    {
        int count = 0;
        for (int i = 0; i < a.Length; i++)
        {
            count += a[i] != b[i] ? 1 : 0;
        }

        return count;
    }

    private static double Mean(float[] values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        return sum / values.Length;
    }
}

public sealed class DropoutAllocationTests
{
    [Fact]
    public void ForwardAndBackward_AllocateNothing()
    {
        const int n = 64 * 768;
        float[] x = TestData.Uniform(n, 1), y = new float[n], dx = new float[n];
        byte[] mask = new byte[n];
        using var pool = new WorkerPool(2);
        ulong step = 0;

        Assert.Equal(0, Allocations.Measure(() =>
        {
            Dropout.Forward(y, mask, x, 0.1f, 1, 0, step++ * n, training: true);
            Dropout.Backward(dx, y, mask, 0.1f, training: true);
        }));
        Assert.Equal(0, Allocations.Measure(() =>
        {
            Dropout.Forward(y, mask, x, 0.1f, 1, 0, step++ * n, training: true, pool);
            Dropout.Backward(dx, y, mask, 0.1f, training: true);
        }));
    }
}
