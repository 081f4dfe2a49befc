using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

public sealed class SoftmaxTests
{
    private static readonly int[] s_widths = { 1, 7, 8, 15, 16, 17, 33, 1000 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reference_GradientMatchesCentralDifferences(bool log)
    {
        foreach (var (rows, width) in new[] { (1, 1), (1, 7), (3, 17), (2, 33) })
        {
            double[] x = TestData.UniformDouble(rows * width, seed: rows * 100 + width, scale: 3);
            double[] dOut = TestData.UniformDouble(rows * width, seed: 7 + width);
            double[] y = new double[rows * width];
            Forward(y, x, rows, width, log);
            double[] dX = new double[rows * width];
            if (log)
            {
                SoftmaxReference.LogBackward<double>(dX, dOut, y, rows, width);
            }
            else
            {
                SoftmaxReference.Backward<double>(dX, dOut, y, rows, width);
            }

            GradientCheck.Check($"{(log ? "log_softmax" : "softmax")} [{rows}x{width}]", x, dX, () =>
            {
                Forward(y, x, rows, width, log);
                return GradientCheck.Dot(dOut, y);
            });
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tuned_MatchesFloat64Reference(bool log)
    {
        // Tolerance: float exp (~1 ulp) and a float row sum of up to 1000 terms (relative error ≲ 1e-6)
        // against float64. Softmax: rtol 2e-6, atol 1e-8 (probabilities ≤ 1). Log-softmax values are
        // O(10), so their absolute error is ~10·eps: atol 5e-6. Backward adds products of these.
        const int Rows = 3;
        foreach (int width in s_widths)
        {
            int n = Rows * width;
            float[] x = TestData.Uniform(n, seed: width, scale: 5f);
            float[] dOut = TestData.Uniform(n, seed: width + 1);
            float[] dStart = TestData.Uniform(n, seed: width + 2);
            float[] y = new float[n];
            float[] dX = (float[])dStart.Clone();
            if (log)
            {
                Softmax.LogForward(y, x, Rows, width);
                Softmax.LogBackward(dX, dOut, y, Rows, width);
            }
            else
            {
                Softmax.Forward(y, x, Rows, width);
                Softmax.Backward(dX, dOut, y, Rows, width);
            }

            double[] yRef = new double[n];
            Forward(yRef, TestData.ToDouble(x), Rows, width, log);
            double[] dRef = TestData.ToDouble(dStart);
            if (log)
            {
                SoftmaxReference.LogBackward<double>(dRef, TestData.ToDouble(dOut), yRef, Rows, width);
            }
            else
            {
                SoftmaxReference.Backward<double>(dRef, TestData.ToDouble(dOut), yRef, Rows, width);
            }

            Compare.Close(TestData.ToSingle(yRef), y, rtol: 2e-6, atol: log ? 5e-6 : 1e-8, $"forward width={width}");
            Compare.Close(TestData.ToSingle(dRef), dX, rtol: 2e-6, atol: 2e-6, $"backward width={width}");
        }
    }

    [Fact]
    public void Forward_MatchesHandComputation()
    {
        // softmax([1, 2, 3]) = e^k / (e + e² + e³); log-softmax = k - log(e + e² + e³).
        double sum = Math.E + Math.Exp(2) + Math.Exp(3);
        float[] y = new float[3];
        Softmax.Forward(y, new float[] { 1, 2, 3 }, 1, 3);
        Compare.Close(new[] { (float)(Math.E / sum), (float)(Math.Exp(2) / sum), (float)(Math.Exp(3) / sum) }, y, 1e-6, 0);
        Softmax.LogForward(y, new float[] { 1, 2, 3 }, 1, 3);
        Compare.Close(new[] { (float)(1 - Math.Log(sum)), (float)(2 - Math.Log(sum)), (float)(3 - Math.Log(sum)) }, y, 1e-6, 0);
    }

    [Fact]
    public void HugeLogits_StayFinite()
    {
        float[] x = { 1e4f, -1e4f, 0f, 1e4f };
        float[] y = new float[4];
        Softmax.Forward(y, x, 1, 4);
        Assert.Equal(new float[] { 0.5f, 0f, 0f, 0.5f }, y);
        float[] dX = new float[4];
        Softmax.Backward(dX, new float[] { 1f, 2f, 3f, -1f }, y, 1, 4);
        Assert.All(dX, v => Assert.True(float.IsFinite(v)));

        Softmax.LogForward(y, x, 1, 4);
        float ln2 = MathF.Log(2f);
        Compare.Close(new[] { -ln2, -2e4f - ln2, -1e4f - ln2, -ln2 }, y, 1e-6, 0);
        dX = new float[4];
        Softmax.LogBackward(dX, new float[] { 1f, 2f, 3f, -1f }, y, 1, 4);
        // dy - p·Σdy with p = [½, 0, 0, ½] and Σdy = 5.
        Compare.Close(new[] { 1f - 2.5f, 2f, 3f, -1f - 2.5f }, dX, 1e-6, 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_InPlaceEqualsOutOfPlace(bool log)
    {
        float[] x = TestData.Uniform(4 * 300, seed: 3, scale: 4f);
        float[] y = new float[x.Length];
        Forward(y, x, 4, 300, log);
        Forward(x, x, 4, 300, log);
        Assert.Equal(y, x);
    }

    [Fact]
    public void Pool_GivesTheSameBitsAsOneThread()
    {
        const int Rows = 1024, Width = 64;
        float[] x = TestData.Uniform(Rows * Width, seed: 11, scale: 4f);
        float[] dOut = TestData.Uniform(Rows * Width, seed: 12);
        using var pool = new WorkerPool(2);
        foreach (bool log in new[] { false, true })
        {
            float[] serialY = new float[x.Length], pooledY = new float[x.Length];
            float[] serialD = new float[x.Length], pooledD = new float[x.Length];
            if (log)
            {
                Softmax.LogForward(serialY, x, Rows, Width);
                Softmax.LogForward(pooledY, x, Rows, Width, pool);
                Softmax.LogBackward(serialD, dOut, serialY, Rows, Width);
                Softmax.LogBackward(pooledD, dOut, pooledY, Rows, Width, pool);
            }
            else
            {
                Softmax.Forward(serialY, x, Rows, Width);
                Softmax.Forward(pooledY, x, Rows, Width, pool);
                Softmax.Backward(serialD, dOut, serialY, Rows, Width);
                Softmax.Backward(pooledD, dOut, pooledY, Rows, Width, pool);
            }

            Assert.Equal(serialY, pooledY);
            Assert.Equal(serialD, pooledD);
        }
    }

    [Fact]
    public void WrongLengths_NameTheArgument()
    {
        var e = Assert.Throws<ArgumentException>(() => Softmax.Forward(new float[5], new float[6], 2, 3));
        Assert.Equal("output", e.ParamName);
        Assert.Contains("output", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Softmax.LogBackward(new float[6], new float[6], new float[7], 2, 3));
        Assert.Equal("output", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Softmax.Backward(new float[6], new float[5], new float[6], 2, 3));
        Assert.Equal("dOutput", e.ParamName);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.Forward(new float[0], new float[0], 0, 3));
        Assert.Equal("rows", range.ParamName);
    }

    private static void Forward(Span<double> y, ReadOnlySpan<double> x, int rows, int width, bool log)
    {
        if (log)
        {
            SoftmaxReference.LogForward(y, x, rows, width);
        }
        else
        {
            SoftmaxReference.Forward(y, x, rows, width);
        }
    }

    private static void Forward(Span<float> y, ReadOnlySpan<float> x, int rows, int width, bool log)
    {
        if (log)
        {
            Softmax.LogForward(y, x, rows, width);
        }
        else
        {
            Softmax.Forward(y, x, rows, width);
        }
    }
}

public sealed class SoftmaxAllocationTests
{
    [Fact]
    public void ForwardAndBackward_AllocateNothing_SerialAndPooled()
    {
        const int Rows = 1024, Width = 64;
        float[] x = TestData.Uniform(Rows * Width, seed: 1);
        float[] y = new float[x.Length];
        float[] d = new float[x.Length];
        using var pool = new WorkerPool(2);
        foreach (var p in new[] { null, pool })
        {
            Assert.Equal(0, Allocations.Measure(() =>
            {
                Softmax.Forward(y, x, Rows, Width, p);
                Softmax.Backward(d, x, y, Rows, Width, p);
                Softmax.LogForward(y, x, Rows, Width, p);
                Softmax.LogBackward(d, x, y, Rows, Width, p);
            }));
        }
    }
}
