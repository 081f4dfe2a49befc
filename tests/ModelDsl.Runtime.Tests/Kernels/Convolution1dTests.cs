using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

/// <summary>
/// Convolution1d (nn.Conv1d along a channels-last sequence [B, L, C]): the reference against central differences, the
/// unfold + GEMM kernel against the reference over a sweep of kernel, stride, padding, dilation and groups, the shape rules,
/// and 0 bytes allocated.
/// </summary>
public sealed class Convolution1dTests
{
    // batch, length, in, out, kernel, stride, padding, dilation, groups
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 1, 5, 1, 1, 1, 1, 0, 1, 1 },
        new[] { 2, 9, 3, 4, 3, 1, 1, 1, 1 }, // "same" padding
        new[] { 3, 11, 2, 5, 4, 2, 1, 1, 1 }, // stride 2, even kernel
        new[] { 2, 12, 3, 2, 3, 1, 2, 2, 1 }, // dilation 2, "same"
        new[] { 2, 10, 4, 6, 3, 3, 0, 1, 2 }, // two groups, stride 3
        new[] { 1, 8, 4, 4, 3, 1, 1, 1, 4 }, // depthwise
        new[] { 2, 7, 2, 3, 7, 1, 0, 1, 1 }, // kernel covers the sequence: one output
        new[] { 2, 9, 6, 6, 3, 2, 3, 3, 3 }, // everything at once
    };

    private static Convolution1dShape Shape(int[] v) => Convolution1dShape.Create(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Reference_GradientsMatchCentralDifferences(int[] sizes)
    {
        Convolution1dShape s = Shape(sizes);
        int seed = s.GetHashCode() & 0xffff;
        double[] x = TestData.UniformDouble((int)s.InputLength, seed);
        double[] w = TestData.UniformDouble((int)s.WeightLength, seed + 1, 0.5);
        double[] bias = TestData.UniformDouble(s.OutChannels, seed + 2);
        double[] dy = TestData.UniformDouble((int)s.OutputLength, seed + 3);
        var y = new double[s.OutputLength];
        double Loss()
        {
            Convolution1dReference.Forward<double>(y, x, w, bias, s);
            return GradientCheck.Dot(y, dy);
        }

        var dx = new double[s.InputLength];
        var dw = new double[s.WeightLength];
        var db = new double[s.OutChannels];
        Convolution1dReference.Backward<double>(dx, dw, db, dy, x, w, s);
        GradientCheck.Check("dInput", x, dx, Loss);
        GradientCheck.Check("dWeight", w, dw, Loss);
        GradientCheck.Check("dBias", bias, db, Loss);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Tuned_MatchesReference(int[] sizes)
    {
        Convolution1dShape s = Shape(sizes);
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
        Convolution1dReference.Forward<float>(expected, x, w, bias, s);
        using var pool = new WorkerPool(2);
        Convolution1d.Forward(actual, x, w, bias, s, scratch, pool);

        // Sums of at most Cin/groups·K = 14 products of values in [-1, 1] in another order (GEMM blocks and vector lanes):
        // a few float32 ulps of the sum's magnitude; a wrong index or a missing term is off by whole units.
        Compare.Close(expected, actual, rtol: 1e-5, atol: 1e-5, "output");

        float[] dxE = (float[])dx0.Clone(), dwE = (float[])dw0.Clone(), dbE = (float[])db0.Clone();
        float[] dxA = (float[])dx0.Clone(), dwA = (float[])dw0.Clone(), dbA = (float[])db0.Clone();
        Convolution1dReference.Backward<float>(dxE, dwE, dbE, dy, x, w, s);
        Convolution1d.Backward(dxA, dwA, dbA, dy, x, w, s, scratch, pool);

        // The weight and bias gradients sum B·OutLength products (up to 27 here), accumulated onto the starting values.
        Compare.Close(dxE, dxA, rtol: 1e-5, atol: 1e-5, "dInput");
        Compare.Close(dwE, dwA, rtol: 1e-5, atol: 5e-5, "dWeight");
        Compare.Close(dbE, dbA, rtol: 1e-5, atol: 5e-5, "dBias");
    }

    [Fact]
    public void Without_bias_and_without_an_input_gradient()
    {
        Convolution1dShape s = Convolution1dShape.Create(2, 10, 3, 4, 3, padding: 1);
        float[] x = TestData.Uniform((int)s.InputLength, 1), w = TestData.Uniform((int)s.WeightLength, 2), dy = TestData.Uniform((int)s.OutputLength, 3);
        float[] expected = new float[s.OutputLength], actual = new float[s.OutputLength];
        Convolution1dReference.Forward<float>(expected, x, w, ReadOnlySpan<float>.Empty, s);
        Convolution1d.Forward(actual, x, w, ReadOnlySpan<float>.Empty, s, new float[s.ScratchLength]);
        Compare.Close(expected, actual, rtol: 1e-5, atol: 1e-5, "output"); // as Tuned_MatchesReference

        float[] dwE = new float[s.WeightLength], dwA = new float[s.WeightLength];
        Convolution1dReference.Backward<float>(Span<float>.Empty, dwE, Span<float>.Empty, dy, x, w, s);
        Convolution1d.Backward(Span<float>.Empty, dwA, Span<float>.Empty, dy, x, w, s, new float[s.ScratchLength]);
        Compare.Close(dwE, dwA, rtol: 1e-5, atol: 5e-5, "dWeight"); // as Tuned_MatchesReference
    }

    [Fact]
    public void Forward_and_Backward_allocate_nothing()
    {
        Convolution1dShape s = Convolution1dShape.Create(4, 32, 16, 24, 3, stride: 1, padding: 1, groups: 2);
        float[] x = TestData.Uniform((int)s.InputLength, 1), w = TestData.Uniform((int)s.WeightLength, 2), bias = new float[24];
        float[] y = new float[s.OutputLength], dy = TestData.Uniform((int)s.OutputLength, 3), dx = new float[s.InputLength], dw = new float[s.WeightLength], db = new float[24];
        var scratch = new float[s.ScratchLength];
        using var pool = new WorkerPool(2);
        Assert.Equal(0, Allocations.Measure(() =>
        {
            Convolution1d.Forward(y, x, w, bias, s, scratch, pool);
            Convolution1d.Backward(dx, dw, db, dy, x, w, s, scratch, pool);
        }));
    }

    [Fact]
    public void Shape_rules_name_the_size_that_breaks_them()
    {
        Assert.Equal(3, Convolution1dShape.Create(1, 7, 1, 1, 3, stride: 2).OutLength); // (7 - 3) / 2 + 1
        Assert.Equal(7, Convolution1dShape.Create(1, 7, 1, 1, 3, padding: 1).OutLength);
        Assert.Equal(3, Convolution1dShape.Create(1, 7, 1, 1, 3, dilation: 2).OutLength); // 7 - 2·2 - 1 + 1
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => Convolution1dShape.Create(1, 7, 1, 1, 3, stride: 0)).ParamName);
        Assert.Equal("groups", Assert.Throws<ArgumentException>(() => Convolution1dShape.Create(1, 7, 3, 4, 3, groups: 2)).ParamName);
        var tooBig = Assert.Throws<ArgumentException>(() => Convolution1dShape.Create(1, 4, 1, 1, 3, dilation: 2));
        Assert.Contains("output would be empty", tooBig.Message, StringComparison.Ordinal);
        Assert.Equal("padding", Assert.Throws<ArgumentOutOfRangeException>(() => Convolution1dShape.Create(1, 4, 1, 1, 3, padding: -1)).ParamName);

        Convolution1dShape s = Convolution1dShape.Create(1, 5, 2, 3, 3);
        var error = Assert.Throws<ArgumentException>(() => Convolution1d.Forward(new float[s.OutputLength], new float[s.InputLength - 1], new float[s.WeightLength], ReadOnlySpan<float>.Empty, s, new float[s.ScratchLength]));
        Assert.Equal("input", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Convolution1d.Forward(new float[s.OutputLength], new float[s.InputLength], new float[s.WeightLength], new float[2], s, new float[s.ScratchLength]));
        Assert.Equal("bias", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Convolution1d.Forward(new float[s.OutputLength], new float[s.InputLength], new float[s.WeightLength], ReadOnlySpan<float>.Empty, s, new float[1]));
        Assert.Equal("scratch", error.ParamName);
    }
}
