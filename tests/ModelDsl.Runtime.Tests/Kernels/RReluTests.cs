using System;
using System.Linq;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

/// <summary>
/// RReLU: random slopes in [lower, upper] in training (seeded, reproducible), the mean slope in evaluation as
/// <c>F.rrelu(training=False)</c>; the reference against central differences with the slopes drawn once and kept, the tuned
/// kernel against the reference, no allocation.
/// </summary>
public sealed class RReluTests
{
    private const ulong Seed = 42, Stream = 3;

    [Theory]
    [InlineData(1, true)]
    [InlineData(17, true)]
    [InlineData(64, false)]
    [InlineData(37, false)]
    public void Reference_GradientsMatchCentralDifferences_WithTheDrawnSlopesKept(int n, bool training)
    {
        // Inputs kept away from 0 (|x| >= 0.1) so that x ± h stays on the same side: the slopes of the forward are then
        // the slopes every perturbed forward draws again (same seed, stream and counters).
        double[] x = [.. TestData.UniformDouble(n, n).Select(v => v >= 0 ? v + 0.1 : v - 0.1)];
        double[] dy = TestData.UniformDouble(n, n + 1);
        var y = new double[n];
        var slopes = new double[n];
        double Loss()
        {
            RReluReference.Forward<double>(y, slopes, x, RRelu.DefaultLower, RRelu.DefaultUpper, Seed, Stream, 100, training);
            return GradientCheck.Dot(y, dy);
        }

        Loss();
        double[] kept = (double[])slopes.Clone();
        var dx = new double[n];
        RReluReference.Backward<double>(dx, dy, kept);
        GradientCheck.Check("dInput", x, dx, Loss);
        Loss();
        Assert.Equal(kept, slopes);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(7, true)]
    [InlineData(8, false)]
    [InlineData(333, true)]
    [InlineData(333, false)]
    public void Tuned_MatchesTheReference_Bitwise(int n, bool training)
    {
        float[] x = TestData.Uniform(n, n);
        x[0] = 0f; // the tie: scaled in training (x <= 0), passed in evaluation (x > 0 fails, 0 · slope = 0)
        float[] dy = TestData.Uniform(n, n + 1);
        var (y, s, dx) = (new float[n], new float[n], TestData.Uniform(n, n + 2));
        var (yr, sr, dxr) = (new float[n], new float[n], (float[])dx.Clone());
        RRelu.Forward(y, s, x, 0.1f, 0.3f, Seed, Stream, 7, training);
        RReluReference.Forward<float>(yr, sr, x, 0.1f, 0.3f, Seed, Stream, 7, training);
        RRelu.Backward(dx, dy, s);
        RReluReference.Backward<float>(dxr, dy, sr);
        Assert.Equal(sr, s);
        Assert.Equal(yr, y);
        Assert.Equal(dxr, dx);
    }

    [Fact]
    public void Training_SlopesAreUniformInTheBounds_AndReproducibleFromTheSeed()
    {
        const int N = 100_000;
        float[] x = [.. Enumerable.Range(0, N).Select(i => i % 2 == 0 ? -1f - (i % 5) : 2f)];
        var (y, s, again, other) = (new float[N], new float[N], new float[N], new float[N]);
        RRelu.Forward(y, s, x, RRelu.DefaultLower, RRelu.DefaultUpper, Seed, Stream, 0, training: true);
        RRelu.Forward(new float[N], again, x, RRelu.DefaultLower, RRelu.DefaultUpper, Seed, Stream, 0, training: true);
        RRelu.Forward(new float[N], other, x, RRelu.DefaultLower, RRelu.DefaultUpper, Seed, Stream, N, training: true);
        Assert.Equal(s, again);
        Assert.NotEqual(s, other);
        double sum = 0;
        for (int i = 0; i < N; i++)
        {
            if (x[i] > 0)
            {
                Assert.Equal(1f, s[i]);
                Assert.Equal(x[i], y[i]);
            }
            else
            {
                Assert.InRange(s[i], 0.125f, 1f / 3f);
                Assert.Equal(x[i] * s[i], y[i]);
                sum += s[i];
            }
        }

        // The mean of 50,000 uniform draws on [1/8, 1/3]: standard error (1/3 - 1/8) / sqrt(12 · 50,000) ≈ 2.7e-4, so
        // 2e-3 is over 7 standard errors from a false failure, and a wrong range (e.g. [0, 1/3]) is off by 0.06.
        Assert.Equal((0.125 + (1.0 / 3)) / 2, sum / (N / 2), 2e-3);
    }

    [Fact]
    public void Evaluation_IsLeakyReluWithTheMeanSlope_AsPyTorch()
    {
        // F.rrelu(x, 1/8, 1/3, training=False) = F.leaky_relu(x, (1/8 + 1/3) / 2): PyTorch takes the Python floats as
        // doubles and rounds the slope to float once; 0.22916667 is that float.
        Assert.Equal((float)((0.125 + (1.0 / 3.0)) / 2), RRelu.EvaluationSlope(RRelu.DefaultLower, RRelu.DefaultUpper));
        Assert.Equal(0.22916667f, RRelu.EvaluationSlope(RRelu.DefaultLower, RRelu.DefaultUpper));
        float[] x = [-2f, -0.5f, 0f, 0.75f, 3f, -1e-3f, -100f, 1e-3f, 5f];
        var (y, s) = (new float[x.Length], new float[x.Length]);
        RRelu.Forward(y, s, x, RRelu.DefaultLower, RRelu.DefaultUpper, Seed, Stream, 0, training: false);
        float[] expected = [-2f * 0.22916667f, -0.5f * 0.22916667f, 0f, 0.75f, 3f, -1e-3f * 0.22916667f, -100f * 0.22916667f, 1e-3f, 5f];
        Assert.Equal(expected, y);
        var leaky = new float[x.Length];
        Activations.Forward(leaky, x, ActivationKind.LeakyReLU, 0.22916667f);
        Assert.Equal(leaky, y);
    }

    [Fact]
    public void BadBounds_Throw()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RRelu.Forward(new float[2], new float[2], new float[2], 0.4f, 0.2f, 1, 1, 0, true));
        Assert.Contains("lower 0.4, upper 0.2", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => RRelu.Forward(new float[2], new float[2], new float[2], -0.1f, 0.2f, 1, 1, 0, false));
    }

    [Fact]
    public void ForwardAndBackward_AllocateNothing()
    {
        float[] x = TestData.Uniform(1000, 1), dy = TestData.Uniform(1000, 2);
        var (y, s, dx) = (new float[1000], new float[1000], new float[1000]);
        ulong offset = 0;
        Assert.Equal(0, Allocations.Measure(() =>
        {
            RRelu.Forward(y, s, x, RRelu.DefaultLower, RRelu.DefaultUpper, Seed, Stream, offset += 1000, training: true);
            RRelu.Backward(dx, dy, s);
            RRelu.Forward(y, s, x, RRelu.DefaultLower, RRelu.DefaultUpper, Seed, Stream, 0, training: false);
        }));
    }
}
