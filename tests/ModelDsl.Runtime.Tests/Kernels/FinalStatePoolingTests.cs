using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

/// <summary>FinalStatePooling: the reference against central differences, the tuned kernel against the reference, h_n's layout.</summary>
public sealed class FinalStatePoolingTests
{
    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 5, 4, 2)]
    [InlineData(3, 5, 4, 1)]
    [InlineData(4, 7, 9, 2)]
    public void Reference_GradientsMatchCentralDifferences(int batch, int length, int hidden, int directions)
    {
        int width = hidden * directions;
        int seed = (batch * 1000) + (length * 100) + (hidden * 10) + directions;
        int[] lengths = Lengths(batch, length);
        double[] x = TestData.UniformDouble(batch * length * width, seed);
        double[] dy = TestData.UniformDouble(batch * width, seed + 1);
        var y = new double[batch * width];
        double Loss()
        {
            FinalStatePoolingReference.Forward<double>(y, x, lengths, batch, length, hidden, directions);
            return GradientCheck.Dot(y, dy);
        }

        var dx = new double[batch * length * width];
        FinalStatePoolingReference.Backward<double>(dx, dy, lengths, batch, length, hidden, directions);
        GradientCheck.Check("dInput", x, dx, Loss);
    }

    [Theory]
    [InlineData(1, 1, 1, 1, false)]
    [InlineData(3, 5, 4, 2, false)]
    [InlineData(3, 5, 4, 2, true)]
    [InlineData(5, 6, 17, 1, false)]
    [InlineData(6, 9, 33, 2, false)]
    [InlineData(2, 4, 64, 2, true)]
    public void Tuned_MatchesReference(int batch, int length, int hidden, int directions, bool allLengths)
    {
        int width = hidden * directions;
        int seed = (batch * 1000) + (length * 100) + hidden;
        int[] lengths = allLengths ? [] : Lengths(batch, length);
        float[] x = TestData.Uniform(batch * length * width, seed);
        float[] dy = TestData.Uniform(batch * width, seed + 1);
        float[] dx0 = TestData.Uniform(batch * length * width, seed + 2);

        float[] expected = TestData.Uniform(batch * width, seed + 3), actual = TestData.Uniform(batch * width, seed + 4);
        FinalStatePoolingReference.Forward<float>(expected, x, lengths, batch, length, hidden, directions);
        FinalStatePooling.Forward(actual, x, lengths, batch, length, hidden, directions);
        Assert.Equal(expected, actual); // copies: bit-identical

        float[] dxExpected = (float[])dx0.Clone(), dxActual = (float[])dx0.Clone();
        FinalStatePoolingReference.Backward<float>(dxExpected, dy, lengths, batch, length, hidden, directions);
        FinalStatePooling.Backward(dxActual, dy, lengths, batch, length, hidden, directions);
        Assert.Equal(dxExpected, dxActual); // one add per element, accumulated into the starting values
    }

    [Fact]
    public void Forward_takes_the_last_valid_position_forward_and_position_0_in_reverse()
    {
        // [B = 2, T = 3, 2H = 4]: value = 100 b + 10 t + column.
        const int batch = 2, length = 3, hidden = 2;
        float[] x = new float[batch * length * 2 * hidden];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < length; t++)
            {
                for (int d = 0; d < 2 * hidden; d++)
                {
                    x[(((b * length) + t) * 2 * hidden) + d] = (100 * b) + (10 * t) + d;
                }
            }
        }

        float[] y = new float[batch * 2 * hidden];
        FinalStatePooling.Forward(y, x, [2, 0], batch, length, hidden, 2);
        Assert.Equal([10f, 11f, 2f, 3f, 0f, 0f, 0f, 0f], y);
        FinalStatePooling.Forward(y, x, [3, 1], batch, length, hidden, 2);
        Assert.Equal([20f, 21f, 2f, 3f, 100f, 101f, 102f, 103f], y);
    }

    [Fact]
    public void Forward_and_Backward_allocate_nothing()
    {
        const int batch = 8, length = 11, hidden = 24;
        int[] lengths = Lengths(batch, length);
        float[] x = TestData.Uniform(batch * length * 2 * hidden, 1), y = new float[batch * 2 * hidden];
        float[] dy = TestData.Uniform(batch * 2 * hidden, 2), dx = new float[batch * length * 2 * hidden];
        Assert.Equal(0, Allocations.Measure(() =>
        {
            FinalStatePooling.Forward(y, x, lengths, batch, length, hidden, 2);
            FinalStatePooling.Backward(dx, dy, lengths, batch, length, hidden, 2);
            FinalStatePooling.Forward(y.AsSpan(0, batch * hidden), x.AsSpan(0, batch * length * hidden), lengths, batch, length, hidden, 1);
        }));
    }

    [Fact]
    public void Arguments_are_checked()
    {
        float[] x = new float[2 * 3 * 4], y = new float[2 * 4];
        Assert.ThrowsAny<ArgumentException>(() => FinalStatePooling.Forward(y, x, [], 2, 3, 2, 3));
        Assert.ThrowsAny<ArgumentException>(() => FinalStatePooling.Forward(y.AsSpan(1), x, [], 2, 3, 2, 2));
        Assert.ThrowsAny<ArgumentException>(() => FinalStatePooling.Forward(y, x, [4, 1], 2, 3, 2, 2));
        Assert.ThrowsAny<ArgumentException>(() => FinalStatePooling.Backward(x.AsSpan(2), y, [], 2, 3, 2, 2));
    }

    /// <summary>Lengths in [0, T], the first row full, one row empty when there are several.</summary>
    private static int[] Lengths(int batch, int length)
    {
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            lengths[b] = b == 0 ? length : (b == batch - 1 ? 0 : 1 + ((b * 7) % length));
        }

        return lengths;
    }
}
