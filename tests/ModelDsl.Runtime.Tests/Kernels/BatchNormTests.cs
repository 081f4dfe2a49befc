using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

public sealed class BatchNormTests
{
    private static readonly int[] Channels = [1, 7, 8, 16, 17, 64, 100, 768];

    [Theory]
    [InlineData(2, 1, true)]
    [InlineData(5, 3, true)]
    [InlineData(7, 9, true)]
    [InlineData(4, 17, true)]
    [InlineData(1, 1, false)]
    [InlineData(5, 3, false)]
    [InlineData(3, 17, false)]
    public void Reference_GradientsMatchCentralDifferences(int rows, int channels, bool training)
    {
        int seed = rows * 100 + channels + (training ? 1 : 0);
        double[] x = TestData.UniformDouble(rows * channels, seed);
        double[] w = TestData.UniformDouble(channels, seed + 1, 1.5);
        double[] b = TestData.UniformDouble(channels, seed + 2);
        double[] dy = TestData.UniformDouble(rows * channels, seed + 3);
        double[] runningMean = TestData.UniformDouble(channels, seed + 4, 0.5);
        double[] runningVar = TestData.UniformDouble(channels, seed + 5, 0.5);
        for (int c = 0; c < channels; c++)
        {
            runningVar[c] += 1;
        }

        var y = new double[rows * channels];
        var mean = new double[channels];
        var rstd = new double[channels];

        double Loss()
        {
            // Fresh copies: training updates the running statistics on every call.
            double[] rm = (double[])runningMean.Clone(), rv = (double[])runningVar.Clone();
            BatchNormReference.Forward<double>(y, mean, rstd, rm, rv, x, w, b, rows, channels, training);
            return GradientCheck.Dot(dy, y);
        }

        Loss();
        var dx = new double[x.Length];
        var dw = new double[channels];
        var db = new double[channels];
        BatchNormReference.Backward<double>(dx, dw, db, dy, x, w, mean, rstd, rows, channels, training);

        GradientCheck.Check("dInput", x, dx, Loss);
        GradientCheck.Check("dWeight", w, dw, Loss);
        GradientCheck.Check("dBias", b, db, Loss);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tuned_GradientsMatchCentralDifferencesInFloat(bool training)
    {
        const int rows = 6, channels = 11;
        float[] x = TestData.Uniform(rows * channels, 1), w = TestData.Uniform(channels, 2, 1.5f), b = TestData.Uniform(channels, 3);
        float[] dy = TestData.Uniform(rows * channels, 4);
        float[] y = new float[rows * channels], mean = new float[channels], rstd = new float[channels];
        float[] rm = new float[channels], rv = new float[channels];

        double Loss()
        {
            Array.Fill(rm, 0.1f);
            Array.Fill(rv, 0.8f);
            BatchNorm.Forward(y, mean, rstd, rm, rv, x, w, b, rows, channels, training);
            return GradientCheck.Dot(dy, y);
        }

        Loss();
        float[] dx = new float[x.Length], dw = new float[channels], db = new float[channels];
        BatchNorm.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, channels, training);

        // Float32 central differences, h = 1e-2 on inputs of standard deviation ~0.6 over 6 rows:
        // truncation O(h²·|f'''|) ≲ 1e-3, rounding ~1e-5·|L|/h; 2e-2 relative is safe, a wrong term is O(1).
        GradientCheck.CheckSingle("dInput", x, dx, Loss, tolerance: 2e-2);
        GradientCheck.CheckSingle("dWeight", w, dw, Loss, tolerance: 2e-2);
        GradientCheck.CheckSingle("dBias", b, db, Loss, tolerance: 2e-2);
    }

