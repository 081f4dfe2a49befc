using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

public sealed class LayerNormTests
{
    private static readonly int[] Widths = [1, 7, 8, 16, 17, 64, 100, 768];

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 3)]
    [InlineData(2, 8)]
    [InlineData(3, 7)]
    [InlineData(2, 17)]
    [InlineData(4, 33)]
    public void Reference_GradientsMatchCentralDifferences(int rows, int width)
    {
        int seed = rows * 1000 + width;
        double[] x = TestData.UniformDouble(rows * width, seed);
        double[] w = TestData.UniformDouble(width, seed + 1, 1.5);
        double[] b = TestData.UniformDouble(width, seed + 2);
        double[] dy = TestData.UniformDouble(rows * width, seed + 3);
        var y = new double[rows * width];
        var mean = new double[rows];
        var rstd = new double[rows];

        double Loss()
        {
            LayerNormReference.Forward<double>(y, mean, rstd, x, w, b, rows, width);
            return GradientCheck.Dot(dy, y);
        }

        Loss();
        var dx = new double[x.Length];
        var dw = new double[width];
        var db = new double[width];
        LayerNormReference.Backward<double>(dx, dw, db, dy, x, w, mean, rstd, rows, width);

        GradientCheck.Check("dInput", x, dx, Loss);
        GradientCheck.Check("dWeight", w, dw, Loss);
        GradientCheck.Check("dBias", b, db, Loss);
    }

    [Theory]
    [InlineData(2, 17)]
    [InlineData(3, 8)]
    [InlineData(1, 100)]
    public void Tuned_GradientsMatchCentralDifferencesInFloat(int rows, int width)
    {
        int seed = 7 * rows + width;
        float[] x = TestData.Uniform(rows * width, seed);
        float[] w = TestData.Uniform(width, seed + 1, 1.5f);
        float[] b = TestData.Uniform(width, seed + 2);
        float[] dy = TestData.Uniform(rows * width, seed + 3);
        var y = new float[rows * width];
        var mean = new float[rows];
        var rstd = new float[rows];

        double Loss()
        {
            LayerNorm.Forward(y, mean, rstd, x, w, b, rows, width);
            return GradientCheck.Dot(dy, y);
        }

        Loss();
        var dx = new float[x.Length];
        var dw = new float[width];
        var db = new float[width];
        LayerNorm.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, width);

        // Float32 central differences with h = 1e-2 on inputs of standard deviation ~0.6: truncation
        // error O(h²·|f'''|) stays below ~1e-3 and rounding ~1e-5·|L|/h, so 2e-2 relative is a safe bound;
        // a missing or wrong term in the gradient is O(1).
        GradientCheck.CheckSingle("dInput", x, dx, Loss, tolerance: 2e-2);
        GradientCheck.CheckSingle("dWeight", w, dw, Loss, tolerance: 2e-2);
        GradientCheck.CheckSingle("dBias", b, db, Loss, tolerance: 2e-2);
    }

    [Fact]
    public void Forward_OneTwoThree_IsNormalizedByHand()
    {
        float[] x = [1, 2, 3];
        float[] y = new float[3], mean = new float[1], rstd = new float[1];
        LayerNorm.Forward(y, mean, rstd, x, [1, 1, 1], [0, 0, 0], 1, 3);

        // mean 2, biased variance (1 + 0 + 1) / 3 = 2/3, rstd = 1 / sqrt(2/3 + 1e-5).
        double s = 1 / Math.Sqrt(2.0 / 3.0 + 1e-5);
        Assert.Equal(2f, mean[0]);
        Assert.Equal(s, rstd[0], 1e-6);
        Assert.Equal(-s, y[0], 1e-6);
        Assert.Equal(0, y[1], 1e-6);
        Assert.Equal(s, y[2], 1e-6);
        Assert.Equal(-1.2247, y[0], 1e-4);
        Assert.Equal(1.2247, y[2], 1e-4);

        // With an affine transform: y = xhat · w + b.
        LayerNorm.Forward(y, mean, rstd, x, [2f, 0.5f, -1f], [0.1f, 0.2f, 0.3f], 1, 3);
        Assert.Equal(-s * 2 + 0.1, y[0], 1e-6);
        Assert.Equal(0.2, y[1], 1e-6);
        Assert.Equal(-s + 0.3, y[2], 1e-6);
    }

    [Fact]
    public void Backward_OneTwoThree_IsDifferentiatedByHand()
    {
        float[] x = [1, 2, 3];
        float[] y = new float[3], mean = new float[1], rstd = new float[1];
        LayerNorm.Forward(y, mean, rstd, x, [1, 1, 1], [0, 0, 0], 1, 3);
        float[] dx = new float[3], dw = new float[3], db = new float[3];
        LayerNorm.Backward(dx, dw, db, [1, 0, 0], x, [1, 1, 1], mean, rstd, 1, 3);

        // dy = [1, 0, 0], w = 1: g = dy, mean(g) = 1/3, xhat = [-s, 0, s], mean(g·xhat) = -s/3,
        // dx = s · (g - 1/3 + xhat · s/3) = s · [2/3 - s²/3, -1/3, -1/3 + s²/3].
        double s = 1 / Math.Sqrt(2.0 / 3.0 + 1e-5), s2 = s * s;
        Assert.Equal(s * (2.0 / 3 - s2 / 3), dx[0], 1e-5);
        Assert.Equal(-s / 3, dx[1], 1e-5);
        Assert.Equal(s * (-1.0 / 3 + s2 / 3), dx[2], 1e-5);
        Assert.Equal(-s, dw[0], 1e-6);
        Assert.Equal(0, dw[1], 1e-6);
        Assert.Equal(0, dw[2], 1e-6);
        Assert.Equal([1f, 0f, 0f], db);
    }

    [Fact]
    public void Tuned_MatchesReference_ForAllWidthsAndRows()
    {
        foreach (int width in Widths)
        {
            for (int rows = 1; rows <= 33; rows++)
            {
                CompareWithReference(rows, width, pool: null);
            }
        }
    }

    [Fact]
    public void Tuned_WithTwoAndFourThreads_MatchesReference()
    {
        // Two and four threads: backward spreads its chunks of LayerNorm.ParameterChunkRows rows over the pool.
        foreach (int threads in new[] { 2, 4 })
        {
            using var pool = new WorkerPool(threads);
            CompareWithReference(64, 768, pool);
            CompareWithReference(1031, 17, pool);
        }
    }

    [Theory]
    [InlineData(64, 768)]
    [InlineData(33, 768)]
    [InlineData(1031, 17)]
    [InlineData(200, 100)]
    public void Tuned_SerialTwoAndFourThreads_GiveIdenticalBits(int rows, int width)
    {
        var serial = Run(rows, width, pool: null);
        foreach (int threads in new[] { 2, 4 })
        {
            using var pool = new WorkerPool(threads);
            var parallel = Run(rows, width, pool);
            Assert.Equal(serial.Y, parallel.Y);
            Assert.Equal(serial.Mean, parallel.Mean);
            Assert.Equal(serial.Rstd, parallel.Rstd);
            Assert.Equal(serial.DX, parallel.DX);
            Assert.Equal(serial.DW, parallel.DW);
            Assert.Equal(serial.DB, parallel.DB);
        }
    }

    [Fact]
    public void Backward_Accumulates()
    {
        const int rows = 5, width = 17;
        var fresh = Run(rows, width, pool: null);
        var data = MakeInputs(rows, width);
        float[] dx = TestData.Uniform(rows * width, 10), dw = TestData.Uniform(width, 11), db = TestData.Uniform(width, 12);
        float[] dx0 = (float[])dx.Clone(), dw0 = (float[])dw.Clone(), db0 = (float[])db.Clone();
        LayerNorm.Backward(dx, dw, db, data.DY, data.X, data.W, fresh.Mean, fresh.Rstd, rows, width);
        for (int i = 0; i < dx.Length; i++)
        {
            Assert.Equal(dx0[i] + fresh.DX[i], dx[i], 1e-5f);
        }

        for (int j = 0; j < width; j++)
        {
            Assert.Equal(dw0[j] + fresh.DW[j], dw[j], 1e-5f);
            Assert.Equal(db0[j] + fresh.DB[j], db[j], 1e-5f);
        }
    }

    [Fact]
    public void Forward_WrongWeightLength_NamesTheArgument()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            LayerNorm.Forward(new float[6], new float[2], new float[2], new float[6], new float[4], new float[3], 2, 3));
        Assert.Equal("weight", error.ParamName);
        Assert.Contains("weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_WrongLengths_NameTheArgument()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            LayerNorm.Backward(new float[6], new float[3], new float[3], new float[6], new float[6], new float[3],
                new float[3], new float[2], 2, 3));
        Assert.Equal("mean", error.ParamName);

        error = Assert.Throws<ArgumentException>(() =>
            LayerNorm.Backward(new float[6], new float[3], new float[2], new float[6], new float[6], new float[3],
                new float[2], new float[2], 2, 3));
        Assert.Equal("dBias", error.ParamName);

        error = Assert.Throws<ArgumentException>(() =>
            LayerNormReference.Forward<double>(new double[6], new double[2], new double[2], new double[6], new double[3],
                new double[2], 2, 3));
        Assert.Equal("bias", error.ParamName);
    }

    [Fact]
    public void Forward_NegativeEps_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            LayerNorm.Forward(new float[3], new float[1], new float[1], new float[3], new float[3], new float[3], 1, 3, eps: -1f));
        Assert.Equal("eps", error.ParamName);
    }

    private sealed record Inputs(float[] X, float[] W, float[] B, float[] DY);

    private sealed record Result(float[] Y, float[] Mean, float[] Rstd, float[] DX, float[] DW, float[] DB);

    private static Inputs MakeInputs(int rows, int width)
    {
        float[] x = TestData.Uniform(rows * width, 1, 2f);
        // An offset makes the row means non-zero, so the two-pass variance matters.
        for (int i = 0; i < x.Length; i++)
        {
            x[i] += 3f;
        }

        return new Inputs(x, TestData.Uniform(width, 2), TestData.Uniform(width, 3), TestData.Uniform(rows * width, 4));
    }

    private static Result Run(int rows, int width, WorkerPool? pool)
    {
        var data = MakeInputs(rows, width);
        var result = new Result(new float[rows * width], new float[rows], new float[rows],
            new float[rows * width], new float[width], new float[width]);
        LayerNorm.Forward(result.Y, result.Mean, result.Rstd, data.X, data.W, data.B, rows, width, pool: pool);
        LayerNorm.Backward(result.DX, result.DW, result.DB, data.DY, data.X, data.W, result.Mean, result.Rstd, rows, width, pool);
        return result;
    }

    private static void CompareWithReference(int rows, int width, WorkerPool? pool)
    {
        var data = MakeInputs(rows, width);
        var tuned = Run(rows, width, pool);
        float[] y = new float[rows * width], mean = new float[rows], rstd = new float[rows];
        float[] dx = new float[rows * width], dw = new float[width], db = new float[width];
        LayerNormReference.Forward<float>(y, mean, rstd, data.X, data.W, data.B, rows, width);
        LayerNormReference.Backward<float>(dx, dw, db, data.DY, data.X, data.W, mean, rstd, rows, width);

        // Both are float; they differ only in summation order (vector lanes vs sequential) and in
        // fused multiply-adds. Sums of up to 768 terms of size ~3 carry relative errors of a few 1e-7
        // (ulp 6e-8 times ~sqrt(n)), and rstd ~ 1 amplifies them little, so 2e-5 relative plus 2e-5
        // absolute is far above rounding yet far below any real error (O(1e-1) or more).
        string shape = $"[{rows} x {width}]";
        Compare.Close(mean, tuned.Mean, 2e-5, 2e-5, $"mean {shape}");
        Compare.Close(rstd, tuned.Rstd, 2e-5, 2e-5, $"rstd {shape}");
        Compare.Close(y, tuned.Y, 2e-5, 2e-5, $"output {shape}");
        // dx has the cancellation g - mean(g) - xhat · mean(g·xhat) of O(1) terms: 1e-4 absolute.
        // dWeight and dBias sum up to 1031 row terms of size ~1: 1e-4 relative and absolute.
        Compare.Close(dx, tuned.DX, 1e-4, 1e-4, $"dInput {shape}");
        Compare.Close(dw, tuned.DW, 1e-4, 1e-4, $"dWeight {shape}");
        Compare.Close(db, tuned.DB, 1e-4, 1e-4, $"dBias {shape}");
    }
}

public sealed class LayerNormAllocationTests
{
    [Fact]
    public void ForwardAndBackward_AllocateNothing()
    {
        const int rows = 200, width = 768; // 4 chunks of backward partial sums
        float[] x = TestData.Uniform(rows * width, 1), w = TestData.Uniform(width, 2), b = TestData.Uniform(width, 3);
        float[] dy = TestData.Uniform(rows * width, 4);
        float[] y = new float[rows * width], mean = new float[rows], rstd = new float[rows];
        float[] dx = new float[rows * width], dw = new float[width], db = new float[width];
        using var pool = new WorkerPool(2);

        Assert.Equal(0, Allocations.Measure(() =>
        {
            LayerNorm.Forward(y, mean, rstd, x, w, b, rows, width);
            LayerNorm.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, width);
        }));
        Assert.Equal(0, Allocations.Measure(() =>
        {
            LayerNorm.Forward(y, mean, rstd, x, w, b, rows, width, pool: pool);
            LayerNorm.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, width, pool);
        }));

        // The chunked backward path on four threads (the partial-sum buffer is allocated once per calling thread).
        using var wide = new WorkerPool(4);
        Assert.Equal(0, Allocations.Measure(() => LayerNorm.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, width, wide)));
    }
}
