using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

/// <summary>PReLU: the reference against central differences (input and slopes), the tuned kernel against the reference.</summary>
public sealed class PReLUTests
{
    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(3, 7, false)]
    [InlineData(3, 7, true)]
    [InlineData(2, 17, true)]
    [InlineData(4, 33, false)]
    [InlineData(4, 33, true)]
    public void Reference_GradientsMatchCentralDifferences(int rows, int channels, bool perChannel)
    {
        int seed = (rows * 1000) + (channels * 10) + (perChannel ? 1 : 0);
        int slopes = perChannel ? channels : 1;
        double[] x = TestData.UniformDouble(rows * channels, seed);
        double[] a = TestData.UniformDouble(slopes, seed + 1, 0.5);
        double[] dy = TestData.UniformDouble(rows * channels, seed + 2);
        var y = new double[rows * channels];
        double Loss()
        {
            PReLUReference.Forward<double>(y, x, a, rows, channels);
            return GradientCheck.Dot(y, dy);
        }

        var dx = new double[rows * channels];
        var da = new double[slopes];
        PReLUReference.Backward<double>(dx, da, dy, x, a, rows, channels);
        GradientCheck.Check("dInput", x, dx, Loss);
        GradientCheck.Check("dWeight", a, da, Loss);
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(5, 3, true)]
    [InlineData(7, 8, true)]
    [InlineData(3, 16, false)]
    [InlineData(6, 37, true)]
    [InlineData(6, 37, false)]
    [InlineData(9, 100, true)]
    [InlineData(2, 257, false)]
    public void Tuned_MatchesReference(int rows, int channels, bool perChannel)
    {
        int seed = (rows * 1000) + channels;
        int slopes = perChannel ? channels : 1;
        float[] x = TestData.Uniform(rows * channels, seed);
        x[0] = 0f; // the kink: both take the slope side (x > 0 is the identity), as PyTorch
        float[] a = TestData.Uniform(slopes, seed + 1, 0.5f);
        float[] dy = TestData.Uniform(rows * channels, seed + 2);
        float[] dx0 = TestData.Uniform(rows * channels, seed + 3);
        float[] da0 = TestData.Uniform(slopes, seed + 4);

        float[] expected = new float[rows * channels], actual = new float[rows * channels];
        PReLUReference.Forward<float>(expected, x, a, rows, channels);
        PReLU.Forward(actual, x, a, rows, channels);
        Assert.Equal(expected, actual); // one multiply or a copy per element: bit-identical

        float[] dxExpected = (float[])dx0.Clone(), daExpected = (float[])da0.Clone();
        float[] dxActual = (float[])dx0.Clone(), daActual = (float[])da0.Clone();
        PReLUReference.Backward<float>(dxExpected, daExpected, dy, x, a, rows, channels);
        PReLU.Backward(dxActual, daActual, dy, x, a, rows, channels);
        Assert.Equal(dxExpected, dxActual); // accumulated into the starting values, element by element
        // The slope sums run in another order (vector lanes) for a shared slope.
        Compare.Close(daExpected, daActual, rtol: 1e-5, atol: 1e-5, "dWeight");
    }

    [Fact]
    public void Backward_accumulates()
    {
        const int rows = 4, channels = 9;
        float[] x = TestData.Uniform(rows * channels, 1);
        float[] a = TestData.Uniform(channels, 2);
        float[] dy = TestData.Uniform(rows * channels, 3);
        float[] dx1 = new float[rows * channels], da1 = new float[channels];
        PReLU.Backward(dx1, da1, dy, x, a, rows, channels);
        float[] dx2 = new float[rows * channels], da2 = new float[channels];
        PReLU.Backward(dx2, da2, dy, x, a, rows, channels);
        PReLU.Backward(dx2, da2, dy, x, a, rows, channels);
        for (int i = 0; i < dx1.Length; i++)
        {
            Assert.Equal(2 * dx1[i], dx2[i], 1e-6f);
        }

        for (int i = 0; i < da1.Length; i++)
        {
            Assert.Equal(2 * da1[i], da2[i], 1e-5f);
        }
    }

    [Fact]
    public void Forward_and_Backward_allocate_nothing()
    {
        const int rows = 16, channels = 37;
        float[] x = TestData.Uniform(rows * channels, 1), y = new float[rows * channels], dy = TestData.Uniform(rows * channels, 2);
        float[] dx = new float[rows * channels];
        float[] shared = [0.25f], perChannel = TestData.Uniform(channels, 3), dShared = new float[1], dPerChannel = new float[channels];
        Assert.Equal(0, Allocations.Measure(() =>
        {
            PReLU.Forward(y, x, shared, rows, channels);
            PReLU.Backward(dx, dShared, dy, x, shared, rows, channels);
            PReLU.Forward(y, x, perChannel, rows, channels);
            PReLU.Backward(dx, dPerChannel, dy, x, perChannel, rows, channels);
        }));
    }

    [Fact]
    public void Arguments_are_checked()
    {
        float[] x = new float[12], y = new float[12], dx = new float[12], dy = new float[12];
        var error = Assert.Throws<ArgumentException>(() => PReLU.Forward(y, x, new float[3], 3, 4));
        Assert.Equal("weight", error.ParamName);
        Assert.Contains("expected 1 (shared) or 4", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => PReLU.Forward(y.AsSpan(1), x, new float[1], 3, 4));
        Assert.Contains("output", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => PReLU.Backward(dx, new float[1], dy, x, new float[4], 3, 4));
        Assert.Contains("dWeight", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => PReLU.Backward(dx, new float[4], dy.AsSpan(2), x, new float[4], 3, 4));
        Assert.Contains("dOutput", error.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => PReLU.Forward(y, x, new float[1], 0, 4));
        Assert.ThrowsAny<ArgumentException>(() => PReLUReference.Forward<float>(y, x, new float[2], 3, 4));
    }
}
