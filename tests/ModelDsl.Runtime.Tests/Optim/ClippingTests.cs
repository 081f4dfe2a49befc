using System;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Optim;

public sealed class ClippingTests
{
    [Fact]
    public void NormOfThreeFour_IsFive_AndBelowMaxNothingChanges()
    {
        float[] g = [3f, 4f];
        Assert.Equal(5f, GradientClipping.ClipByGlobalNorm(g, 10f));
        Assert.Equal([3f, 4f], g);
    }

    [Fact]
    public void AboveMax_ScalesByMaxOverNormPlusEpsilon()
    {
        float[] g = [3f, 4f];
        Assert.Equal(5f, GradientClipping.ClipByGlobalNorm(g, 1f));
        double scale = 1.0 / (5.0 + 1e-6);
        Assert.Equal([(float)(3 * scale), (float)(4 * scale)], g);
    }

    [Fact]
    public void NormJustAboveMax_IsLeftAlone_BecauseOfEpsilon()
    {
        // scale = 5 / (5 + 1e-6) < 1 would clip; maxNorm = norm + 1e-6 gives scale exactly >= 1: untouched.
        float[] g = [3f, 4f];
        GradientClipping.ClipByGlobalNorm(g, 5.00001f);
        Assert.Equal([3f, 4f], g);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(1003)]
    [InlineData(100_000)]
    public void Norm_MatchesDoubleSum_AndClippedNormIsMax(int length)
    {
        float[] g = TestData.Uniform(length, length);
        double sum = 0;
        foreach (float x in g)
        {
            sum += (double)x * x;
        }

        double expected = Math.Sqrt(sum);
        float[] original = (float[])g.Clone();
        float norm = GradientClipping.ClipByGlobalNorm(g, 0.5f);
        // Both sums are in double (different order): differences ~1e-16 relative, then one rounding to float.
        Assert.Equal((float)expected, norm);
        double scale = 0.5 / (expected + 1e-6);
        double after = 0;
        for (int i = 0; i < length; i++)
        {
            Assert.Equal((float)(original[i] * scale), g[i], 1e-7f * Math.Abs(original[i]) + 1e-12f);
            after += (double)g[i] * g[i];
        }

        Assert.True(Math.Abs(Math.Sqrt(after) - 0.5) < 1e-5, $"norm after clipping {Math.Sqrt(after)}");
    }

    [Fact]
    public void Vectorized_SumOfSquares_EqualsScalarOrder_Bitwise()
    {
        // Both paths keep partial sum i mod 8 over the body and add the tail in order: same bits.
        foreach (int length in new[] { 0, 1, 9, 1003, 65_541 })
        {
            float[] g = TestData.Uniform(length, 3, scale: 1000f);
            Assert.Equal(GradientClipping.SumOfSquares(g, vectorized: false), GradientClipping.SumOfSquares(g, vectorized: true));
        }
    }

    [Fact]
    public void Empty_HasNormZero() => Assert.Equal(0f, GradientClipping.ClipByGlobalNorm(Span<float>.Empty, 1f));

    [Fact]
    public void ZeroMaxNorm_ZeroesGradients()
    {
        float[] g = [1f, -2f, 3f];
        GradientClipping.ClipByGlobalNorm(g, 0f);
        Assert.All(g, x => Assert.Equal(0f, Math.Abs(x)));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonfiniteGradient_ThrowsWhenAsked(float bad)
    {
        float[] g = TestData.Uniform(37, 1);
        g[20] = bad;
        float[] before = (float[])g.Clone();
        var e = Assert.Throws<InvalidOperationException>(() => GradientClipping.ClipByGlobalNorm(g, 1f, errorIfNonfinite: true));
        Assert.Contains("non-finite", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, g);
    }

    [Fact]
    public void NanGradient_WithoutError_ReturnsNaN_LikeTorch()
    {
        // PyTorch multiplies by clamp(maxNorm / (NaN + eps), max=1) = NaN: every gradient becomes NaN.
        float[] g = [1f, float.NaN, 2f];
        Assert.True(float.IsNaN(GradientClipping.ClipByGlobalNorm(g, 1f)));
        Assert.All(g, x => Assert.True(float.IsNaN(x)));
    }

    [Fact]
    public void BadMaxNorm_ThrowsNamingIt()
    {
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(new float[3], -1f)).ParamName);
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(new float[3], float.NaN)).ParamName);
    }
}

public sealed class ClippingAllocationTests
{
    [Fact]
    public void Clip_On100kFloats_AllocatesNothing()
    {
        float[] g = TestData.Uniform(100_000, 4);
        Assert.Equal(0, Allocations.Measure(() => GradientClipping.ClipByGlobalNorm(g, 1f)));
    }
}