    [Fact]
    public void Training_OneStep_MatchesHandComputedStatistics()
    {
        // Channel 0 = [1, 2, 3, 4]: mean 2.5, squares 5, biased var 1.25, unbiased 5/3.
        // Channel 1 = [0, 0, 0, 8]: mean 2, squares 48, biased var 12, unbiased 16.
        float[] x = [1, 0, 2, 0, 3, 0, 4, 8];
        float[] y = new float[8], mean = new float[2], rstd = new float[2];
        float[] runningMean = [0, 0], runningVar = [1, 1];
        BatchNorm.Forward(y, mean, rstd, runningMean, runningVar, x, [1, 1], [0, 0], 4, 2, training: true);

        Assert.Equal(2.5f, mean[0]);
        Assert.Equal(2f, mean[1]);
        Assert.Equal(1 / Math.Sqrt(1.25 + 1e-5), rstd[0], 1e-6);
        Assert.Equal(1 / Math.Sqrt(12 + 1e-5), rstd[1], 1e-6);
        // running = 0.9 · running + 0.1 · batch, the variance with the unbiased batch variance.
        Assert.Equal(0.25, runningMean[0], 1e-7);
        Assert.Equal(0.2, runningMean[1], 1e-7);
        Assert.Equal(0.9 + 0.1 * 5.0 / 3.0, runningVar[0], 1e-6);
        Assert.Equal(0.9 + 0.1 * 16.0, runningVar[1], 1e-6);
        // Normalized with the biased variance.
        Assert.Equal(-1.5 / Math.Sqrt(1.25 + 1e-5), y[0], 1e-6);
        Assert.Equal(6 / Math.Sqrt(12 + 1e-5), y[7], 1e-6);

        // Evaluation then uses the running statistics and leaves them unchanged.
        float[] weight = [2, 1], bias = [0.5f, -1];
        BatchNorm.Forward(y, mean, rstd, runningMean, runningVar, x, weight, bias, 4, 2, training: false);
        Assert.Equal(0.25f, runningMean[0]);
        double v0 = 0.9 + 0.1 * 5.0 / 3.0, v1 = 2.5;
        Assert.Equal((1 - 0.25) / Math.Sqrt(v0 + 1e-5) * 2 + 0.5, y[0], 1e-5);
        Assert.Equal((8 - 0.2) / Math.Sqrt(v1 + 1e-5) * 1 - 1, y[7], 1e-5);
    }

    [Fact]
    public void Training_CustomMomentum_WeightsTheBatchStatistics()
    {
        float[] x = [1, 3];
        float[] y = new float[2], mean = new float[1], rstd = new float[1];
        float[] runningMean = [10], runningVar = [4];
        BatchNorm.Forward(y, mean, rstd, runningMean, runningVar, x, [1], [0], 2, 1, training: true, momentum: 0.25f);
        // Batch mean 2, unbiased variance ((1-2)² + (3-2)²) / 1 = 2.
        Assert.Equal(0.75 * 10 + 0.25 * 2, runningMean[0], 1e-6);
        Assert.Equal(0.75 * 4 + 0.25 * 2, runningVar[0], 1e-6);
    }

