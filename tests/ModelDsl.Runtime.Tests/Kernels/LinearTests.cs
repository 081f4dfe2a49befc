using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

public sealed class LinearTests : IDisposable
{
    private readonly WorkerPool _pool = new(2);

    public void Dispose() => _pool.Dispose();

    public static TheoryData<ActivationKind> Activations => new()
    {
        ActivationKind.None, ActivationKind.ReLU, ActivationKind.LeakyReLU, ActivationKind.Gelu,
        ActivationKind.GeluTanh, ActivationKind.Tanh, ActivationKind.Sigmoid,
    };

    public static TheoryData<ActivationKind, int, int, int, bool> ForwardCases()
    {
        var data = new TheoryData<ActivationKind, int, int, int, bool>();
        foreach (var activation in Enum.GetValues<ActivationKind>())
        {
            data.Add(activation, 1, 1, 1, true);
            data.Add(activation, 5, 17, 31, true);
            data.Add(activation, 130, 72, 40, false);   // packed path, no bias
            data.Add(activation, 200, 300, 70, true);   // two k blocks... and two threads
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ForwardCases))]
    public void Forward_MatchesFloat64Reference(ActivationKind activation, int rows, int inFeatures, int outFeatures, bool withBias)
    {
        var input = TestData.Uniform(rows * inFeatures, 1, 2f);
        var weight = TestData.Uniform(outFeatures * inFeatures, 2, 1f / MathF.Sqrt(inFeatures));
        var bias = withBias ? TestData.Uniform(outFeatures, 3) : [];
        bool saves = activation != ActivationKind.None;
        var expectedPre = new double[saves ? rows * outFeatures : 0];
        var expected = new double[rows * outFeatures];
        LinearReference.Forward<double>(expected, TestData.ToDouble(input), TestData.ToDouble(weight), TestData.ToDouble(bias),
            rows, inFeatures, outFeatures, activation, expectedPre);

        var output = new float[rows * outFeatures];
        output.AsSpan().Fill(float.NaN); // overwritten, never read
        var pre = new float[expectedPre.Length];
        Linear.Forward(output, input, weight, bias, rows, inFeatures, outFeatures, activation, pre, _pool);

        // |x| <= 2, |w| <= 1/√in: Σ|x·w| + |b| <= 2√in + 1. A float dot product of in+1 terms is within
        // (in+1)·u·(Σ|x·w| + |b|) of the exact value (Higham §3.1); the activations have |f'| <= 1.13 and
        // are evaluated to a few ulps (the erf fit to 1.2e-7), hence the extra 1e-6 relative.
        double atol = (inFeatures + 2) * Math.Pow(2, -24) * (2 * Math.Sqrt(inFeatures) + 1) * 1.2;
        Compare.Close(TestData.ToSingle(expected), output, rtol: 1e-6, atol: atol, what: $"{activation} output");
        if (saves)
        {
            Compare.Close(TestData.ToSingle(expectedPre), pre, rtol: 1e-6, atol: atol, what: $"{activation} pre-activation");
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Backward_MatchesFloat64ReferenceAndAccumulates(ActivationKind activation)
    {
        const int Rows = 37, In = 45, Out = 29;
        var input = TestData.Uniform(Rows * In, 11);
        var weight = TestData.Uniform(Out * In, 12, 0.2f);
        var bias = TestData.Uniform(Out, 13);
        var dOutput = TestData.Uniform(Rows * Out, 14);
        bool saves = activation != ActivationKind.None;
        var pre = new float[saves ? Rows * Out : 0];
        Linear.Forward(new float[Rows * Out], input, weight, bias, Rows, In, Out, activation, pre);

        // Start from non-zero gradients: backward must add, not overwrite.
        var dInput = TestData.Uniform(Rows * In, 15);
        var dWeight = TestData.Uniform(Out * In, 16);
        var dBias = TestData.Uniform(Out, 17);
        var eInput = TestData.ToDouble(dInput);
        var eWeight = TestData.ToDouble(dWeight);
        var eBias = TestData.ToDouble(dBias);
        LinearReference.Backward<double>(eInput, eWeight, eBias, TestData.ToDouble(dOutput), TestData.ToDouble(input),
            TestData.ToDouble(weight), Rows, In, Out, activation, TestData.ToDouble(pre));

        var scratch = new float[Linear.ScratchLength(Rows, Out, activation)];
        Linear.Backward(dInput, dWeight, dBias, dOutput, input, weight, Rows, In, Out, activation, pre, scratch, _pool);

        // Sums of at most 37 terms of magnitude <= 1 on top of values <= 1: (37+3)·u·(37+1) ≈ 1e-4 bounds
        // the rounding; the activation derivatives add a few ulps relative.
        Compare.Close(TestData.ToSingle(eInput), dInput, rtol: 1e-5, atol: 1e-4, what: "dInput");
        Compare.Close(TestData.ToSingle(eWeight), dWeight, rtol: 1e-5, atol: 1e-4, what: "dWeight");
        Compare.Close(TestData.ToSingle(eBias), dBias, rtol: 1e-5, atol: 1e-4, what: "dBias");
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Backward_ColumnSplitEpilogue_MatchesReferenceAndOneThreadBitForBit(ActivationKind activation)
    {
        // 300 x 83 = 24,900 outputs: over the 16K-element threshold, so two threads split the epilogue's columns
        // (6 units of 16, the last one 3 wide); the bias gradient is a 300-term column sum.
        const int Rows = 300, In = 20, Out = 83;
        var input = TestData.Uniform(Rows * In, 21);
        var weight = TestData.Uniform(Out * In, 22, 0.2f);
        var dOutput = TestData.Uniform(Rows * Out, 23);
        bool saves = activation != ActivationKind.None;
        var pre = new float[saves ? Rows * Out : 0];
        Linear.Forward(new float[Rows * Out], input, weight, TestData.Uniform(Out, 24), Rows, In, Out, activation, pre);

        float[] Run(WorkerPool? pool, out float[] dWeight, out float[] dInput)
        {
            dInput = new float[Rows * In];
            dWeight = new float[Out * In];
            var dBias = TestData.Uniform(Out, 25);
            var scratch = new float[Linear.ScratchLength(Rows, Out, activation)];
            Linear.Backward(dInput, dWeight, dBias, dOutput, input, weight, Rows, In, Out, activation, pre, scratch, pool);
            return dBias;
        }

        var one = Run(null, out var oneWeight, out var oneInput);
        var two = Run(_pool, out var twoWeight, out var twoInput);
        Assert.Equal(one, two);
        Assert.Equal(oneWeight, twoWeight);
        Assert.Equal(oneInput, twoInput);

        var eBias = TestData.ToDouble(TestData.Uniform(Out, 25));
        LinearReference.Backward<double>(new double[Rows * In], new double[Out * In], eBias, TestData.ToDouble(dOutput), TestData.ToDouble(input),
            TestData.ToDouble(weight), Rows, In, Out, activation, TestData.ToDouble(pre));

        // 300 terms of magnitude <= 1 on a start <= 1: (300+1)·u·301 ≈ 5.4e-3 bounds float rounding of the column sums
        // in the worst case; random signs keep it far smaller in practice.
        Compare.Close(TestData.ToSingle(eBias), two, rtol: 1e-5, atol: 5e-3, what: "dBias");
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Reference_GradientCheckInFloat64(ActivationKind activation)
    {
        foreach (var (rows, inF, outF) in new[] { (1, 1, 1), (3, 5, 4), (4, 9, 17) })
        {
            var x = TestData.UniformDouble(rows * inF, 21);
            var w = TestData.UniformDouble(outF * inF, 22);
            var b = TestData.UniformDouble(outF, 23);
            var dOut = TestData.UniformDouble(rows * outF, 24);
            double Loss()
            {
                var y = new double[rows * outF];
                var p = new double[activation == ActivationKind.None ? 0 : rows * outF];
                LinearReference.Forward<double>(y, x, w, b, rows, inF, outF, activation, p);
                return GradientCheck.Dot(y, dOut);
            }

            var pre = new double[activation == ActivationKind.None ? 0 : rows * outF];
            LinearReference.Forward<double>(new double[rows * outF], x, w, b, rows, inF, outF, activation, pre);
            var dx = new double[x.Length];
            var dw = new double[w.Length];
            var db = new double[b.Length];
            LinearReference.Backward<double>(dx, dw, db, dOut, x, w, rows, inF, outF, activation, pre);
            GradientCheck.Check($"{activation} dInput {rows}x{inF}x{outF}", x, dx, Loss);
            GradientCheck.Check($"{activation} dWeight {rows}x{inF}x{outF}", w, dw, Loss);
            GradientCheck.Check($"{activation} dBias {rows}x{inF}x{outF}", b, db, Loss);
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Tuned_GradientCheckInFloat32(ActivationKind activation)
    {
        const int Rows = 3, In = 9, Out = 17;
        var x = TestData.Uniform(Rows * In, 31);
        var w = TestData.Uniform(Out * In, 32, 0.5f);
        var b = TestData.Uniform(Out, 33);
        var dOut = TestData.Uniform(Rows * Out, 34);
        bool saves = activation != ActivationKind.None;
        var y = new float[Rows * Out];
        var pre = new float[saves ? Rows * Out : 0];
        double Loss()
        {
            Linear.Forward(y, x, w, b, Rows, In, Out, activation, pre);
            return GradientCheck.Dot(y, dOut);
        }

        Loss();
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        var db = new float[b.Length];
        Linear.Backward(dx, dw, db, dOut, x, w, Rows, In, Out, activation, pre, new float[Linear.ScratchLength(Rows, Out, activation)]);

        // Piecewise-linear activations: a smaller step keeps perturbed pre-activations on the same side
        // of the kink (error O(u·|L|/h) ≈ 6e-5), smooth ones use the default h = 1e-2 (see CheckSingle).
        float h = activation is ActivationKind.ReLU or ActivationKind.LeakyReLU or ActivationKind.None ? 1e-3f : 1e-2f;
        GradientCheck.CheckSingle($"{activation} dInput", x, dx, Loss, h);
        GradientCheck.CheckSingle($"{activation} dWeight", w, dw, Loss, h);
        GradientCheck.CheckSingle($"{activation} dBias", b, db, Loss, h);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activation_AndDerivative_OverAGrid_MatchFloat64Definitions(ActivationKind activation)
    {
        // rows = points, in = out = 1, weight = 1, no bias: pre = x exactly, dInput = dOut · f'(x).
        const int Points = 641; // -16 .. 16 step 0.05, plus the tail vector path (641 is not a multiple of 8)
        var x = new float[Points];
        for (int i = 0; i < Points; i++)
        {
            x[i] = -16f + i * 0.05f;
        }

        var y = new float[Points];
        var pre = new float[activation == ActivationKind.None ? 0 : Points];
        Linear.Forward(y, x, [1f], [], Points, 1, 1, activation, pre);
        var dx = new float[Points];
        var ones = new float[Points];
        ones.AsSpan().Fill(1f);
        Linear.Backward(dx, new float[1], [], ones, x, [1f], Points, 1, 1, activation, pre,
            new float[Linear.ScratchLength(Points, 1, activation)]);

        var expected = new float[Points];
        var expectedDerivative = new float[Points];
        for (int i = 0; i < Points; i++)
        {
            expected[i] = (float)LinearReference.Activate<double>(activation, x[i]);
            expectedDerivative[i] = (float)LinearReference.Derivative<double>(activation, x[i]);
        }

        // The vector formulas go through exp in float: relative error a few ulps times |exponent|
        // (|exponent| <= 32 here, so <= 2e-6), the erfc fit adds 1.2e-7; 1 - t² and 1 - s near saturation
        // cancel to an absolute error of a few ulps of 1 (3e-7).
        Compare.Close(expected, y, rtol: 5e-6, atol: 3e-7, what: $"{activation}(x)");
        Compare.Close(expectedDerivative, dx, rtol: 5e-6, atol: 3e-7, what: $"{activation}'(x)");
    }

    [Fact]
    public void Backward_EmptyInputGradientAndNoBias_OnlyWeightGradient()
    {
        const int Rows = 4, In = 3, Out = 2;
        // Hand computed: dW = dOutᵀ·X.
        float[] x = [1, 2, 3, 0, 1, 0, 2, 0, 1, 1, 1, 1];
        float[] dOut = [1, 0, 0, 1, 1, 1, -1, 2];
        var dW = new float[Out * In];
        Linear.Backward(Span<float>.Empty, dW, Span<float>.Empty, dOut, x, new float[Out * In], Rows, In, Out);
        // dW[0,:] = 1·(1,2,3) + 1·(2,0,1) - 1·(1,1,1); dW[1,:] = 1·(0,1,0) + 1·(2,0,1) + 2·(1,1,1).
        Assert.Equal(new float[] { 2, 1, 3, 4, 3, 3 }, dW);
    }

    [Fact]
    public void Forward_HandComputedReluWithBias()
    {
        float[] x = [1, 2, -1, 0.5f];               // (2, 2)
        float[] w = [1, 1, 2, -1, 0, 3];            // (3, 2)
        float[] b = [0, -4, 1];
        var y = new float[6];
        var pre = new float[6];
        Linear.Forward(y, x, w, b, 2, 2, 3, ActivationKind.ReLU, pre);
        Assert.Equal(new float[] { 3, -4, 7, -0.5f, -6.5f, 2.5f }, pre);
        Assert.Equal(new float[] { 3, 0, 7, 0, 0, 2.5f }, y);
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheArgument()
    {
        var x = new float[6];
        var w = new float[6];
        var y = new float[4];
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Linear.Forward(y, x, w, new float[3], 2, 3, 2)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => Linear.Forward(new float[5], x, w, [], 2, 3, 2)).ParamName);
        Assert.Equal("preActivation", Assert.Throws<ArgumentException>(() => Linear.Forward(y, x, w, [], 2, 3, 2, ActivationKind.Gelu)).ParamName);
        Assert.Equal("scratch", Assert.Throws<ArgumentException>(() =>
            Linear.Backward(x, w, [], y, x, w, 2, 3, 2, ActivationKind.Tanh, new float[4], new float[3])).ParamName);
        Assert.Equal("dWeight", Assert.Throws<ArgumentException>(() => Linear.Backward(x, new float[5], [], y, x, w, 2, 3, 2)).ParamName);
    }
}

public sealed class LinearAllocationTests : IDisposable
{
    private readonly WorkerPool _pool = new(2);

    public void Dispose() => _pool.Dispose();

    [Theory]
    [InlineData(ActivationKind.Gelu)]
    [InlineData(ActivationKind.None)]
    public void ForwardAndBackward_AllocateNothing(ActivationKind activation)
    {
        const int Rows = 256, In = 128, Out = 96; // 3.1M multiply-adds per product: the pool is used
        var x = TestData.Uniform(Rows * In, 1);
        var w = TestData.Uniform(Out * In, 2);
        var b = TestData.Uniform(Out, 3);
        var y = new float[Rows * Out];
        var pre = new float[activation == ActivationKind.None ? 0 : Rows * Out];
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        var db = new float[b.Length];
        var scratch = new float[Linear.ScratchLength(Rows, Out, activation)];
        var pool = _pool;
        long bytes = Allocations.Measure(() =>
        {
            Linear.Forward(y, x, w, b, Rows, In, Out, activation, pre, pool);
            Linear.Backward(dx, dw, db, y, x, w, Rows, In, Out, activation, pre, scratch, pool);
        });
        Assert.Equal(0, bytes);
    }
}
