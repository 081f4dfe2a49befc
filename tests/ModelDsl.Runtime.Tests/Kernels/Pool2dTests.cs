using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

/// <summary>
/// MaxPool2d, AvgPool2d and GlobalAvgPool2d: references against central differences, kernels against references, ties, rules,
/// 0 bytes.
/// </summary>
public sealed class Pool2dTests
{
    // batch, channels, height, width, kernel, stride (0 = kernel), padding
    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        { 1, 1, 4, 4, 2, 0, 0 },
        { 2, 3, 7, 6, 3, 2, 1 },
        { 2, 2, 9, 9, 3, 1, 1 },
        { 1, 2, 5, 8, 2, 3, 1 },
        { 3, 1, 6, 6, 6, 0, 0 }, // global pooling of a 6x6 image
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void References_GradientsMatchCentralDifferences(int batch, int channels, int height, int width, int kernel, int stride, int padding)
    {
        Pool2dShape s = Pool2dShape.Create(batch, channels, height, width, kernel, stride, padding);
        double[] x = TestData.UniformDouble(s.InputLength, height * 100 + width); // distinct values: no ties at the maxima
        double[] dy = TestData.UniformDouble(s.OutputLength, kernel);
        var y = new double[s.OutputLength];
        var dx = new double[s.InputLength];
        Pool2dReference.MaxBackward<double>(dx, dy, x, s);
        GradientCheck.Check("max dInput", x, dx, () =>
        {
            Pool2dReference.MaxForward<double>(y, x, s);
            return GradientCheck.Dot(y, dy);
        });

        Array.Clear(dx);
        Pool2dReference.AvgBackward<double>(dx, dy, s);
        GradientCheck.Check("avg dInput", x, dx, () =>
        {
            Pool2dReference.AvgForward<double>(y, x, s);
            return GradientCheck.Dot(y, dy);
        });
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Kernels_MatchReferences(int batch, int channels, int height, int width, int kernel, int stride, int padding)
    {
        Pool2dShape s = Pool2dShape.Create(batch, channels, height, width, kernel, stride, padding);
        float[] x = TestData.Uniform(s.InputLength, height + width);
        float[] dy = TestData.Uniform(s.OutputLength, kernel + 7);
        float[] expected = new float[s.OutputLength], actual = new float[s.OutputLength];
        var indices = new int[s.OutputLength];
        Pool2dReference.MaxForward<float>(expected, x, s);
        MaxPool2d.Forward(actual, indices, x, s);
        Assert.Equal(expected, actual); // a maximum is one of the inputs: bit-identical
        float[] dxE = TestData.Uniform(s.InputLength, 3), dxA = (float[])dxE.Clone();
        Pool2dReference.MaxBackward<float>(dxE, dy, x, s);
        MaxPool2d.Backward(dxA, dy, indices, s);
        Assert.Equal(dxE, dxA); // the same additions in the same order

        Pool2dReference.AvgForward<float>(expected, x, s);
        AvgPool2d.Forward(actual, x, s);
        // sum · (1/k²) against sum / k² over at most 36 values: within a couple of float32 ulps.
        Compare.Close(expected, actual, rtol: 1e-6, atol: 1e-6, "avg output");
        dxE = TestData.Uniform(s.InputLength, 4);
        dxA = (float[])dxE.Clone();
        Pool2dReference.AvgBackward<float>(dxE, dy, s);
        AvgPool2d.Backward(dxA, dy, s);
        Compare.Close(dxE, dxA, rtol: 1e-6, atol: 1e-6, "avg dInput");
    }

    [Fact]
    public void Max_ties_go_to_the_first_position_of_the_window_and_padding_never_wins()
    {
        // One 3x3 image of equal negative values, kernel 2, stride 1, padding 1: every window's maximum is its first in-image value.
        Pool2dShape s = Pool2dShape.Create(1, 1, 3, 3, 2, 1, 1);
        float[] x = [-1, -1, -1, -1, -1, -1, -1, -1, -1];
        float[] y = new float[s.OutputLength];
        var indices = new int[s.OutputLength];
        MaxPool2d.Forward(y, indices, x, s);
        Assert.All(y, v => Assert.Equal(-1f, v)); // not 0 from the padding
        // Output (oy, ox) covers rows oy-1..oy and columns ox-1..ox; its first in-image position is (max(oy-1,0), max(ox-1,0)).
        for (int oy = 0; oy < s.OutHeight; oy++)
        {
            for (int ox = 0; ox < s.OutWidth; ox++)
            {
                Assert.Equal((Math.Max(oy - 1, 0) * 3) + Math.Max(ox - 1, 0), indices[(oy * s.OutWidth) + ox]);
            }
        }
    }

    [Fact]
    public void Rules_and_allocations()
    {
        Assert.Equal(2, Pool2dShape.Create(1, 1, 4, 4, 2).OutHeight); // stride defaults to the kernel
        Assert.Equal(4, Pool2dShape.Create(1, 1, 7, 7, 3, 2, 1).OutWidth); // (7 + 2 - 3) / 2 + 1
        Assert.Equal("padding", Assert.Throws<ArgumentOutOfRangeException>(() => Pool2dShape.Create(1, 1, 7, 7, 3, 1, 2)).ParamName);
        Assert.Equal("kernel", Assert.Throws<ArgumentException>(() => Pool2dShape.Create(1, 1, 2, 2, 3)).ParamName);
        Assert.Equal("kernel", Assert.Throws<ArgumentOutOfRangeException>(() => Pool2dShape.Create(1, 1, 2, 2, 0)).ParamName);
        Pool2dShape s = Pool2dShape.Create(2, 3, 8, 8, 2);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => AvgPool2d.Forward(new float[s.OutputLength], new float[5], s)).ParamName);
        Assert.Equal("indices", Assert.Throws<ArgumentException>(() => MaxPool2d.Backward(new float[s.InputLength], new float[s.OutputLength], new int[s.OutputLength].AsSpan(1), s)).ParamName);

