using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

public sealed class MeanSquaredErrorTests
{
    [Fact]
    public void MatchesHandComputation()
    {
        // p = [1, 2, 3], t = [1, 0, 5]: ((0)² + 2² + (-2)²) / 3 = 8/3; gradient 2(p - t)/3 · dLoss.
        float[] p = { 1, 2, 3 }, t = { 1, 0, 5 };
        Assert.Equal(8.0 / 3, MeanSquaredError.Forward(p, t, 3), 1e-6);
        float[] d = { 1, 1, 1 };
        MeanSquaredError.Backward(d, 0.5f, p, t, 3);
        Compare.Close(new[] { 1f, 1f + 2f / 3, 1f - 2f / 3 }, d, 1e-6, 0);
    }

    [Fact]
    public void Reference_GradientMatchesCentralDifferences()
    {
        foreach (int n in new[] { 1, 7, 17 })
        {
            double[] p = TestData.UniformDouble(n, seed: n);
            double[] t = TestData.UniformDouble(n, seed: n + 1);
            double[] dP = new double[n];
            MeanSquaredErrorReference.Backward<double>(dP, 1.3, p, t, n);
            GradientCheck.Check($"prediction n={n}", p, dP, () => 1.3 * MeanSquaredErrorReference.Forward<double>(p, t, n));
        }
    }

    [Fact]
    public void Tuned_MatchesFloat64Reference()
    {
        // Tolerance: the kernel sums in double (only the final float rounding differs): rtol 1e-7.
        // The gradient is one float multiply of an exact-ish difference: rtol 1e-6, atol 1e-7.
        foreach (int n in new[] { 1, 7, 8, 15, 16, 17, 33, 1000 })
        {
            float[] p = TestData.Uniform(n, seed: n, scale: 3f);
            float[] t = TestData.Uniform(n, seed: n + 1, scale: 3f);
            float loss = MeanSquaredError.Forward(p, t, n);
            double lossRef = MeanSquaredErrorReference.Forward<double>(TestData.ToDouble(p), TestData.ToDouble(t), n);
            Assert.True(Math.Abs(loss - lossRef) <= 1e-7 * lossRef, $"n={n}: {loss} vs {lossRef}");

            float[] dStart = TestData.Uniform(n, seed: n + 2);
            float[] d = (float[])dStart.Clone();
            MeanSquaredError.Backward(d, 0.7f, p, t, n);
            double[] dRef = TestData.ToDouble(dStart);
            MeanSquaredErrorReference.Backward<double>(dRef, 0.7, TestData.ToDouble(p), TestData.ToDouble(t), n);
            Compare.Close(TestData.ToSingle(dRef), d, 1e-6, 1e-7, $"n={n}");
        }
    }

    [Fact]
    public void WrongLengths_NameTheArgument()
    {
        var e = Assert.Throws<ArgumentException>(() => MeanSquaredError.Forward(new float[3], new float[2], 3));
        Assert.Equal("target", e.ParamName);
        Assert.Contains("target", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => MeanSquaredError.Backward(new float[2], 1f, new float[3], new float[3], 3));
        Assert.Equal("dPrediction", e.ParamName);
    }
}

public sealed class MeanSquaredErrorAllocationTests
{
    [Fact]
    public void ForwardAndBackward_AllocateNothing()
    {
        float[] p = TestData.Uniform(1000, seed: 1), t = TestData.Uniform(1000, seed: 2), d = new float[1000];
        Assert.Equal(0, Allocations.Measure(() =>
        {
            float loss = MeanSquaredError.Forward(p, t, 1000);
            MeanSquaredError.Backward(d, loss, p, t, 1000);
        }));
    }
}
