using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

/// <summary>
/// Convolution (nn.Conv2d / nn.Conv1d): the reference against central differences, the im2col + GEMM kernel against the reference
/// over a sweep of kernel, stride, padding, dilation and groups, the shape rules, and 0 bytes allocated.
/// </summary>
public sealed class ConvolutionTests
{
    // batch, in, height, width, out, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, groups
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1 },
        new[] { 2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 }, // "same" padding
        new[] { 2, 2, 9, 8, 3, 3, 2, 2, 2, 1, 0, 1, 1, 1 }, // strides, uneven kernel
        new[] { 1, 3, 9, 9, 2, 3, 3, 1, 1, 2, 2, 2, 2, 1 }, // dilation 2
        new[] { 2, 4, 6, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2 }, // two groups
        new[] { 1, 4, 5, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1, 4 }, // depthwise
        new[] { 3, 2, 1, 17, 5, 1, 4, 1, 2, 0, 1, 1, 1, 1 }, // a Conv1d: height 1
        new[] { 2, 1, 8, 8, 3, 8, 8, 1, 1, 0, 0, 1, 1, 1 }, // kernel covers the image: 1x1 output
    };

    private static ConvolutionShape Shape(int[] v) => ConvolutionShape.Create(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13]);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Reference_GradientsMatchCentralDifferences(int[] sizes)
    {
        ConvolutionShape s = Shape(sizes);
        int seed = s.GetHashCode() & 0xffff;
        double[] x = TestData.UniformDouble((int)s.InputLength, seed);
        double[] w = TestData.UniformDouble((int)s.WeightLength, seed + 1, 0.5);
        double[] bias = TestData.UniformDouble(s.OutChannels, seed + 2);
        double[] dy = TestData.UniformDouble((int)s.OutputLength, seed + 3);
        var y = new double[s.OutputLength];
        double Loss()
        {
            ConvolutionReference.Forward<double>(y, x, w, bias, s);
            return GradientCheck.Dot(y, dy);
        }

        var dx = new double[s.InputLength];
        var dw = new double[s.WeightLength];
        var db = new double[s.OutChannels];
        ConvolutionReference.Backward<double>(dx, dw, db, dy, x, w, s);
        GradientCheck.Check("dInput", x, dx, Loss);
        GradientCheck.Check("dWeight", w, dw, Loss);
        GradientCheck.Check("dBias", bias, db, Loss);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Tuned_MatchesReference(int[] sizes)
    {
        ConvolutionShape s = Shape(sizes);
        int seed = s.GetHashCode() & 0xffff;
        float[] x = TestData.Uniform((int)s.InputLength, seed);
        float[] w = TestData.Uniform((int)s.WeightLength, seed + 1, 0.5f);
        float[] bias = TestData.Uniform(s.OutChannels, seed + 2);
        float[] dy = TestData.Uniform((int)s.OutputLength, seed + 3);
        float[] dx0 = TestData.Uniform((int)s.InputLength, seed + 4);
        float[] dw0 = TestData.Uniform((int)s.WeightLength, seed + 5);
        float[] db0 = TestData.Uniform(s.OutChannels, seed + 6);
        var scratch = new float[s.ScratchLength];

        float[] expected = new float[s.OutputLength], actual = new float[s.OutputLength];
        ConvolutionReference.Forward<float>(expected, x, w, bias, s);
        using var pool = new WorkerPool(2);
        Convolution.Forward(actual, x, w, bias, s, scratch, pool);

        // Sums of at most Cin·kH·kW = 64 products of values in [-1, 1] in another order (GEMM blocks and vector lanes):
        // a few float32 ulps of the sum's magnitude; a wrong index or a missing term is off by whole units.
        Compare.Close(expected, actual, rtol: 1e-5, atol: 1e-5, "output");

        float[] dxE = (float[])dx0.Clone(), dwE = (float[])dw0.Clone(), dbE = (float[])db0.Clone();
        float[] dxA = (float[])dx0.Clone(), dwA = (float[])dw0.Clone(), dbA = (float[])db0.Clone();
        ConvolutionReference.Backward<float>(dxE, dwE, dbE, dy, x, w, s);
        Convolution.Backward(dxA, dwA, dbA, dy, x, w, s, scratch, pool);

        // The weight gradient sums B·OH·OW products (up to 170 here), accumulated onto the starting values.
        Compare.Close(dxE, dxA, rtol: 1e-5, atol: 1e-5, "dInput");
        Compare.Close(dwE, dwA, rtol: 1e-5, atol: 5e-5, "dWeight");
        Compare.Close(dbE, dbA, rtol: 1e-5, atol: 5e-5, "dBias");
    }

    [Fact]
    public void Without_bias_and_without_an_input_gradient()
    {
        ConvolutionShape s = ConvolutionShape.Create(2, 3, 6, 6, 4, 3, padding: 1);
        float[] x = TestData.Uniform((int)s.InputLength, 1), w = TestData.Uniform((int)s.WeightLength, 2), dy = TestData.Uniform((int)s.OutputLength, 3);
        float[] expected = new float[s.OutputLength], actual = new float[s.OutputLength];
        ConvolutionReference.Forward<float>(expected, x, w, ReadOnlySpan<float>.Empty, s);
        Convolution.Forward(actual, x, w, ReadOnlySpan<float>.Empty, s, new float[s.ScratchLength]);
        Compare.Close(expected, actual, rtol: 1e-5, atol: 1e-5, "output"); // as Tuned_MatchesReference

        float[] dwE = new float[s.WeightLength], dwA = new float[s.WeightLength];
        ConvolutionReference.Backward<float>(Span<float>.Empty, dwE, Span<float>.Empty, dy, x, w, s);
        Convolution.Backward(Span<float>.Empty, dwA, Span<float>.Empty, dy, x, w, s, new float[s.ScratchLength]);
        Compare.Close(dwE, dwA, rtol: 1e-5, atol: 5e-5, "dWeight");
    }

    [Fact]
    public void Forward_and_Backward_allocate_nothing()
    {
        ConvolutionShape s = ConvolutionShape.Create(4, 3, 12, 12, 8, 3, stride: 1, padding: 1);
        float[] x = TestData.Uniform((int)s.InputLength, 1), w = TestData.Uniform((int)s.WeightLength, 2), bias = new float[8];
        float[] y = new float[s.OutputLength], dy = TestData.Uniform((int)s.OutputLength, 3), dx = new float[s.InputLength], dw = new float[s.WeightLength], db = new float[8];
        var scratch = new float[s.ScratchLength];
        using var pool = new WorkerPool(2);
        Assert.Equal(0, Allocations.Measure(() =>
        {
            Convolution.Forward(y, x, w, bias, s, scratch, pool);
            Convolution.Backward(dx, dw, db, dy, x, w, s, scratch, pool);
        }));
    }

    [Fact]
    public void Shape_rules_name_the_size_that_breaks_them()
    {
        Assert.Equal(3, ConvolutionShape.Create(1, 1, 7, 7, 1, 3, stride: 2).OutHeight); // (7 - 3) / 2 + 1
        Assert.Equal(7, ConvolutionShape.Create(1, 1, 7, 7, 1, 3, padding: 1).OutWidth);
        Assert.Equal(3, ConvolutionShape.Create(1, 1, 7, 7, 1, 3, dilation: 2).OutHeight); // 7 - 2·2 - 1 + 1
        Assert.Equal("strideHeight", Assert.Throws<ArgumentOutOfRangeException>(() => ConvolutionShape.Create(1, 1, 7, 7, 1, 3, stride: 0)).ParamName);
        Assert.Equal("groups", Assert.Throws<ArgumentException>(() => ConvolutionShape.Create(1, 3, 7, 7, 4, 3, groups: 2)).ParamName);
        var tooBig = Assert.Throws<ArgumentException>(() => ConvolutionShape.Create(1, 1, 4, 4, 1, 3, dilation: 2));
        Assert.Contains("output would be empty", tooBig.Message, StringComparison.Ordinal);
        Assert.Equal("padHeight", Assert.Throws<ArgumentOutOfRangeException>(() => ConvolutionShape.Create(1, 1, 4, 4, 1, 3, padding: -1)).ParamName);

        ConvolutionShape s = ConvolutionShape.Create(1, 2, 5, 5, 3, 3);
        var error = Assert.Throws<ArgumentException>(() => Convolution.Forward(new float[s.OutputLength], new float[s.InputLength - 1], new float[s.WeightLength], ReadOnlySpan<float>.Empty, s, new float[s.ScratchLength]));
        Assert.Equal("input", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Convolution.Forward(new float[s.OutputLength], new float[s.InputLength], new float[s.WeightLength], new float[2], s, new float[s.ScratchLength]));
        Assert.Equal("bias", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Convolution.Forward(new float[s.OutputLength], new float[s.InputLength], new float[s.WeightLength], ReadOnlySpan<float>.Empty, s, new float[1]));
        Assert.Equal("scratch", error.ParamName);
    }
}
