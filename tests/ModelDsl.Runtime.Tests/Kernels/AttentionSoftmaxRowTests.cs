using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using Xunit;

namespace ModelDsl.Runtime.Tests.Kernels;

/// <summary>The fused softmax rows of the blocked attention path against the float64 reference softmax.</summary>
public sealed unsafe class AttentionSoftmaxRowTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(11)]
    [InlineData(29)]
    [InlineData(64)]
    [InlineData(131)]
    public void ForwardAndBackwardRows_MatchFloat64Reference(int n)
    {
        // Scores up to ±30: exp of the shifted values spans many magnitudes; the row's maximum gives exp(0) = 1.
        var scores = TestData.Uniform(n, n, 30f);
        var dP = TestData.Uniform(n, n + 100);
        var expected = new double[n];
        SoftmaxReference.Forward<double>(expected, TestData.ToDouble(scores), 1, n);
        var probabilities = (float[])scores.Clone();
        fixed (float* p = probabilities)
        {
            Attention.SoftmaxInPlace(p, n);
        }

        // Each probability comes from one float exp (a few ulps) divided by a sum of n rounded terms: relative error about
        // (n + 4)·u ≤ 1.1e-5 for n = 131; 2e-5 leaves room for the exponential's own error.
        Compare.Close(TestData.ToSingle(expected), probabilities, rtol: 2e-5, atol: 1e-7, what: "softmax");

        const float Scale = 0.25f;
        var expectedD = new double[n];
        SoftmaxReference.Backward<double>(expectedD, TestData.ToDouble(dP), TestData.ToDouble(probabilities), 1, n);
        var dS = (float[])dP.Clone();
        fixed (float* d = dS, p = probabilities)
        {
            Attention.SoftmaxBackwardInPlace(d, p, n, Scale);
        }

        for (int j = 0; j < n; j++)
        {
            expectedD[j] *= Scale;
        }

        // dS = scale · p ∘ (dP − Σ p dP): the n-term dot product in float is off by at most n·u·Σ|p dP| ≤ 131 · 6e-8 · 1 ≈ 8e-6,
        // times p ≤ 1 and the scale.
        Compare.Close(TestData.ToSingle(expectedD), dS, rtol: 1e-5, atol: 1e-5, what: "softmax backward");
    }
}
