using System;
using ModelDsl.Init;
using ModelDsl.Kernels;
using ModelDsl.Randomness;

namespace ModelDsl.Tests.Init;

/// <summary>
/// Distribution checks on 65,536 draws. Tolerance: 5 standard errors of the statistic, from the
/// target distribution's moments (computed below). The draws are deterministic for the fixed seeds, so
/// nothing can flake; the choice means a correct initializer would fail for fewer than 1 in 10^6 seeds,
/// while a scale error of 2% or more (e.g. fan-in alone instead of fan-in + fan-out, a missing gain, a
/// variance used as a standard deviation) sits far outside: the std tolerance is under 1.5%.
/// </summary>
public sealed class InitializerTests
{
    private const int N = 1 << 16;
    private const double Sigmas = 5;

    [Fact]
    public void XavierUniform_BoundsMeanAndStd()
    {
        float[] w = new float[N];
        Initializers.XavierUniform(w, 300, 200, seed: 7, stream: 1);
        AssertUniform(w, -Math.Sqrt(6.0 / 500), Math.Sqrt(6.0 / 500));
    }

    [Fact]
    public void XavierUniform_Gain_ScalesBound()
    {
        float[] w = new float[N];
        Initializers.XavierUniform(w, 64, 64, seed: 7, stream: 2, gain: 5f / 3f);
        double bound = 5.0 / 3.0 * Math.Sqrt(6.0 / 128);
        AssertUniform(w, -bound, bound);
    }

    [Fact]
    public void XavierNormal_MeanAndStd()
    {
        float[] w = new float[N];
        Initializers.XavierNormal(w, 300, 200, seed: 7, stream: 3, gain: 2f);
        AssertNormal(w, 0, 2 * Math.Sqrt(2.0 / 500));
    }

    [Fact]
    public void KaimingUniform_ReluGain()
    {
        float[] w = new float[N];
        Initializers.KaimingUniform(w, 128, seed: 7, stream: 4);
        double bound = Math.Sqrt(2) * Math.Sqrt(3.0 / 128);
        AssertUniform(w, -bound, bound);
    }

    [Fact]
    public void KaimingNormal_ReluGain()
    {
        float[] w = new float[N];
        Initializers.KaimingNormal(w, 128, seed: 7, stream: 5);
        AssertNormal(w, 0, Math.Sqrt(2.0 / 128));
    }

    [Fact]
    public void KaimingNormal_LeakySlope()
    {
        float[] w = new float[N];
        Initializers.KaimingNormal(w, 50, seed: 7, stream: 6, negativeSlope: 0.2f);
        double a = 0.2f;
        AssertNormal(w, 0, Math.Sqrt(2.0 / (1 + a * a)) / Math.Sqrt(50));
    }

    [Fact]
    public void LinearDefault_WeightAndBiasWithinOneOverSqrtFanIn()
    {
        // PyTorch nn.Linear: kaiming_uniform_(a=sqrt(5)) gives bound sqrt(2/6) * sqrt(3/in) = 1/sqrt(in).
        const int inFeatures = 256, outFeatures = 256;
        float[] w = new float[inFeatures * outFeatures];
        float[] b = new float[outFeatures];
        Initializers.LinearDefault(w, b, inFeatures, outFeatures, seed: 7, weightStream: 10, biasStream: 11);
        double bound = 1 / Math.Sqrt(inFeatures);
        AssertUniform(w, -bound, bound);
        Assert.All(b, x => Assert.InRange(x, -(float)bound, (float)bound));

        float[] expectedBias = new float[outFeatures];
        Initializers.Uniform(expectedBias, -(float)bound, (float)bound, seed: 7, stream: 11);
        for (int i = 0; i < outFeatures; i++)
        {
            Assert.Equal(expectedBias[i], b[i], 1e-7f);
        }

        // A layer without bias: the empty span is accepted and the weight is the same.
        float[] w2 = new float[w.Length];
        Initializers.LinearDefault(w2, Span<float>.Empty, inFeatures, outFeatures, 7, 10, 11);
        Assert.Equal(w, w2);
    }

