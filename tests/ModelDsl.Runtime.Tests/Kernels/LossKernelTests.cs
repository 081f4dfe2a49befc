using System;
using System.Linq;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

/// <summary>The loss kernels of issue 19: L1, BCE with logits, soft-label cross-entropy, distillation KL.</summary>
public sealed class LossKernelTests
{
    [Fact]
    public void MeanAbsoluteError_MatchesHandComputation()
    {
        // p = [1, 2, 3], t = [1, 0, 5]: (0 + 2 + 2) / 3; gradient dLoss · sign(p - t) / 3, 0 where equal.
        float[] p = [1, 2, 3], t = [1, 0, 5];
        Assert.Equal(4.0 / 3, MeanAbsoluteError.Forward(p, t, 3), 1e-6);
        float[] d = [1, 1, 1];
        MeanAbsoluteError.Backward(d, 0.5f, p, t, 3);
        Compare.Close([1f, 1f + (0.5f / 3), 1f - (0.5f / 3)], d, 1e-6, 0);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogits_MatchesHandComputation()
    {
        // x = [0, ln 3], t = [1, 0]: losses ln 2 and ln 3 + ln(4/3) = ln 4, mean 1.5 ln 2; d x = (σ(x) - t) / 2 = [-0.25, 0.375].
        float[] x = [0f, MathF.Log(3f)], t = [1f, 0f];
        Assert.Equal(1.5 * Math.Log(2), BinaryCrossEntropyWithLogits.Forward(x, t, 2), 1e-6);
        float[] d = new float[2];
        BinaryCrossEntropyWithLogits.Backward(d, 1f, x, t, 2);
        Compare.Close([-0.25f, 0.375f], d, 1e-6, 1e-7);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogits_IsFiniteForExtremeLogits()
    {
        // x = ±1e4 with the matching target: loss 0 (log1p(exp(-1e4)) underflows to 0); with the wrong target: 1e4 per element.
        float[] x = [1e4f, -1e4f], right = [1f, 0f], wrong = [0f, 1f];
        Assert.Equal(0f, BinaryCrossEntropyWithLogits.Forward(x, right, 2));
        Assert.Equal(1e4f, BinaryCrossEntropyWithLogits.Forward(x, wrong, 2));
        float[] d = new float[2];
        BinaryCrossEntropyWithLogits.Backward(d, 1f, x, wrong, 2);
        Compare.Close([0.5f, -0.5f], d, 0, 0);
    }

    [Fact]
    public void SoftCrossEntropy_MatchesHandComputation()
    {
        // logits [0, ln 3]: p = [1/4, 3/4]; q = [1, 0]: loss -ln(1/4) = ln 4, d = p - q = [-0.75, 0.75].
        // logits [0, 0], q = [0.5, 0.5]: loss ln 2, d = 0. Mean over the 2 rows.
        float[] logits = [0f, MathF.Log(3f), 0f, 0f], q = [1f, 0f, 0.5f, 0.5f];
        float[] logProbs = new float[4], d = new float[4];
        Assert.Equal((Math.Log(4) + Math.Log(2)) / 2, SoftCrossEntropy.Forward(logProbs, logits, q, 2, 2), 1e-6);
        SoftCrossEntropy.Backward(d, 1f, logProbs, q, 2, 2);
        Compare.Close([-0.375f, 0.375f, 0f, 0f], d, 1e-6, 1e-7);
    }

    [Fact]
    public void KLDivergence_MatchesHandComputation()
    {
        // T = 2, student [0, 2 ln 3] -> p = [1/4, 3/4]; teacher [0, 0] -> q = [1/2, 1/2]:
        // T² KL(q || p) = 4 · (0.5 ln 2 + 0.5 ln(2/3)) = 2 ln(4/3); d x = T (p - q) / rows = [-0.5, 0.5].
        float[] x = [0f, 2f * MathF.Log(3f)], t = [0f, 0f];
        float[] logP = new float[2], logQ = new float[2], d = new float[2];
        Assert.Equal(2 * Math.Log(4.0 / 3), KLDivergence.Forward(logP, logQ, x, t, 1, 2, 2f), 1e-6);
        KLDivergence.Backward(d, 1f, logP, logQ, 1, 2, 2f);
        Compare.Close([-0.5f, 0.5f], d, 1e-6, 1e-7);
        Assert.Equal(0f, KLDivergence.Forward(logP, logQ, x, x, 1, 2, 3f), 1e-7); // same distribution: no divergence
        Assert.Throws<ArgumentOutOfRangeException>(() => KLDivergence.Forward(logP, logQ, x, t, 1, 2, 0f));
    }

    [Fact]
    public void References_GradientsMatchCentralDifferences()
    {
        foreach ((int rows, int classes) in new[] { (1, 2), (3, 5), (4, 17) })
        {
            int n = rows * classes;
            double[] x = TestData.UniformDouble(n, seed: n, scale: 3);
            double[] t = TestData.UniformDouble(n, seed: n + 1, scale: 3);
            double[] probs = Probabilities(TestData.UniformDouble(n, seed: n + 2), rows, classes);
            double[] zeroOne = Array.ConvertAll(TestData.UniformDouble(n, seed: n + 3), v => v > 0 ? 1.0 : 0.0);

            double[] d = new double[n];
            LossesReference.MeanAbsoluteErrorBackward<double>(d, 1.3, x, t, n);
            GradientCheck.Check($"l1 {rows}x{classes}", x, d, () => 1.3 * LossesReference.MeanAbsoluteErrorForward<double>(x, t, n));

            d = new double[n];
            LossesReference.BinaryCrossEntropyWithLogitsBackward<double>(d, 0.7, x, zeroOne, n);
            GradientCheck.Check($"bce {rows}x{classes}", x, d, () => 0.7 * LossesReference.BinaryCrossEntropyWithLogitsForward<double>(x, zeroOne, n));

            d = new double[n];
            LossesReference.SoftCrossEntropyBackward<double>(d, 1.1, x, probs, rows, classes);
            GradientCheck.Check($"soft ce {rows}x{classes}", x, d, () => 1.1 * LossesReference.SoftCrossEntropyForward<double>(x, probs, rows, classes));

            d = new double[n];
            LossesReference.KLDivergenceBackward<double>(d, 0.9, x, t, rows, classes, 2.5);
            GradientCheck.Check($"kl {rows}x{classes}", x, d, () => 0.9 * LossesReference.KLDivergenceForward<double>(x, t, rows, classes, 2.5));
        }
    }

    [Fact]
    public void Tuned_MatchFloat64References()
    {
        // Tolerances: the kernels sum in double, element terms in float (exp/log of float inputs, relative error ~1e-7 each),
        // so losses agree to rtol 1e-6 and gradients (one float expression per element) to rtol 1e-5, atol 1e-7.
        foreach ((int rows, int classes) in new[] { (1, 2), (3, 5), (8, 16), (5, 33) })
        {
            int n = rows * classes;
            float[] x = TestData.Uniform(n, seed: n, scale: 4f);
            float[] t = TestData.Uniform(n, seed: n + 1, scale: 4f);
            float[] probs = TestData.ToSingle(Probabilities(TestData.UniformDouble(n, seed: n + 2), rows, classes));
            double[] xd = TestData.ToDouble(x), td = TestData.ToDouble(t), pd = TestData.ToDouble(probs);
            float[] zeroOne = Array.ConvertAll(TestData.Uniform(n, seed: n + 3), v => v > 0 ? 1f : 0f);
            double[] zd = TestData.ToDouble(zeroOne);
            string at = $"{rows}x{classes}";

            Loss(at + " l1", MeanAbsoluteError.Forward(x, t, n), LossesReference.MeanAbsoluteErrorForward<double>(xd, td, n));
            Gradient(at + " l1", n, d => MeanAbsoluteError.Backward(d, 0.7f, x, t, n), d => LossesReference.MeanAbsoluteErrorBackward<double>(d, 0.7, xd, td, n));

            Loss(at + " bce", BinaryCrossEntropyWithLogits.Forward(x, zeroOne, n), LossesReference.BinaryCrossEntropyWithLogitsForward<double>(xd, zd, n));
            Gradient(at + " bce", n, d => BinaryCrossEntropyWithLogits.Backward(d, 0.7f, x, zeroOne, n),
                d => LossesReference.BinaryCrossEntropyWithLogitsBackward<double>(d, 0.7, xd, zd, n));

            float[] logP = new float[n], logQ = new float[n];
            Loss(at + " soft ce", SoftCrossEntropy.Forward(logP, x, probs, rows, classes), LossesReference.SoftCrossEntropyForward<double>(xd, pd, rows, classes));
            Gradient(at + " soft ce", n, d => SoftCrossEntropy.Backward(d, 0.7f, logP, probs, rows, classes),
                d => LossesReference.SoftCrossEntropyBackward<double>(d, 0.7, xd, pd, rows, classes));

            Loss(at + " kl", KLDivergence.Forward(logP, logQ, x, t, rows, classes, 3f), LossesReference.KLDivergenceForward<double>(xd, td, rows, classes, 3.0));
            Gradient(at + " kl", n, d => KLDivergence.Backward(d, 0.7f, logP, logQ, rows, classes, 3f),
                d => LossesReference.KLDivergenceBackward<double>(d, 0.7, xd, td, rows, classes, 3.0));
        }
    }

    [Fact]
    public void WeightedCrossEntropy_MatchesHandComputation()
    {
        // Two rows, logits 0 (p = 1/2 each): row 0 label 0 (w 3), row 1 label 1 (w 1): loss = (3 ln 2 + ln 2) / (3 + 1) = ln 2.
        // d row 0 = 3 (p - onehot) / 4 = [-3/8, 3/8]; d row 1 = 1 (p - onehot) / 4 = [1/8, -1/8]. An ignored row adds nothing.
        float[] logits = new float[6], weights = [3f, 1f], logProbs = new float[6], d = new float[6];
        int[] labels = [0, 1, -100];
        Assert.Equal(Math.Log(2), CrossEntropy.WeightedForward(logProbs, logits, labels, weights, 3, 2), 1e-6);
        CrossEntropy.WeightedBackward(d, 1f, logProbs, labels, weights, 3, 2);
        Compare.Close([-0.375f, 0.375f, 0.125f, -0.125f, 0f, 0f], d, 1e-6, 1e-7);
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.WeightedForward(logProbs, logits, labels, [1f, -1f], 3, 2));
    }

    [Fact]
    public void WeightedCrossEntropy_GradientAndTunedMatchReference()
    {
        // Tolerances as in Tuned_MatchFloat64References: double sums, float element terms.
        foreach ((int rows, int classes, float smoothing) in new[] { (1, 2, 0f), (5, 4, 0.1f), (9, 7, 0.3f) })
        {
            int n = rows * classes;
            double[] x = TestData.UniformDouble(n, seed: n, scale: 3);
            double[] w = Array.ConvertAll(TestData.UniformDouble(classes, seed: n + 1), v => Math.Abs(v) + 0.1);
            int[] labels = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                labels[r] = r % 3 == 2 ? -1 : (r * 5) % classes;
            }

            double[] d = new double[n];
            LossesReference.WeightedCrossEntropyBackward<double>(d, 1.2, x, labels, w, rows, classes, smoothing, -1);
            GradientCheck.Check($"weighted ce {rows}x{classes}", x, d, () => 1.2 * LossesReference.WeightedCrossEntropyForward<double>(x, labels, w, rows, classes, smoothing, -1));

            float[] xf = TestData.ToSingle(x), wf = TestData.ToSingle(w), logP = new float[n];
            Loss($"weighted ce {rows}x{classes}", CrossEntropy.WeightedForward(logP, xf, labels, wf, rows, classes, smoothing, -1),
                LossesReference.WeightedCrossEntropyForward<double>(TestData.ToDouble(xf), labels, TestData.ToDouble(wf), rows, classes, smoothing, -1));
            Gradient($"weighted ce {rows}x{classes}", n, dt => CrossEntropy.WeightedBackward(dt, 0.7f, logP, labels, wf, rows, classes, smoothing, -1),
                dr => LossesReference.WeightedCrossEntropyBackward<double>(dr, 0.7, TestData.ToDouble(xf), labels, TestData.ToDouble(wf), rows, classes, smoothing, -1));
        }
    }

