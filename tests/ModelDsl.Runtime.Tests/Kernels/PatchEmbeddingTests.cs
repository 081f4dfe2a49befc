using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

/// <summary>
/// The ViT patch embedding: the reference against central differences and against the convolution reference (stride = kernel = P),
/// the kernel against the reference, the size rules, and 0 bytes allocated.
/// </summary>
public sealed class PatchEmbeddingTests
{
    // batch, channels, height, width, dimension, patch
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 1, 1, 4, 4, 3, 2 },
        new[] { 2, 3, 8, 6, 5, 2 }, // rectangular: 4x3 patches
        new[] { 3, 1, 8, 8, 8, 4 }, // UCI digits: 4 patches of 4x4
        new[] { 2, 2, 3, 3, 4, 3 }, // one patch covers the image
        new[] { 2, 2, 5, 5, 3, 1 }, // 1x1 patches: a per-pixel projection
    };

    private static ConvolutionShape Shape(int[] v) => PatchEmbedding.Shape(v[0], v[1], v[2], v[3], v[4], v[5]);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Reference_GradientsMatchCentralDifferences(int[] sizes)
    {
        ConvolutionShape s = Shape(sizes);
        int seed = s.GetHashCode() & 0xffff, d = s.OutChannels;
        double[] x = TestData.UniformDouble((int)s.InputLength, seed);
        double[] w = TestData.UniformDouble((int)s.WeightLength, seed + 1, 0.5);
        double[] bias = TestData.UniformDouble(d, seed + 2);
        double[] cls = TestData.UniformDouble(d, seed + 3);
        double[] pos = TestData.UniformDouble((1 + s.Positions) * d, seed + 4);
        double[] dy = TestData.UniformDouble((int)PatchEmbedding.OutputLength(s), seed + 5);
        var y = new double[PatchEmbedding.OutputLength(s)];
        double Loss()
        {
            PatchEmbeddingReference.Forward<double>(y, x, w, bias, cls, pos, s);
            return GradientCheck.Dot(y, dy);
        }

        double[] dx = new double[s.InputLength], dw = new double[s.WeightLength], db = new double[d], dc = new double[d], dp = new double[pos.Length];
        PatchEmbeddingReference.Backward<double>(dx, dw, db, dc, dp, dy, x, w, s);
        GradientCheck.Check("dInput", x, dx, Loss);
        GradientCheck.Check("dWeight", w, dw, Loss);
        GradientCheck.Check("dBias", bias, db, Loss);
        GradientCheck.Check("dClassToken", cls, dc, Loss);
        GradientCheck.Check("dPositions", pos, dp, Loss);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Reference_is_a_strided_convolution_read_as_a_sequence(int[] sizes)
    {
        ConvolutionShape s = Shape(sizes);
        int seed = s.GetHashCode() & 0xffff, d = s.OutChannels, n = s.Positions;
        double[] x = TestData.UniformDouble((int)s.InputLength, seed);
        double[] w = TestData.UniformDouble((int)s.WeightLength, seed + 1, 0.5);
        double[] bias = TestData.UniformDouble(d, seed + 2);
        double[] cls = TestData.UniformDouble(d, seed + 3);
        double[] pos = TestData.UniformDouble((1 + n) * d, seed + 4);
        var conv = new double[s.OutputLength];
        ConvolutionReference.Forward<double>(conv, x, w, bias, s);
        var y = new double[PatchEmbedding.OutputLength(s)];
        PatchEmbeddingReference.Forward<double>(y, x, w, bias, cls, pos, s);
        for (int b = 0; b < s.Batch; b++)
        {
            for (int o = 0; o < d; o++)
            {
                // The same products summed in the same order in both references: equal to the last bit.
                Assert.Equal(cls[o] + pos[o], y[(b * (1 + n) * d) + o]);
                for (int p = 0; p < n; p++)
                {
                    Assert.Equal(conv[(((b * d) + o) * n) + p] + pos[((1 + p) * d) + o], y[(((b * (1 + n)) + 1 + p) * d) + o]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Tuned_MatchesReference(int[] sizes)
    {
        ConvolutionShape s = Shape(sizes);
        int seed = s.GetHashCode() & 0xffff, d = s.OutChannels, positions = (1 + s.Positions) * d;
        float[] x = TestData.Uniform((int)s.InputLength, seed), w = TestData.Uniform((int)s.WeightLength, seed + 1, 0.5f);
        float[] bias = TestData.Uniform(d, seed + 2), cls = TestData.Uniform(d, seed + 3), pos = TestData.Uniform(positions, seed + 4);
        float[] dy = TestData.Uniform((int)PatchEmbedding.OutputLength(s), seed + 5);
        var scratch = new float[PatchEmbedding.ScratchLength(s)];
        float[] expected = new float[dy.Length], actual = new float[dy.Length];
        PatchEmbeddingReference.Forward<float>(expected, x, w, bias, cls, pos, s);
        using var pool = new WorkerPool(2);
        PatchEmbedding.Forward(actual, x, w, bias, cls, pos, s, scratch, pool);

        // Sums of at most C·P² = 18 products of values in [-1, 1] in another order (GEMM blocks and vector lanes): a few float32
        // ulps of the sum's magnitude; a wrong index or a missing term is off by whole units.
        Compare.Close(expected, actual, rtol: 1e-5, atol: 1e-5, "output");

        float[][] start = [TestData.Uniform((int)s.InputLength, seed + 6), TestData.Uniform((int)s.WeightLength, seed + 7), TestData.Uniform(d, seed + 8),
            TestData.Uniform(d, seed + 9), TestData.Uniform(positions, seed + 10)];
        float[][] e = Array.ConvertAll(start, a => (float[])a.Clone()), a = Array.ConvertAll(start, a => (float[])a.Clone());
        PatchEmbeddingReference.Backward<float>(e[0], e[1], e[2], e[3], e[4], dy, x, w, s);
        PatchEmbedding.Backward(a[0], a[1], a[2], a[3], a[4], dy, x, w, s, scratch, pool);

        // The weight and bias gradients sum B·N products (up to 75 here), accumulated onto the starting values.
        string[] names = ["dInput", "dWeight", "dBias", "dClassToken", "dPositions"];
        for (int i = 0; i < names.Length; i++)
        {
            Compare.Close(e[i], a[i], rtol: 1e-5, atol: 5e-5, names[i]);
        }
    }

    [Fact]
    public void Without_bias_and_without_an_input_gradient()
    {
        ConvolutionShape s = PatchEmbedding.Shape(2, 3, 8, 8, 6, 4);
        int d = s.OutChannels, positions = (1 + s.Positions) * d;
        float[] x = TestData.Uniform((int)s.InputLength, 1), w = TestData.Uniform((int)s.WeightLength, 2), cls = TestData.Uniform(d, 3), pos = TestData.Uniform(positions, 4);
        float[] dy = TestData.Uniform((int)PatchEmbedding.OutputLength(s), 5);
        float[] expected = new float[dy.Length], actual = new float[dy.Length];
        PatchEmbeddingReference.Forward<float>(expected, x, w, ReadOnlySpan<float>.Empty, cls, pos, s);
        PatchEmbedding.Forward(actual, x, w, ReadOnlySpan<float>.Empty, cls, pos, s, new float[PatchEmbedding.ScratchLength(s)]);
        Compare.Close(expected, actual, rtol: 1e-5, atol: 1e-5, "output"); // as Tuned_MatchesReference

        float[] dwE = new float[s.WeightLength], dwA = new float[s.WeightLength], dcE = new float[d], dcA = new float[d], dpE = new float[positions], dpA = new float[positions];
        PatchEmbeddingReference.Backward<float>(Span<float>.Empty, dwE, Span<float>.Empty, dcE, dpE, dy, x, w, s);
        PatchEmbedding.Backward(Span<float>.Empty, dwA, Span<float>.Empty, dcA, dpA, dy, x, w, s, new float[PatchEmbedding.ScratchLength(s)]);
        Compare.Close(dwE, dwA, rtol: 1e-5, atol: 5e-5, "dWeight"); // as Tuned_MatchesReference
        Compare.Close(dcE, dcA, rtol: 1e-5, atol: 5e-5, "dClassToken");
        Compare.Close(dpE, dpA, rtol: 1e-5, atol: 5e-5, "dPositions");
    }

    [Fact]
    public void Forward_and_Backward_allocate_nothing()
    {
        ConvolutionShape s = PatchEmbedding.Shape(4, 1, 8, 8, 16, 2);
        int d = s.OutChannels, positions = (1 + s.Positions) * d;
        float[] x = TestData.Uniform((int)s.InputLength, 1), w = TestData.Uniform((int)s.WeightLength, 2), bias = new float[d], cls = new float[d], pos = new float[positions];
        float[] y = new float[PatchEmbedding.OutputLength(s)], dy = TestData.Uniform(y.Length, 3);
        float[] dx = new float[s.InputLength], dw = new float[s.WeightLength], db = new float[d], dc = new float[d], dp = new float[positions];
        var scratch = new float[PatchEmbedding.ScratchLength(s)];
        using var pool = new WorkerPool(2);
        Assert.Equal(0, Allocations.Measure(() =>
        {
            PatchEmbedding.Forward(y, x, w, bias, cls, pos, s, scratch, pool);
            PatchEmbedding.Backward(dx, dw, db, dc, dp, dy, x, w, s, scratch, pool);
        }));
    }

    [Fact]
    public void Size_rules_name_the_size_that_breaks_them()
    {
        var uneven = Assert.Throws<ArgumentException>(() => PatchEmbedding.Shape(1, 1, 8, 6, 4, 4));
        Assert.Equal("patch", uneven.ParamName);
        Assert.Contains("8x6", uneven.Message, StringComparison.Ordinal);
        Assert.Equal("patch", Assert.Throws<ArgumentOutOfRangeException>(() => PatchEmbedding.Shape(1, 1, 8, 8, 4, 0)).ParamName);

        ConvolutionShape s = PatchEmbedding.Shape(2, 1, 4, 4, 3, 2);
        int n = s.Positions;
        Assert.Equal(4, n);
        Assert.Equal(2 * 5 * 3, PatchEmbedding.OutputLength(s));
        float[] y = new float[PatchEmbedding.OutputLength(s)], x = new float[s.InputLength], w = new float[s.WeightLength], scratch = new float[PatchEmbedding.ScratchLength(s)];
        var error = Assert.Throws<ArgumentException>(() => PatchEmbedding.Forward(y, x, w, default, new float[3], new float[n * 3], s, scratch));
        Assert.Equal("positions", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => PatchEmbedding.Forward(y, x, w, default, new float[2], new float[(n + 1) * 3], s, scratch));
        Assert.Equal("classToken", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => PatchEmbedding.Forward(y, x, w, default, new float[3], new float[(n + 1) * 3], s, new float[s.ScratchLength]));
        Assert.Equal("scratch", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => PatchEmbedding.Forward(y, x, w, default, new float[3], new float[(n + 1) * 3], ConvolutionShape.Create(2, 1, 4, 4, 3, 2), scratch));
        Assert.Equal("shape", error.ParamName);
    }
}