    [Fact]
    public void Normal_MeanAndStd()
    {
        float[] w = new float[N];
        Initializers.Normal(w, mean: 2f, std: 0.5f, seed: 9, stream: 0);
        AssertNormal(w, 2, 0.5);
    }

    [Fact]
    public void Uniform_BoundsMeanAndStd()
    {
        float[] w = new float[N];
        Initializers.Uniform(w, -3f, 5f, seed: 9, stream: 1);
        AssertUniform(w, -3, 5);
    }

    [Fact]
    public void Uniform_ValueIsCounterRandomDrawI()
    {
        // Value i depends only on (seed, stream, i): low + (high - low) * UniformDouble(seed, stream, i).
        float[] w = new float[40];
        Initializers.Uniform(w, -1f, 1f, seed: 123, stream: 45);
        for (int i = 0; i < w.Length; i++)
        {
            Assert.Equal((float)(-1 + 2 * CounterRandom.UniformDouble(123, 45, (ulong)i)), w[i]);
        }
    }

    [Fact]
    public void ZerosOnesConstant()
    {
        float[] w = new float[19];
        Initializers.Ones(w);
        Assert.All(w, x => Assert.Equal(1f, x));
        Initializers.Constant(w, -2.5f);
        Assert.All(w, x => Assert.Equal(-2.5f, x));
        Initializers.Zeros(w);
        Assert.All(w, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void SameSeedAndStream_SameValues_PrefixIndependentOfLength()
    {
        float[] a = new float[1000], b = new float[1000], prefix = new float[10];
        Initializers.XavierNormal(a, 10, 10, seed: 1, stream: 2);
        Initializers.XavierNormal(b, 10, 10, seed: 1, stream: 2);
        Initializers.XavierNormal(prefix, 10, 10, seed: 1, stream: 2);
        Assert.Equal(a, b);
        Assert.Equal(a.AsSpan(0, 10).ToArray(), prefix);
    }

    [Fact]
    public void DifferentStreamOrSeed_DifferentAndUncorrelated()
    {
        float[] a = new float[N], otherStream = new float[N], otherSeed = new float[N];
        Initializers.Normal(a, 0f, 1f, seed: 1, stream: 2);
        Initializers.Normal(otherStream, 0f, 1f, seed: 1, stream: 3);
        Initializers.Normal(otherSeed, 0f, 1f, seed: 2, stream: 2);
        foreach (float[] other in new[] { otherStream, otherSeed })
        {
            int equal = 0;
            double dot = 0;
            for (int i = 0; i < N; i++)
            {
                equal += a[i] == other[i] ? 1 : 0;
                dot += (double)a[i] * other[i];
            }

            Assert.True(equal < 10, $"{equal} equal values");
            // Sample correlation of independent standard normals has standard error 1/sqrt(N).
            Assert.True(Math.Abs(dot / N) < Sigmas / Math.Sqrt(N), $"correlation {dot / N}");
        }
    }

    [Fact]
    public void Gain_MatchesTorchCalculateGain()
    {
        Assert.Equal(1f, Initializers.Gain(ActivationKind.None));
        Assert.Equal(1f, Initializers.Gain(ActivationKind.Sigmoid));
        Assert.Equal(5f / 3f, Initializers.Gain(ActivationKind.Tanh));
        Assert.Equal((float)Math.Sqrt(2), Initializers.Gain(ActivationKind.ReLU));
        Assert.Equal((float)Math.Sqrt(2 / (1 + 0.01 * 0.01)), Initializers.Gain(ActivationKind.LeakyReLU), 1e-6f);
        Assert.Equal("activation", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Gain((ActivationKind)99)).ParamName);
    }

    [Fact]
    public void ArgumentErrors_NameTheArgument()
    {
        float[] w = new float[4];
        Assert.Equal("fanIn", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.XavierUniform(w, 0, 3, 1, 1)).ParamName);
        Assert.Equal("fanOut", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.XavierNormal(w, 3, -1, 1, 1)).ParamName);
        Assert.Equal("gain", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.XavierUniform(w, 3, 3, 1, 1, float.NaN)).ParamName);
        Assert.Equal("fanIn", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.KaimingUniform(w, 0, 1, 1)).ParamName);
        Assert.Equal("negativeSlope", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.KaimingNormal(w, 3, 1, 1, float.NaN)).ParamName);
        Assert.Equal("std", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Normal(w, 0f, -1f, 1, 1)).ParamName);
        Assert.Equal("mean", Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Normal(w, float.NaN, 1f, 1, 1)).ParamName);
        var high = Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Uniform(w, 1f, 0f, 1, 1));
        Assert.Equal("high", high.ParamName);
        Assert.Contains("low", high.Message, StringComparison.Ordinal);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => Initializers.LinearDefault(new float[5], new float[2], 3, 2, 1, 1, 2)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Initializers.LinearDefault(new float[6], new float[3], 3, 2, 1, 1, 2)).ParamName);
    }

    /// <summary>
    /// Uniform on [a, b): every value inside, the extremes within 0.1% of the width from the ends
    /// (a gap that large has probability ~e^-65 in 65,536 draws), mean (a+b)/2 within 5 standard
    /// errors w/sqrt(12 N), standard deviation w/sqrt(12) within 5 standard errors. For the variance
    /// s² of a uniform, Var(s²) ≈ (μ4 - σ⁴)/N = (w⁴/80 - w⁴/144)/N, and sd(s) ≈ sd(s²)/(2σ).
    /// </summary>
    private static void AssertUniform(float[] values, double low, double high)
    {
        double width = high - low;
        double min = double.MaxValue, max = double.MinValue;
        foreach (float x in values)
        {
            min = Math.Min(min, x);
            max = Math.Max(max, x);
        }

        Assert.True(min >= (float)low && max <= (float)high, $"range [{min}, {max}] outside [{low}, {high}]");
        Assert.True(min < low + 1e-3 * width && max > high - 1e-3 * width, $"range [{min}, {max}] does not reach the ends of [{low}, {high}]");
        double sigma = width / Math.Sqrt(12);
        double sdOfVariance = Math.Sqrt((Math.Pow(width, 4) / 80 - Math.Pow(width, 4) / 144) / values.Length);
        AssertMoments(values, (low + high) / 2, sigma, sdOfVariance / (2 * sigma));
    }

    /// <summary>
    /// Normal(μ, σ²): mean within 5 standard errors σ/sqrt(N); standard deviation within 5 standard
    /// errors σ/sqrt(2N); the fraction within one σ of the mean 0.6827 within 5 binomial standard errors.
    /// </summary>
    private static void AssertNormal(float[] values, double mean, double sigma)
    {
        AssertMoments(values, mean, sigma, sigma / Math.Sqrt(2.0 * values.Length));
        int inside = 0;
        foreach (float x in values)
        {
            inside += Math.Abs(x - mean) < sigma ? 1 : 0;
        }

        const double p = 0.682689492137;
        double fraction = (double)inside / values.Length;
        Assert.True(Math.Abs(fraction - p) < Sigmas * Math.Sqrt(p * (1 - p) / values.Length), $"fraction within 1σ: {fraction}");
    }

    private static void AssertMoments(float[] values, double mean, double sigma, double stdError)
    {
        double sum = 0;
        foreach (float x in values)
        {
            sum += x;
        }

        double m = sum / values.Length;
        double squares = 0;
        foreach (float x in values)
        {
            squares += (x - m) * (x - m);
        }

        double s = Math.Sqrt(squares / (values.Length - 1));
        Assert.True(Math.Abs(m - mean) < Sigmas * sigma / Math.Sqrt(values.Length), $"mean {m}, expected {mean} (σ {sigma})");
        Assert.True(Math.Abs(s - sigma) < Sigmas * stdError, $"std {s}, expected {sigma} ± {Sigmas * stdError}");
    }
}
