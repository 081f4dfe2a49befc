using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

/// <summary>TokenMixing (the MLP-Mixer's Dense over the token axis): the reference against central differences, the GEMM kernel against the reference, the size checks, 0 bytes allocated.</summary>
public sealed class TokenMixingTests
{
    // batch, tokens, units, width
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 1, 1, 1, 1 },
        new[] { 2, 5, 7, 3 },
        new[] { 3, 17, 8, 6 }, // a ViT's 16 patches + class token, expanded
        new[] { 2, 9, 9, 16 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Reference_GradientsMatchCentralDifferences(int[] v)
    {
        (int batch, int tokens, int units, int width) = (v[0], v[1], v[2], v[3]);
        int seed = (batch * 1000) + (tokens * 100) + (units * 10) + width;
        double[] x = TestData.UniformDouble(batch * tokens * width, seed);
        double[] w = TestData.UniformDouble(units * tokens, seed + 1, 0.5);
        double[] bias = TestData.UniformDouble(units, seed + 2);
        double[] dy = TestData.UniformDouble(batch * units * width, seed + 3);
        var y = new double[batch * units * width];
        double Loss()
        {
            TokenMixingReference.Forward<double>(y, x, w, bias, batch, tokens, units, width);
            return GradientCheck.Dot(y, dy);
        }

        var dx = new double[x.Length];
        var dw = new double[w.Length];
        var db = new double[units];
        TokenMixingReference.Backward<double>(dx, dw, db, dy, x, w, batch, tokens, units, width);
        GradientCheck.Check("dInput", x, dx, Loss);
        GradientCheck.Check("dWeight", w, dw, Loss);
        GradientCheck.Check("dBias", bias, db, Loss);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Tuned_MatchesReference(int[] v)
    {
        (int batch, int tokens, int units, int width) = (v[0], v[1], v[2], v[3]);
        int seed = (batch * 1000) + (tokens * 100) + (units * 10) + width;
        float[] x = TestData.Uniform(batch * tokens * width, seed), w = TestData.Uniform(units * tokens, seed + 1, 0.5f);
        float[] bias = TestData.Uniform(units, seed + 2), dy = TestData.Uniform(batch * units * width, seed + 3);
        float[] expected = new float[dy.Length], actual = new float[dy.Length];
        TokenMixingReference.Forward<float>(expected, x, w, bias, batch, tokens, units, width);
        using var pool = new WorkerPool(2);
        TokenMixing.Forward(actual, x, w, bias, batch, tokens, units, width, pool);

        // Sums of at most 17 products of values in [-1, 1] in another order (GEMM blocks and vector lanes): a few float32 ulps.
        Compare.Close(expected, actual, rtol: 1e-5, atol: 1e-5, "output");

        float[] dxE = TestData.Uniform(x.Length, seed + 4), dwE = TestData.Uniform(w.Length, seed + 5), dbE = TestData.Uniform(units, seed + 6);
        float[] dxA = (float[])dxE.Clone(), dwA = (float[])dwE.Clone(), dbA = (float[])dbE.Clone();
        TokenMixingReference.Backward<float>(dxE, dwE, dbE, dy, x, w, batch, tokens, units, width);
        TokenMixing.Backward(dxA, dwA, dbA, dy, x, w, batch, tokens, units, width, pool);

        // The weight and bias gradients sum batch·width products (up to 32 here), accumulated onto the starting values.
        Compare.Close(dxE, dxA, rtol: 1e-5, atol: 1e-5, "dInput");
        Compare.Close(dwE, dwA, rtol: 1e-5, atol: 5e-5, "dWeight");
        Compare.Close(dbE, dbA, rtol: 1e-5, atol: 5e-5, "dBias");
    }

    [Fact]
    public void Forward_and_Backward_allocate_nothing()
    {
        float[] x = TestData.Uniform(4 * 17 * 32, 1), w = TestData.Uniform(64 * 17, 2), bias = new float[64];
        float[] y = new float[4 * 64 * 32], dy = TestData.Uniform(y.Length, 3), dx = new float[x.Length], dw = new float[w.Length], db = new float[64];
        using var pool = new WorkerPool(2);
        Assert.Equal(0, Allocations.Measure(() =>
        {
            TokenMixing.Forward(y, x, w, bias, 4, 17, 64, 32, pool);
            TokenMixing.Backward(dx, dw, db, dy, x, w, 4, 17, 64, 32, pool);
        }));
    }

    [Fact]
    public void Wrong_sizes_name_the_span()
    {
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => TokenMixing.Forward(new float[6], new float[5], new float[6], ReadOnlySpan<float>.Empty, 1, 2, 3, 2)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => TokenMixing.Forward(new float[6], new float[4], new float[5], ReadOnlySpan<float>.Empty, 1, 2, 3, 2)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => TokenMixing.Forward(new float[6], new float[4], new float[6], new float[2], 1, 2, 3, 2)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => TokenMixing.Forward(new float[5], new float[4], new float[6], ReadOnlySpan<float>.Empty, 1, 2, 3, 2)).ParamName);
    }
}
