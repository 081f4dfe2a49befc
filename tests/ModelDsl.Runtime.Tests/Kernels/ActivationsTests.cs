using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

public sealed class ActivationsTests
{
    public static readonly TheoryData<ActivationKind> Kinds = new()
    {
        ActivationKind.None, ActivationKind.ReLU, ActivationKind.LeakyReLU, ActivationKind.Gelu,
        ActivationKind.GeluTanh, ActivationKind.Tanh, ActivationKind.Sigmoid,
    };

    private static readonly int[] s_sizes = { 1, 7, 8, 15, 16, 17, 33, 1000 };

    // Values where the formulas change behavior: zero, tiny, the tails where GELU's 1 + erf would cancel.
    private static readonly float[] s_special = { 0f, -0f, 1e-7f, -1e-7f, 1e-3f, -1e-3f, 0.5f, -0.5f, 3f, -3f, 5.5f, -5.5f, 9f, -9f, 15f, -15f, 40f, -40f };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Reference_GradientMatchesCentralDifferences(ActivationKind kind)
    {
        foreach (int n in new[] { 1, 7, 17 })
        {
            // Inputs keep away from 0 so ReLU's kink is not inside the ±h stencil.
            double[] x = TestData.UniformDouble(n, seed: 10 + n, scale: 3);
            for (int i = 0; i < n; i++)
            {
                x[i] = Math.Abs(x[i]) < 1e-3 ? 0.5 : x[i];
            }

            double[] dOut = TestData.UniformDouble(n, seed: 20 + n);
            double[] dX = new double[n];
            ActivationsReference.Backward<double>(dX, dOut, x, kind, 0.03);
            double[] y = new double[n];
            GradientCheck.Check($"{kind} x", x, dX, () =>
            {
                ActivationsReference.Forward<double>(y, x, kind, 0.03);
                return GradientCheck.Dot(dOut, y);
            });
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Tuned_MatchesFloat64Reference(ActivationKind kind)
    {
        // Tolerance: the kernels round a few times more than float64 (TensorPrimitives tanh/sigmoid: a few ulp;
        // exact GELU: erfc fit with fractional error < 1.2e-7), so rtol 1e-6 with atol 1e-7 for values near 0.
        // Tanh and tanh-GELU backward use atol 1e-6: 1 - tanh² (and s + x·s(1 - s)·c for GELU) cancel in
        // float where |tanh| → 1, leaving an absolute error of a few 1e-7 (PyTorch's float kernels do the same).
        // Measured (.ci/tolerance-report, AVX-512 and AVX2 paths alike): tanh-GELU backward at n = 1000 (the input
        // that includes the special values) is the closest to its bound, at 0.70 of it; every other case stays under
        // half. The inputs are fixed seeds, so the margin cannot change from run to run.
        double atol = kind is ActivationKind.Tanh or ActivationKind.GeluTanh ? 1e-6 : 1e-7;
        foreach (int n in s_sizes)
        {
            float[] x = TestData.Uniform(n, seed: 100 + n, scale: 6f);
            if (n == 1000)
            {
                s_special.CopyTo(x, 0);
            }

            float[] dOut = TestData.Uniform(n, seed: 200 + n);
            float[] dStart = TestData.Uniform(n, seed: 300 + n);
            float slope = 0.05f;

            float[] y = new float[n];
            Activations.Forward(y, x, kind, slope);
            float[] dX = (float[])dStart.Clone();
            Activations.Backward(dX, dOut, x, kind, slope);

            double[] xd = TestData.ToDouble(x);
            double[] yRef = new double[n];
            ActivationsReference.Forward<double>(yRef, xd, kind, slope);
            double[] dRef = TestData.ToDouble(dStart);
            ActivationsReference.Backward<double>(dRef, TestData.ToDouble(dOut), xd, kind, slope);

            Compare.Close(TestData.ToSingle(yRef), y, rtol: 1e-6, atol: atol, $"{kind} forward n={n}");
            Compare.Close(TestData.ToSingle(dRef), dX, rtol: 1e-6, atol: atol, $"{kind} backward n={n}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Tuned_GradientMatchesCentralDifferencesInFloat(ActivationKind kind)
    {
        // Float central differences with h = 1e-2: truncation error h²/6·|f'''| ≤ 1e-4 for these smooth
        // functions, rounding ≈ 1e-5; tolerance 1e-2 (relative to max(1, |g|)) still fails on any wrong term.
        float[] x = TestData.Uniform(33, seed: 7, scale: 3f);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = Math.Abs(x[i]) < 0.05f ? 0.5f : x[i];
        }

        float[] dOut = TestData.Uniform(33, seed: 8);
        float[] dX = new float[33];
        Activations.Backward(dX, dOut, x, kind, 0.1f);
        float[] y = new float[33];
        GradientCheck.CheckSingle($"{kind}", x, dX, () =>
        {
            Activations.Forward(y, x, kind, 0.1f);
            return GradientCheck.Dot(dOut, y);
        });
    }

    [Fact]
    public void Gelu_MatchesNormalDistributionValues()
    {
        // x·Φ(x) and Φ(x) + x·φ(x) from the normal distribution table (checked with Python's math.erf).
        float[] x = { 1f, -1f, 2f, -3f, 0.5f };
        double[] value = { 0.8413447460685429, -0.15865525393145707, 1.9544997361036416, -0.00404969409489031, 0.34573123063700656 };
        double[] slope = { 1.0833154705876864, -0.08331547058768629, 1.085231801078197, -0.011945647204183918, 0.8674951246561629 };
        float[] y = new float[5];
        Activations.Forward(y, x, ActivationKind.Gelu);
        float[] d = new float[5];
        Activations.Backward(d, new float[] { 1, 1, 1, 1, 1 }, x, ActivationKind.Gelu);
        Compare.Close(TestData.ToSingle(value), y, rtol: 1e-6, atol: 0, "gelu");
        Compare.Close(TestData.ToSingle(slope), d, rtol: 1e-6, atol: 0, "gelu'");
    }

    [Fact]
    public void Gelu_KeepsRelativeAccuracyInTheLeftTail()
    {
        // x·½·erfc(-x/√2) and its derivative from Python's math.erfc; 1 + erf(x/√2) would cancel to nothing here.
        float[] x = { -5.5f, -7.78512049f, -9f, -12f };
        double[] value = { -1.0444259356238256e-07, -2.7110436714727927e-14, -1.015729565358458e-18, -2.1317785344932424e-32 };
        double[] slope = { -5.733472398739925e-07, -2.1095157922558282e-13, -9.13893737390664e-18, -2.5578956616748956e-31 };
        float[] y = new float[4];
        Activations.Forward(y, x, ActivationKind.Gelu);
        float[] d = new float[4];
        Activations.Backward(d, new float[] { 1, 1, 1, 1 }, x, ActivationKind.Gelu);
        Compare.Close(TestData.ToSingle(value), y, rtol: 1e-6, atol: 0, "gelu tail");
        Compare.Close(TestData.ToSingle(slope), d, rtol: 1e-6, atol: 0, "gelu' tail");

        double[] reference = new double[4], referenceSlope = new double[4];
        ActivationsReference.Forward<double>(reference, TestData.ToDouble(x), ActivationKind.Gelu, 0);
        ActivationsReference.Backward<double>(referenceSlope, new double[] { 1, 1, 1, 1 }, TestData.ToDouble(x), ActivationKind.Gelu, 0);
        // x = -7.78512049 is not exactly representable: the table value is for the float, so 1e-7 covers that.
        Compare.Close(value, reference, rtol: 1e-7, atol: 0, "reference gelu tail");
        Compare.Close(slope, referenceSlope, rtol: 1e-7, atol: 0, "reference gelu' tail");
    }

    [Fact]
    public void ReferenceErf_MatchesTable()
    {
        // erf from tables (checked with Python's math.erf); covers both the series (|x| < 3) and the continued fraction.
        double[] x = { 0.5, 1, 2, 3.5, 4, -2 };
        double[] erf = { 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.9999992569016276, 0.9999999845827421, -0.9953222650189527 };
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(erf[i], ActivationsReference.Erf(x[i]), 1e-15);
        }

        // erfc keeps relative accuracy in the tail: erfc(4), erfc(6), erfc(-3.5).
        Assert.Equal(1.541725790028002e-08, ActivationsReference.Erfc(4.0), 1e-22);
        Assert.Equal(2.1519736712498916e-17, ActivationsReference.Erfc(6.0), 1e-30);
        Assert.Equal(1.9999992569016276, ActivationsReference.Erfc(-3.5), 1e-15);
    }

    [Fact]
    public void GeluTanh_MatchesPyTorchFormula()
    {
        // PyTorch approximate='tanh': 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), written out here.
        float[] x = { 1f, -2f, 0.25f };
        float[] y = new float[3];
        Activations.Forward(y, x, ActivationKind.GeluTanh);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            double expected = 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            Assert.Equal(expected, y[i], 1e-6);
        }
    }

    [Fact]
    public void ReluAndLeakyRelu_DerivativeAtZeroIsThatOfTheNegativeSide()
    {
        float[] x = { 0f, -0f, 1f, -1f };
        float[] ones = { 1f, 1f, 1f, 1f };
        float[] d = new float[4];
        Activations.Backward(d, ones, x, ActivationKind.ReLU);
        Assert.Equal(new float[] { 0f, 0f, 1f, 0f }, d);
        d = new float[4];
        Activations.Backward(d, ones, x, ActivationKind.LeakyReLU, slope: 0.2f);
        Assert.Equal(new float[] { 0.2f, 0.2f, 1f, 0.2f }, d);
        float[] y = new float[4];
        Activations.Forward(y, x, ActivationKind.LeakyReLU, slope: 0.2f);
        Assert.Equal(new float[] { 0f, 0f, 1f, -0.2f }, y);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Forward_InPlaceEqualsOutOfPlace(ActivationKind kind)
    {
        float[] x = TestData.Uniform(1000, seed: 5, scale: 4f);
        float[] y = new float[1000];
        Activations.Forward(y, x, kind);
        Activations.Forward(x, x, kind);
        Assert.Equal(y, x);
    }

    [Fact]
    public void Backward_Accumulates()
    {
        float[] x = TestData.Uniform(17, seed: 1);
        float[] g = TestData.Uniform(17, seed: 2);
        float[] once = new float[17];
        Activations.Backward(once, g, x, ActivationKind.Gelu);
        float[] twice = new float[17];
        Activations.Backward(twice, g, x, ActivationKind.Gelu);
        Activations.Backward(twice, g, x, ActivationKind.Gelu);
        for (int i = 0; i < 17; i++)
        {
            Assert.Equal(2 * once[i], twice[i], 1e-6f);
        }
    }

    [Fact]
    public void WrongLengths_NameTheArgument()
    {
        var forward = Assert.Throws<ArgumentException>(() => Activations.Forward(new float[3], new float[4], ActivationKind.ReLU));
        Assert.Equal("output", forward.ParamName);
        Assert.Contains("output", forward.Message, StringComparison.Ordinal);
        var backward = Assert.Throws<ArgumentException>(() => Activations.Backward(new float[4], new float[5], new float[4], ActivationKind.Gelu));
        Assert.Equal("dOutput", backward.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Forward(new float[1], new float[1], (ActivationKind)99));
    }
}

public sealed class ActivationsAllocationTests
{
    [Theory]
    [MemberData(nameof(ActivationsTests.Kinds), MemberType = typeof(ActivationsTests))]
    public void ForwardAndBackward_AllocateNothing(ActivationKind kind)
    {
        float[] x = TestData.Uniform(1000, seed: 1);
        float[] y = new float[1000];
        float[] d = new float[1000];
        Assert.Equal(0, Allocations.Measure(() =>
        {
            Activations.Forward(y, x, kind);
            Activations.Backward(d, y, x, kind);
        }));
    }
}
