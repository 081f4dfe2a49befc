using System;
using ModelDsl.Embeddings;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Embeddings;

public sealed class NegativeSamplingLossTests
{
    [Theory]
    [InlineData(1, 1, 1.0)]
    [InlineData(6, 7, 0.5)]
    [InlineData(4, 33, 2.0)]
    public void ReferenceBackward_MatchesCentralDifferences(int samples, int dimension, double scale)
    {
        double[] input = TestData.UniformDouble(dimension, 1, scale), outputs = TestData.UniformDouble(samples * dimension, 2, scale);
        var dInput = new double[dimension];
        var dOutputs = new double[samples * dimension];
        const double dLoss = 0.7;
        NegativeSamplingLossReference.Backward<double>(dInput, dOutputs, dLoss, input, outputs, samples, dimension);
        double Loss() => dLoss * NegativeSamplingLossReference.Forward<double>(input, outputs, samples, dimension);
        // Float64 central differences: GradientCheck's default tolerance (its remarks give the error budget).
        GradientCheck.Check("input", input, dInput, Loss);
        GradientCheck.Check("outputs", outputs, dOutputs, Loss);
    }

    [Theory]
    [InlineData(1, 1, 1f)]
    [InlineData(6, 100, 0.1f)]
    [InlineData(16, 37, 1f)]
    [InlineData(3, 9, 30f)]
    public void Kernel_MatchesReference(int samples, int dimension, float scale)
    {
        float[] input = TestData.Uniform(dimension, 3, scale), outputs = TestData.Uniform(samples * dimension, 4, scale);
        double expectedLoss = NegativeSamplingLossReference.Forward<double>(TestData.ToDouble(input), TestData.ToDouble(outputs), samples, dimension);
        float loss = NegativeSamplingLoss.Forward(input, outputs, samples, dimension);
        // Float32 dot products of up to 100 terms of size ≤ scale²: relative rounding ~1e-6 of the score, which the loss inherits.
        Assert.Equal(expectedLoss, loss, 1e-5 * Math.Max(1, Math.Abs(expectedLoss)));

        var dInput = new double[dimension];
        var dOutputs = new double[samples * dimension];
        NegativeSamplingLossReference.Backward<double>(dInput, dOutputs, 1.0, TestData.ToDouble(input), TestData.ToDouble(outputs), samples, dimension);
        var fInput = new float[dimension];
        var fOutputs = new float[samples * dimension];
        NegativeSamplingLoss.Backward(fInput, fOutputs, 1f, input, outputs, samples, dimension);
        // Float32 against float64: sums of up to 16 products, each rounded at 6e-8 relative.
        Compare.Close(TestData.ToSingle(dInput), fInput, 1e-5, 1e-6 * scale, "dInput");
        Compare.Close(TestData.ToSingle(dOutputs), fOutputs, 1e-5, 1e-6 * scale, "dOutputs");
    }

    [Fact]
    public void Backward_Accumulates()
    {
        float[] input = TestData.Uniform(5, 5), outputs = TestData.Uniform(15, 6);
        var once = new float[5];
        var twice = new float[5];
        var dOutOnce = new float[15];
        var dOutTwice = new float[15];
        NegativeSamplingLoss.Backward(once, dOutOnce, 1f, input, outputs, 3, 5);
        NegativeSamplingLoss.Backward(twice, dOutTwice, 1f, input, outputs, 3, 5);
        NegativeSamplingLoss.Backward(twice, dOutTwice, 1f, input, outputs, 3, 5);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(2 * once[i], twice[i], 1e-6f); // x + x is exact; only the order of additions can differ
        }
    }

    [Fact]
    public void Step_OnDistinctRows_IsBackwardThenSgd()
    {
        const int words = 9, d = 6;
        const float lr = 0.3f;
        float[] table = TestData.Uniform(words * d, 7), input = TestData.Uniform(d, 8);
        int[] targets = [4, 0, 7, 2];
        var gathered = new float[targets.Length * d];
        for (int k = 0; k < targets.Length; k++)
        {
            table.AsSpan(targets[k] * d, d).CopyTo(gathered.AsSpan(k * d));
        }

        float expectedLoss = NegativeSamplingLoss.Forward(input, gathered, targets.Length, d);
        var dInput = new float[d];
        var dGathered = new float[gathered.Length];
        NegativeSamplingLoss.Backward(dInput, dGathered, 1f, input, gathered, targets.Length, d);
        var expectedTable = (float[])table.Clone();
        for (int k = 0; k < targets.Length; k++)
        {
            for (int j = 0; j < d; j++)
            {
                expectedTable[targets[k] * d + j] -= lr * dGathered[k * d + j];
            }
        }

        var gradient = new float[d];
        float loss = NegativeSamplingLoss.Step(gradient, table, targets, input, lr, d);
        // The same float operations in a different grouping (fused multiply-add): a few ulps.
        Assert.Equal(expectedLoss, loss, 1e-6f);
        Compare.Close(dInput, gradient, 1e-6, 1e-7, "inputGradient");
        Compare.Close(expectedTable, table, 1e-6, 1e-7, "table");
    }

    [Fact]
    public void Step_RejectsTargetOutsideTable()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            NegativeSamplingLoss.Step(new float[2], new float[6], [1, 3], new float[2], 0.1f, 2));
        Assert.Contains("targets[1]", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1e4f)]
    [InlineData(-1e4f)]
    [InlineData(0f)]
    public void LogSigmoid_IsFiniteAndExact(float x)
    {
        double expected = x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));
        // log σ in float: relative error of a few ulps, absolute 1e-7 near 0.
        Assert.Equal(expected, NegativeSamplingLoss.LogSigmoid(x), Math.Max(1e-7, 1e-6 * Math.Abs(expected)));
        Assert.True(float.IsFinite(NegativeSamplingLoss.Sigmoid(x)));
    }
}