        float[] x = TestData.Uniform(s.InputLength, 1), y = new float[s.OutputLength], dy = TestData.Uniform(s.OutputLength, 2), dx = new float[s.InputLength];
        var indices = new int[s.OutputLength];
        Assert.Equal(0, Allocations.Measure(() =>
        {
            MaxPool2d.Forward(y, indices, x, s);
            MaxPool2d.Backward(dx, dy, indices, s);
            AvgPool2d.Forward(y, x, s);
            AvgPool2d.Backward(dx, dy, s);
        }));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(6, 35)]
    [InlineData(16, 64)]
    public void Global_average_reference_matches_central_differences_and_the_kernel_matches_it(int planes, int area)
    {
        double[] x = TestData.UniformDouble(planes * area, area), dy = TestData.UniformDouble(planes, planes);
        var y = new double[planes];
        var dx = new double[planes * area];
        Pool2dReference.GlobalAverageBackward<double>(dx, dy, planes, area);
        GradientCheck.Check("global dInput", x, dx, () =>
        {
            Pool2dReference.GlobalAverageForward<double>(y, x, planes, area);
            return GradientCheck.Dot(y, dy);
        });

        float[] xf = TestData.Uniform(planes * area, 5), dyf = TestData.Uniform(planes, 6);
        float[] expected = new float[planes], actual = new float[planes];
        Pool2dReference.GlobalAverageForward<float>(expected, xf, planes, area);
        GlobalAvgPool2d.Forward(actual, xf, planes, area);
        // sum · (1/area) against sum / area, the same sum: within a float32 ulp or two.
        Compare.Close(expected, actual, rtol: 1e-6, atol: 1e-6, "global output");
        float[] dxE = TestData.Uniform(planes * area, 7), dxA = (float[])dxE.Clone();
        Pool2dReference.GlobalAverageBackward<float>(dxE, dyf, planes, area);
        GlobalAvgPool2d.Backward(dxA, dyf, planes, area);
        Compare.Close(dxE, dxA, rtol: 1e-6, atol: 1e-6, "global dInput");

        // As AvgPool2d with the whole plane as its window (square planes).
        int side = (int)Math.Sqrt(area);
        if (side * side == area)
        {
            Pool2dShape whole = Pool2dShape.Create(planes, 1, side, side, side);
            var pooled = new float[planes];
            AvgPool2d.Forward(pooled, xf, whole);
            Compare.Close(pooled, actual, rtol: 1e-6, atol: 1e-6, "global vs AvgPool2d");
        }
    }

    [Fact]
    public void Global_average_rules_and_allocations()
    {
        Assert.Equal("area", Assert.Throws<ArgumentOutOfRangeException>(() => GlobalAvgPool2d.Forward(new float[2], new float[0], 2, 0)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => GlobalAvgPool2d.Forward(new float[3], new float[8], 2, 4)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => GlobalAvgPool2d.Forward(new float[2], new float[7], 2, 4)).ParamName);
        float[] x = TestData.Uniform(6 * 49, 1), y = new float[6], dx = new float[6 * 49];
        Assert.Equal(0, Allocations.Measure(() =>
        {
            GlobalAvgPool2d.Forward(y, x, 6, 49);
            GlobalAvgPool2d.Backward(dx, y, 6, 49);
        }));
    }

    [Fact]
    public void Max_indices_kept_in_a_float_buffer_give_the_same_results()
    {
        Pool2dShape s = Pool2dShape.Create(2, 3, 7, 6, 3, 2, 1);
        float[] x = TestData.Uniform(s.InputLength, 9), dy = TestData.Uniform(s.OutputLength, 10);
        float[] expected = new float[s.OutputLength], actual = new float[s.OutputLength];
        var indices = new int[s.OutputLength];
        var bits = new float[s.OutputLength];
        MaxPool2d.Forward(expected, indices, x, s);
        MaxPool2d.Forward(actual, bits, x, s);
        Assert.Equal(expected, actual);
        float[] dxE = new float[s.InputLength], dxA = new float[s.InputLength];
        MaxPool2d.Backward(dxE, dy, indices, s);
        MaxPool2d.Backward(dxA, dy, bits, s);
        Assert.Equal(dxE, dxA);
    }
}