    [Fact]
    public void Kernels_AllocateNothing()
    {
        const int Rows = 16, Classes = 10, N = Rows * Classes;
        float[] x = TestData.Uniform(N, seed: 1), t = TestData.Uniform(N, seed: 2), d = new float[N], a = new float[N], b = new float[N];
        float[] weights = [.. Enumerable.Range(1, Classes).Select(c => (float)c)];
        int[] labels = [.. Enumerable.Range(0, Rows).Select(r => r % Classes)];
        Assert.Equal(0, Allocations.Measure(() =>
        {
            MeanAbsoluteError.Backward(d, MeanAbsoluteError.Forward(x, t, N), x, t, N);
            BinaryCrossEntropyWithLogits.Backward(d, BinaryCrossEntropyWithLogits.Forward(x, t, N), x, t, N);
            SoftCrossEntropy.Backward(d, SoftCrossEntropy.Forward(a, x, t, Rows, Classes), a, t, Rows, Classes);
            KLDivergence.Backward(d, KLDivergence.Forward(a, b, x, t, Rows, Classes, 2f), a, b, Rows, Classes, 2f);
            CrossEntropy.WeightedBackward(d, CrossEntropy.WeightedForward(a, x, labels, weights, Rows, Classes, 0.1f), a, labels, weights, Rows, Classes, 0.1f);
        }));
    }

    private static void Loss(string what, float actual, double expected) =>
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"{what}: {actual} vs {expected}");

    private static void Gradient(string what, int n, Action<float[]> tuned, Action<double[]> reference)
    {
        float[] start = TestData.Uniform(n, seed: n + 7);
        float[] d = (float[])start.Clone();
        tuned(d);
        double[] dRef = TestData.ToDouble(start);
        reference(dRef);
        Compare.Close(TestData.ToSingle(dRef), d, 1e-5, 1e-7, what);
    }

    /// <summary>Each row of |values| normalized to sum 1.</summary>
    private static double[] Probabilities(double[] values, int rows, int classes)
    {
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                values[(r * classes) + c] = Math.Abs(values[(r * classes) + c]) + 0.01;
                sum += values[(r * classes) + c];
            }

            for (int c = 0; c < classes; c++)
            {
                values[(r * classes) + c] /= sum;
            }
        }

        return values;
    }
}