    [Fact]
    public void Tuned_MatchesReference_ForAllChannelsAndRows()
    {
        foreach (int channels in Channels)
        {
            for (int rows = 1; rows <= 33; rows++)
            {
                if (rows > 1)
                {
                    CompareWithReference(rows, channels, training: true, pool: null);
                }

                CompareWithReference(rows, channels, training: false, pool: null);
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tuned_OneAndTwoThreads_GiveIdenticalBits(bool training)
    {
        using var pool = new WorkerPool(2);
        foreach (var (rows, channels) in new[] { (64, 768), (1000, 17), (300, 100) })
        {
            var serial = Run(rows, channels, training, pool: null);
            var parallel = Run(rows, channels, training, pool);
            Assert.Equal(serial.Y, parallel.Y);
            Assert.Equal(serial.Mean, parallel.Mean);
            Assert.Equal(serial.Rstd, parallel.Rstd);
            Assert.Equal(serial.RunningMean, parallel.RunningMean);
            Assert.Equal(serial.RunningVar, parallel.RunningVar);
            Assert.Equal(serial.DX, parallel.DX);
            Assert.Equal(serial.DW, parallel.DW);
            Assert.Equal(serial.DB, parallel.DB);
            CompareWithReference(rows, channels, training, pool);
        }
    }

    [Fact]
    public void Backward_Accumulates()
    {
        const int rows = 9, channels = 19;
        var fresh = Run(rows, channels, training: true, pool: null);
        var data = MakeInputs(rows, channels);
        float[] dx = TestData.Uniform(rows * channels, 10), dw = TestData.Uniform(channels, 11), db = TestData.Uniform(channels, 12);
        float[] dx0 = (float[])dx.Clone(), dw0 = (float[])dw.Clone(), db0 = (float[])db.Clone();
        BatchNorm.Backward(dx, dw, db, data.DY, data.X, data.W, fresh.Mean, fresh.Rstd, rows, channels, training: true);
        for (int i = 0; i < dx.Length; i++)
        {
            Assert.Equal(dx0[i] + fresh.DX[i], dx[i], 1e-5f);
        }

        for (int c = 0; c < channels; c++)
        {
            Assert.Equal(dw0[c] + fresh.DW[c], dw[c], 1e-5f);
            Assert.Equal(db0[c] + fresh.DB[c], db[c], 1e-5f);
        }
    }

    [Fact]
    public void Training_OneRow_ThrowsLikePyTorch()
    {
        var error = Assert.Throws<ArgumentException>(() => BatchNorm.Forward(new float[3], new float[3], new float[3],
            new float[3], new float[3], new float[3], new float[3], new float[3], 1, 3, training: true));
        Assert.Equal("rows", error.ParamName);
        Assert.Contains("more than one value per channel", error.Message, StringComparison.Ordinal);

        // Evaluation with one row is fine: the running statistics normalize.
        float[] y = new float[3];
        BatchNorm.Forward(y, new float[3], new float[3], [0, 0, 0], [1, 1, 1], [1, 2, 3], [1, 1, 1], [0, 0, 0], 1, 3, training: false);
        Assert.Equal(3 / Math.Sqrt(1 + 1e-5), y[2], 1e-6);
    }

    [Fact]
    public void WrongLengths_NameTheArgument()
    {
        var error = Assert.Throws<ArgumentException>(() => BatchNorm.Forward(new float[6], new float[3], new float[3],
            new float[3], new float[3], new float[6], new float[2], new float[3], 2, 3, training: true));
        Assert.Equal("weight", error.ParamName);

        error = Assert.Throws<ArgumentException>(() => BatchNorm.Forward(new float[6], new float[3], new float[3],
            new float[3], new float[4], new float[6], new float[3], new float[3], 2, 3, training: true));
        Assert.Equal("runningVar", error.ParamName);

        error = Assert.Throws<ArgumentException>(() => BatchNorm.Backward(new float[6], new float[3], new float[3],
            new float[6], new float[6], new float[3], new float[3], new float[2], 2, 3, training: true));
        Assert.Equal("savedRstd", error.ParamName);

        var range = Assert.Throws<ArgumentOutOfRangeException>(() => BatchNorm.Forward(new float[6], new float[3], new float[3],
            new float[3], new float[3], new float[6], new float[3], new float[3], 2, 3, training: true, momentum: 1.5f));
        Assert.Equal("momentum", range.ParamName);
    }

    private sealed record Inputs(float[] X, float[] W, float[] B, float[] DY, float[] RunningMean, float[] RunningVar);

    private sealed record Result(float[] Y, float[] Mean, float[] Rstd, float[] RunningMean, float[] RunningVar,
        float[] DX, float[] DW, float[] DB);

    private static Inputs MakeInputs(int rows, int channels)
    {
        float[] x = TestData.Uniform(rows * channels, 1, 2f);
        // An offset makes the channel means non-zero, so the two-pass variance matters.
        for (int i = 0; i < x.Length; i++)
        {
            x[i] += 3f;
        }

        float[] runningVar = TestData.Uniform(channels, 6, 0.5f);
        for (int c = 0; c < channels; c++)
        {
            runningVar[c] += 4f;
        }

        return new Inputs(x, TestData.Uniform(channels, 2), TestData.Uniform(channels, 3), TestData.Uniform(rows * channels, 4),
            TestData.Uniform(channels, 5, 3f), runningVar);
    }

    private static Result Run(int rows, int channels, bool training, WorkerPool? pool)
    {
        var data = MakeInputs(rows, channels);
        var r = new Result(new float[rows * channels], new float[channels], new float[channels],
            (float[])data.RunningMean.Clone(), (float[])data.RunningVar.Clone(),
            new float[rows * channels], new float[channels], new float[channels]);
        BatchNorm.Forward(r.Y, r.Mean, r.Rstd, r.RunningMean, r.RunningVar, data.X, data.W, data.B, rows, channels, training, pool: pool);
        BatchNorm.Backward(r.DX, r.DW, r.DB, data.DY, data.X, data.W, r.Mean, r.Rstd, rows, channels, training, pool);
        return r;
    }

    private static void CompareWithReference(int rows, int channels, bool training, WorkerPool? pool)
    {
        var data = MakeInputs(rows, channels);
        var tuned = Run(rows, channels, training, pool);
        float[] y = new float[rows * channels], mean = new float[channels], rstd = new float[channels];
        float[] rm = (float[])data.RunningMean.Clone(), rv = (float[])data.RunningVar.Clone();
        float[] dx = new float[rows * channels], dw = new float[channels], db = new float[channels];
        BatchNormReference.Forward<float>(y, mean, rstd, rm, rv, data.X, data.W, data.B, rows, channels, training);
        BatchNormReference.Backward<float>(dx, dw, db, data.DY, data.X, data.W, mean, rstd, rows, channels, training);

        // Both are float with the same summation order per channel (rows in order); they differ only
        // in fused multiply-adds and in computing (x - mean)·rstd·w + b as one FMA, i.e. a few ulp per
        // operation on values of size ~3: 2e-5 relative and absolute is far above that and far below
        // any real error. The gradients sum up to 1000 terms of size ~1 with a cancellation in dx: 1e-4.
        string what = $"[{rows} x {channels}] training={training}";
        Compare.Close(mean, tuned.Mean, 2e-5, 2e-5, $"savedMean {what}");
        Compare.Close(rstd, tuned.Rstd, 2e-5, 2e-5, $"savedRstd {what}");
        Compare.Close(rm, tuned.RunningMean, 2e-5, 2e-5, $"runningMean {what}");
        Compare.Close(rv, tuned.RunningVar, 2e-5, 2e-5, $"runningVar {what}");
        Compare.Close(y, tuned.Y, 2e-5, 2e-5, $"output {what}");
        Compare.Close(dx, tuned.DX, 1e-4, 1e-4, $"dInput {what}");
        Compare.Close(dw, tuned.DW, 1e-4, 1e-4, $"dWeight {what}");
        Compare.Close(db, tuned.DB, 1e-4, 1e-4, $"dBias {what}");
    }
}

public sealed class BatchNormAllocationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ForwardAndBackward_AllocateNothing(bool training)
    {
        const int rows = 64, channels = 768;
        float[] x = TestData.Uniform(rows * channels, 1), w = TestData.Uniform(channels, 2), b = TestData.Uniform(channels, 3);
        float[] dy = TestData.Uniform(rows * channels, 4);
        float[] y = new float[rows * channels], mean = new float[channels], rstd = new float[channels];
        float[] rm = new float[channels], rv = new float[channels];
        Array.Fill(rv, 1f);
        float[] dx = new float[rows * channels], dw = new float[channels], db = new float[channels];
        using var pool = new WorkerPool(2);

        Assert.Equal(0, Allocations.Measure(() =>
        {
            BatchNorm.Forward(y, mean, rstd, rm, rv, x, w, b, rows, channels, training);
            BatchNorm.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, channels, training);
        }));
        Assert.Equal(0, Allocations.Measure(() =>
        {
            BatchNorm.Forward(y, mean, rstd, rm, rv, x, w, b, rows, channels, training, pool: pool);
            BatchNorm.Backward(dx, dw, db, dy, x, w, mean, rstd, rows, channels, training, pool);
        }));
    }
}
