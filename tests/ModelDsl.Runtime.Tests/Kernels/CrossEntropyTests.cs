using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

public sealed class CrossEntropyTests
{
    private static int[] Targets(int rows, int classes, int seed, int ignoreEvery = 0)
    {
        var random = new System.Random(seed);
        var targets = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            targets[r] = ignoreEvery > 0 && r % ignoreEvery == 1 ? CrossEntropy.DefaultIgnoreIndex : random.Next(classes);
        }

        return targets;
    }

    [Fact]
    public void Forward_MatchesPyTorchFormulaByHand()
    {
        // F.cross_entropy([[1, 2, 3]], [2]) = -log(e³ / (e + e² + e³)).
        double sum = Math.E + Math.Exp(2) + Math.Exp(3);
        double nll = -Math.Log(Math.Exp(3) / sum);
        float[] logProbs = new float[3];
        float loss = CrossEntropy.Forward(logProbs, new float[] { 1, 2, 3 }, new[] { 2 }, 1, 3);
        Assert.Equal(nll, loss, 1e-6);

        // label_smoothing = 0.1: 0.9·(-log p₂) + 0.1·mean_c(-log p_c).
        double smooth = -(Math.Log(Math.E / sum) + Math.Log(Math.Exp(2) / sum) + Math.Log(Math.Exp(3) / sum)) / 3;
        loss = CrossEntropy.Forward(logProbs, new float[] { 1, 2, 3 }, new[] { 2 }, 1, 3, labelSmoothing: 0.1f);
        Assert.Equal(0.9 * nll + 0.1 * smooth, loss, 1e-6);

        // Gradient: p - q with q = 0.9·onehot + 0.1/3.
        float[] dLogits = new float[3];
        CrossEntropy.Backward(dLogits, 1f, logProbs, new[] { 2 }, 1, 3, labelSmoothing: 0.1f);
        double[] expected = { Math.E / sum - 0.1 / 3, Math.Exp(2) / sum - 0.1 / 3, Math.Exp(3) / sum - 0.9 - 0.1 / 3 };
        Compare.Close(TestData.ToSingle(expected), dLogits, 1e-6, 1e-7);
    }

    [Fact]
    public void Mean_CountsOnlyRowsThatAreNotIgnored()
    {
        // Row 1 ignored: mean over rows 0 and 2 only. Uniform logits give -log p = log C for any target.
        float[] logits = new float[3 * 4];
        logits[8 + 2] = 5f;   // row 2, target 2: -log p = log(3 + e⁵) - 5
        float loss = CrossEntropy.Forward(new float[12], logits, new[] { 0, -100, 2 }, 3, 4);
        double expected = (Math.Log(4) + Math.Log(3 + Math.Exp(5)) - 5) / 2;
        Assert.Equal(expected, loss, 1e-6);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void Reference_GradientMatchesCentralDifferences(double smoothing)
    {
        foreach (var (rows, classes) in new[] { (1, 1), (1, 7), (4, 5), (3, 17) })
        {
            double[] logits = TestData.UniformDouble(rows * classes, seed: rows + classes, scale: 3);
            int[] targets = Targets(rows, classes, seed: classes, ignoreEvery: rows > 1 ? 3 : 0);
            double[] logProbs = new double[logits.Length];
            CrossEntropyReference.Forward<double>(logProbs, logits, targets, rows, classes, smoothing);
            double[] dLogits = new double[logits.Length];
            const double DLoss = 0.7;
            CrossEntropyReference.Backward<double>(dLogits, DLoss, logProbs, targets, rows, classes, smoothing);
            GradientCheck.Check($"logits [{rows}x{classes}] ε={smoothing}", logits, dLogits,
                () => DLoss * CrossEntropyReference.Forward<double>(logProbs, logits, targets, rows, classes, smoothing));
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.2f)]
    public void Tuned_MatchesFloat64Reference(float smoothing)
    {
        // Tolerance: the log-softmax is float (values O(10), error ~10 ulp of 1) and the loss is summed in
        // double: loss rtol 2e-6; log-probs atol 5e-6; gradients are (p - q)/count with p from float exp: atol 1e-6.
        const int Rows = 5;
        foreach (int classes in new[] { 1, 7, 8, 15, 16, 17, 33, 1000 })
        {
            int n = Rows * classes;
            float[] logits = TestData.Uniform(n, seed: classes, scale: 6f);
            int[] targets = Targets(Rows, classes, seed: classes, ignoreEvery: 3);
            float[] logProbs = new float[n];
            float loss = CrossEntropy.Forward(logProbs, logits, targets, Rows, classes, smoothing);
            float[] dStart = TestData.Uniform(n, seed: classes + 1);
            float[] dLogits = (float[])dStart.Clone();
            CrossEntropy.Backward(dLogits, 1.5f, logProbs, targets, Rows, classes, smoothing);

            double[] logProbsRef = new double[n];
            double lossRef = CrossEntropyReference.Forward<double>(logProbsRef, TestData.ToDouble(logits), targets, Rows, classes, smoothing);
            double[] dRef = TestData.ToDouble(dStart);
            CrossEntropyReference.Backward<double>(dRef, 1.5, logProbsRef, targets, Rows, classes, smoothing);

            Assert.True(Math.Abs(loss - lossRef) <= 2e-6 * Math.Abs(lossRef) + 1e-7, $"classes {classes}: loss {loss}, expected {lossRef}");
            Compare.Close(TestData.ToSingle(logProbsRef), logProbs, 2e-6, 5e-6, $"logProbs classes={classes}");
            Compare.Close(TestData.ToSingle(dRef), dLogits, 1e-6, 1e-6, $"dLogits classes={classes}");
        }
    }

    [Fact]
    public void Tuned_GradientMatchesCentralDifferencesInFloat()
    {
        // Float central differences, h = 1e-2 on logits of scale 2: truncation h²/6·|L'''| ≲ 1e-4, rounding of a
        // double-summed float loss ≈ 1e-7/h = 1e-5; tolerance 1e-2 relative to max(1, |g|) still fails on a wrong term.
        const int Rows = 4, Classes = 9;
        float[] logits = TestData.Uniform(Rows * Classes, seed: 5, scale: 2f);
        int[] targets = { 3, -100, 8, 0 };
        float[] logProbs = new float[logits.Length];
        CrossEntropy.Forward(logProbs, logits, targets, Rows, Classes, 0.1f);
        float[] dLogits = new float[logits.Length];
        CrossEntropy.Backward(dLogits, 1f, logProbs, targets, Rows, Classes, 0.1f);
        float[] scratch = new float[logits.Length];
        GradientCheck.CheckSingle("logits", logits, dLogits, () => CrossEntropy.Forward(scratch, logits, targets, Rows, Classes, 0.1f));
    }

    [Fact]
    public void HugeLogits_GiveFiniteLossAndGradients()
    {
        // Row 0: target 1 at -1e4 while class 0 is at 1e4: -log p₁ = 2e4 (p₀ = 1). Row 1: target is the max: loss 0.
        float[] logits = { 1e4f, -1e4f, 0f, -1e4f, 1e4f, -1e4f };
        int[] targets = { 1, 1 };
        float[] logProbs = new float[6];
        float loss = CrossEntropy.Forward(logProbs, logits, targets, 2, 3);
        Assert.Equal(1e4, loss, 1e-2);   // (2e4 + 0) / 2
        float[] dLogits = new float[6];
        CrossEntropy.Backward(dLogits, 1f, logProbs, targets, 2, 3);
        Compare.Close(new[] { 0.5f, -0.5f, 0f, 0f, 0f, 0f }, dLogits, 1e-6, 1e-7);

        loss = CrossEntropy.Forward(logProbs, logits, targets, 2, 3, labelSmoothing: 0.3f);
        Assert.True(float.IsFinite(loss));
        CrossEntropy.Backward(dLogits, 1f, logProbs, targets, 2, 3, labelSmoothing: 0.3f);
        Assert.All(dLogits, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void IgnoredRows_GetZeroGradient_AndAllIgnoredGivesZero()
    {
        const int Rows = 4, Classes = 6;
        float[] logits = TestData.Uniform(Rows * Classes, seed: 1, scale: 3f);
        int[] targets = { 2, 0, 0, 5 };
        float[] logProbs = new float[logits.Length];
        CrossEntropy.Forward(logProbs, logits, targets, Rows, Classes, 0.1f, ignoreIndex: 0);   // ignore index inside [0, C)
        float[] dLogits = new float[logits.Length];
        CrossEntropy.Backward(dLogits, 1f, logProbs, targets, Rows, Classes, 0.1f, ignoreIndex: 0);
        Assert.All(dLogits.AsSpan(Classes, 2 * Classes).ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(dLogits.AsSpan(0, Classes).ToArray(), v => v != 0f);

        // All ignored: PyTorch gives NaN (0/0); we give loss 0 and leave the gradient untouched.
        int[] none = { -100, -100, -100, -100 };
        Assert.Equal(0f, CrossEntropy.Forward(logProbs, logits, none, Rows, Classes, 0.1f));
        float[] dStart = TestData.Uniform(logits.Length, seed: 2);
        float[] d = (float[])dStart.Clone();
        CrossEntropy.Backward(d, 1f, logProbs, none, Rows, Classes, 0.1f);
        Assert.Equal(dStart, d);
        Assert.Equal(0.0, CrossEntropyReference.Forward<double>(new double[logits.Length], TestData.ToDouble(logits), none, Rows, Classes, 0.1));
    }

    [Fact]
    public void TargetOutsideClasses_NamesTheRow()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            CrossEntropy.Forward(new float[4 * 5], new float[4 * 5], new[] { 0, 1, -100, 7 }, 4, 5));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets[3] = 7 is outside the classes [0, 5)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            CrossEntropy.Backward(new float[4 * 5], 1f, new float[4 * 5], new[] { 0, -1, 2, 3 }, 4, 5));
        Assert.Contains("targets[1] = -1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            CrossEntropy.Forward(new float[5], new float[5], new[] { 0 }, 1, 5, labelSmoothing: 1.5f));
        Assert.Equal("labelSmoothing", e.ParamName);
    }

    [Fact]
    public void WrongLengths_NameTheArgument()
    {
        var e = Assert.Throws<ArgumentException>(() => CrossEntropy.Forward(new float[9], new float[10], new[] { 0, 1 }, 2, 5));
        Assert.Equal("logProbs", e.ParamName);
        Assert.Contains("logProbs", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => CrossEntropy.Forward(new float[10], new float[10], new[] { 0 }, 2, 5));
        Assert.Equal("targets", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => CrossEntropy.Backward(new float[11], 1f, new float[10], new[] { 0, 1 }, 2, 5));
        Assert.Equal("dLogits", e.ParamName);
    }

    [Fact]
    public void Pool_GivesTheSameBitsAsOneThread()
    {
        const int Rows = 512, Classes = 1000;
        float[] logits = TestData.Uniform(Rows * Classes, seed: 3, scale: 5f);
        int[] targets = Targets(Rows, Classes, seed: 4, ignoreEvery: 7);
        using var pool = new WorkerPool(2);
        float[] lpSerial = new float[logits.Length], lpPooled = new float[logits.Length];
        float lossSerial = CrossEntropy.Forward(lpSerial, logits, targets, Rows, Classes, 0.1f);
        float lossPooled = CrossEntropy.Forward(lpPooled, logits, targets, Rows, Classes, 0.1f, pool: pool);
        Assert.Equal(lossSerial, lossPooled);
        Assert.Equal(lpSerial, lpPooled);
        float[] dSerial = new float[logits.Length], dPooled = new float[logits.Length];
        CrossEntropy.Backward(dSerial, 1f, lpSerial, targets, Rows, Classes, 0.1f);
        CrossEntropy.Backward(dPooled, 1f, lpPooled, targets, Rows, Classes, 0.1f, pool: pool);
        Assert.Equal(dSerial, dPooled);
    }
}

public sealed class CrossEntropyAllocationTests
{
    [Fact]
    public void ForwardAndBackward_AllocateNothing_SerialAndPooled()
    {
        const int Rows = 512, Classes = 1000;
        float[] logits = TestData.Uniform(Rows * Classes, seed: 1);
        int[] targets = new int[Rows];
        for (int r = 0; r < Rows; r++)
        {
            targets[r] = r % 9 == 0 ? -100 : (r * 31) % Classes;
        }

        float[] logProbs = new float[logits.Length];
        float[] dLogits = new float[logits.Length];
        using var pool = new WorkerPool(2);
        foreach (var p in new[] { null, pool })
        {
            Assert.Equal(0, Allocations.Measure(() =>
            {
                CrossEntropy.Forward(logProbs, logits, targets, Rows, Classes, 0.1f, pool: p);
                CrossEntropy.Backward(dLogits, 1f, logProbs, targets, Rows, Classes, 0.1f, pool: p);
            }, repeats: 2, windows: 5));
        }
    }
}
