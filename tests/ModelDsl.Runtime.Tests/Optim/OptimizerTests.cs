using System;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Optim;

/// <summary>
/// Each optimizer's first three steps against the defining formulas, written here as plain double
/// loops (not derived from the implementation). Lengths 1, 7, 33 and 57 cover the scalar tail alone,
/// 16-wide vectors plus a tail, and 16-wide + 8-wide + tail.
/// </summary>
public sealed class OptimizerTests
{
    // Float32 arithmetic for three steps: each element sees a few roundings of ~6e-8 relative per step,
    // Adam's division and square root at most double that; parameters and state are O(1). A formula error
    // (missing bias correction, wrong decay, wrong first momentum step) moves values by O(lr) = 1e-2 or more.
    private const double Rtol = 2e-5;
    private const double Atol = 2e-6;

    // A different rate at every step, so a step that ignored its learningRate argument would show.
    private static readonly float[] Rates = [0.1f, 0.05f, 0.02f];

    private delegate void ReferenceStep(double[] p, double[] g, double[][] state, int t, double lr);

    public static TheoryData<int, bool> LengthsAndDecay()
    {
        var data = new TheoryData<int, bool>();
        foreach (int length in new[] { 1, 7, 33, 57 })
        {
            data.Add(length, false);
            data.Add(length, true);
        }

        return data;
    }

    public static TheoryData<int, bool, bool> LengthsDecayNesterov()
    {
        var data = new TheoryData<int, bool, bool>();
        foreach (int length in new[] { 1, 7, 33, 57 })
        {
            foreach (bool decay in new[] { false, true })
            {
                data.Add(length, decay, false);
                data.Add(length, decay, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LengthsAndDecay))]
    public void Sgd_FirstThreeSteps_MatchFormula(int length, bool decay)
    {
        float wd = decay ? 0.1f : 0f;
        CheckThreeSteps(new Sgd(weightDecay: wd), length, (p, g, s, t, lr) =>
        {
            for (int i = 0; i < p.Length; i++)
            {
                double d = g[i] + (double)wd * p[i];
                p[i] -= lr * d;
            }
        });
    }

    [Theory]
    [MemberData(nameof(LengthsDecayNesterov))]
    public void Momentum_FirstThreeSteps_MatchFormula(int length, bool decay, bool nesterov)
    {
        float wd = decay ? 0.1f : 0f;
        double mu = 0.9f;
        CheckThreeSteps(new Momentum(weightDecay: wd, nesterov: nesterov), length, (p, g, s, t, lr) =>
        {
            double[] buf = s[0];
            for (int i = 0; i < p.Length; i++)
            {
                double d = g[i] + (double)wd * p[i];
                buf[i] = t == 1 ? d : mu * buf[i] + d;
                double direction = nesterov ? d + mu * buf[i] : buf[i];
                p[i] -= lr * direction;
            }
        });
    }

    [Theory]
    [InlineData(7)]
    [InlineData(57)]
    public void Momentum_WithDampening_FirstStepTakesWholeGradient(int length)
    {
        double mu = 0.8f, dampening = 0.3f;
        CheckThreeSteps(new Momentum(momentum: 0.8f, dampening: 0.3f), length, (p, g, s, t, lr) =>
        {
            double[] buf = s[0];
            for (int i = 0; i < p.Length; i++)
            {
                buf[i] = t == 1 ? g[i] : mu * buf[i] + (1 - dampening) * g[i];
                p[i] -= lr * buf[i];
            }
        });
    }

    [Theory]
    [MemberData(nameof(LengthsAndDecay))]
    public void Adagrad_FirstThreeSteps_MatchFormula(int length, bool decay)
    {
        float wd = decay ? 0.1f : 0f;
        double eps = 1e-10f;
        CheckThreeSteps(new Adagrad(weightDecay: wd), length, (p, g, s, t, lr) =>
        {
            double[] sum = s[0];
            for (int i = 0; i < p.Length; i++)
            {
                double d = g[i] + (double)wd * p[i];
                sum[i] += d * d;
                p[i] -= lr * d / (Math.Sqrt(sum[i]) + eps);
            }
        });
    }

    [Theory]
    [InlineData(7)]
    [InlineData(57)]
    public void Adagrad_LearningRateDecayAndInitialAccumulator_MatchFormula(int length)
    {
        double decayRate = 0.5f, eps = 1e-10f;
        CheckThreeSteps(new Adagrad(learningRateDecay: 0.5f, initialAccumulator: 0.25f), length, (p, g, s, t, lr) =>
        {
            double clr = lr / (1 + (t - 1) * decayRate);
            double[] sum = s[0];
            for (int i = 0; i < p.Length; i++)
            {
                sum[i] += g[i] * g[i];
                p[i] -= clr * g[i] / (Math.Sqrt(sum[i]) + eps);
            }
        }, initialState: 0.25);
    }

    [Theory]
    [MemberData(nameof(LengthsAndDecay))]
    public void Adam_FirstThreeSteps_MatchFormula(int length, bool decay)
    {
        float wd = decay ? 0.1f : 0f;
        CheckThreeSteps(new Adam(weightDecay: wd), length, (p, g, s, t, lr) =>
            ReferenceAdam(p, g, s, t, lr, 0.9f, 0.999f, 1e-8f, l2: wd, decoupled: 0));
    }

    [Theory]
    [MemberData(nameof(LengthsAndDecay))]
    public void AdamW_FirstThreeSteps_MatchFormula(int length, bool strongDecay)
    {
        // The default decay 0.01, and 0.1 so that the decoupled term is well above the tolerance.
        float wd = strongDecay ? 0.1f : 0.01f;
        var optimizer = strongDecay ? new AdamW(weightDecay: wd) : new AdamW();
        CheckThreeSteps(optimizer, length, (p, g, s, t, lr) =>
            ReferenceAdam(p, g, s, t, lr, 0.9f, 0.999f, 1e-8f, l2: 0, decoupled: wd));
    }

    [Fact]
    public void Adam_CustomBetasAndEpsilon_MatchFormula() =>
        CheckThreeSteps(new Adam(beta1: 0.5f, beta2: 0.75f, epsilon: 1e-3f), 33, (p, g, s, t, lr) =>
            ReferenceAdam(p, g, s, t, lr, 0.5f, 0.75f, 1e-3f, l2: 0, decoupled: 0));

    [Fact]
    public void AdamW_DecayIsDecoupled_NotSeenByMoments()
    {
        // With a zero gradient, Adam's moments stay zero and only the decay moves the parameters:
        // p = p * (1 - lr * wd) exactly as the formula says; Adam's L2 instead feeds wd * p into the moments.
        const int n = 19;
        float[] p = TestData.Uniform(n, 5);
        float[] original = (float[])p.Clone();
        float[] state = new float[2 * n];
        new AdamW(weightDecay: 0.5f).Step(p, new float[n], state, 0.1f, 1);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(original[i] * (1 - 0.1 * 0.5), p[i], 1e-6);
        }

        Assert.All(state, value => Assert.Equal(0f, value));
    }

    [Fact]
    public void Defaults_AreTorchDefaults()
    {
        var adam = new Adam();
        Assert.Equal((1e-3f, 0.9f, 0.999f, 1e-8f, 0f), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon, adam.WeightDecay));
        var adamW = new AdamW();
        Assert.Equal((1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f), (adamW.LearningRate, adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.WeightDecay));
        var adagrad = new Adagrad();
        Assert.Equal((1e-2f, 0f, 0f, 0f, 1e-10f), (adagrad.LearningRate, adagrad.LearningRateDecay, adagrad.WeightDecay, adagrad.InitialAccumulator, adagrad.Epsilon));
        var momentum = new Momentum();
        Assert.Equal((0.9f, 0f, 0f, false), (momentum.MomentumFactor, momentum.Dampening, momentum.WeightDecay, momentum.Nesterov));
        Assert.Equal((0, 1, 1, 2, 2), (new Sgd().StateSlots, momentum.StateSlots, adagrad.StateSlots, adam.StateSlots, adamW.StateSlots));
    }

    [Fact]
    public void Step_WithoutRate_UsesBaseLearningRate()
    {
        float[] p = [1f, 2f];
        new Sgd(learningRate: 0.5f).Step(p, [2f, -4f], Span<float>.Empty, step: 1);
        Assert.Equal([0f, 4f], p);
    }

    public static TheoryData<string> AllOptimizers() => ["sgd", "sgd-wd", "momentum", "nesterov-wd", "adagrad-wd", "adam", "adam-wd", "adamw"];

    [Theory]
    [MemberData(nameof(AllOptimizers))]
    public void Vectorized_EqualsScalarPath_Bitwise(string name)
    {
        // Both paths do the same IEEE operations in the same order (FMA in both, correctly rounded
        // sqrt and division), so the results must be identical, not merely close.
        const int n = 1003;
        var optimizer = Create(name);
        float[] p1 = TestData.Uniform(n, 1), p2 = (float[])p1.Clone();
        float[] s1 = new float[optimizer.StateSlots * n], s2 = new float[s1.Length];
        for (int t = 1; t <= 3; t++)
        {
            float[] g = TestData.Uniform(n, 10 + t);
            optimizer.Step(p1, g, s1, Rates[t - 1], t);
            optimizer.StepScalar(p2, g, s2, Rates[t - 1], t);
        }

        Assert.Equal(p2, p1);
        Assert.Equal(s2, s1);
    }

    [Fact]
    public void Step_WrongGradientLength_ThrowsNamingGradients()
    {
        var e = Assert.Throws<ArgumentException>(() => new Adam().Step(new float[8], new float[7], new float[16], 1e-3f, 1));
        Assert.Equal("gradients", e.ParamName);
        Assert.Contains("gradients", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_WrongStateLength_ThrowsNamingState()
    {
        var e = Assert.Throws<ArgumentException>(() => new AdamW().Step(new float[8], new float[8], new float[8], 1e-3f, 1));
        Assert.Equal("state", e.ParamName);
        Assert.Contains("expected 16", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_BadStepOrRate_ThrowsNamingThem()
    {
        var adam = new Adam();
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => adam.Step(new float[2], new float[2], new float[4], 1e-3f, 0)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => adam.Step(new float[2], new float[2], new float[4], -1f, 1)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => adam.Step(new float[2], new float[2], new float[4], float.NaN, 1)).ParamName);
    }

    [Fact]
    public void Step_GradientsAliasParameters_Throws()
    {
        float[] buffer = new float[8];
        var e = Assert.Throws<ArgumentException>(() => new Sgd().Step(buffer, buffer, Span<float>.Empty, 0.1f, 1));
        Assert.Equal("parameters", e.ParamName);
    }

    [Fact]
    public void Constructors_BadHyperparameters_ThrowNamingThem()
    {
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta1: 1f)).ParamName);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(beta2: -0.1f)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new Adagrad(epsilon: float.NaN)).ParamName);
        Assert.Equal("weightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(weightDecay: -1f)).ParamName);
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(learningRate: float.PositiveInfinity)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new Momentum(momentum: 1.5f)).ParamName);
        var nesterov = Assert.Throws<ArgumentException>(() => new Momentum(dampening: 0.1f, nesterov: true));
        Assert.Equal("nesterov", nesterov.ParamName);
        Assert.Contains("dampening", nesterov.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InitializeState_WrongLength_ThrowsNamingState() =>
        Assert.Equal("state", Assert.Throws<ArgumentException>(() => new Adagrad().InitializeState(new float[5], 4)).ParamName);

    internal static Optimizer Create(string name) => name switch
    {
        "sgd" => new Sgd(),
        "sgd-wd" => new Sgd(weightDecay: 0.1f),
        "momentum" => new Momentum(dampening: 0.2f),
        "nesterov-wd" => new Momentum(weightDecay: 0.1f, nesterov: true),
        "adagrad-wd" => new Adagrad(learningRateDecay: 0.1f, weightDecay: 0.1f, initialAccumulator: 0.1f),
        "adam" => new Adam(),
        "adam-wd" => new Adam(weightDecay: 0.1f),
        "adamw" => new AdamW(),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    /// <summary>torch.optim.Adam / AdamW, textbook form: m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; bias-corrected step.</summary>
    private static void ReferenceAdam(double[] p, double[] g, double[][] s, int t, double lr,
        double beta1, double beta2, double eps, double l2, double decoupled)
    {
        double[] m = s[0], v = s[1];
        double bc1 = 1 - Math.Pow(beta1, t), bc2 = 1 - Math.Pow(beta2, t);
        for (int i = 0; i < p.Length; i++)
        {
            p[i] *= 1 - lr * decoupled;
            double d = g[i] + l2 * p[i];
            m[i] = beta1 * m[i] + (1 - beta1) * d;
            v[i] = beta2 * v[i] + (1 - beta2) * d * d;
            p[i] -= lr / bc1 * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(bc2) + eps);
        }
    }

    private static void CheckThreeSteps(Optimizer optimizer, int length, ReferenceStep reference, double initialState = 0)
    {
        float[] p = TestData.Uniform(length, 11);
        double[] expected = TestData.ToDouble(p);
        float[] state = new float[optimizer.StateSlots * length];
        optimizer.InitializeState(state, length);
        var expectedState = new double[optimizer.StateSlots][];
        for (int k = 0; k < expectedState.Length; k++)
        {
            expectedState[k] = new double[length];
            Array.Fill(expectedState[k], initialState);
        }

        for (int t = 1; t <= 3; t++)
        {
            float[] g = TestData.Uniform(length, 100 + t);
            optimizer.Step(p, g, state, Rates[t - 1], t);
            reference(expected, TestData.ToDouble(g), expectedState, t, Rates[t - 1]);
            Compare.Close(TestData.ToSingle(expected), p, Rtol, Atol, $"parameters after step {t}");
            for (int k = 0; k < expectedState.Length; k++)
            {
                Compare.Close(TestData.ToSingle(expectedState[k]), state.AsSpan(k * length, length), Rtol, Atol, $"state slot {k} after step {t}");
            }
        }
    }
}

public sealed class OptimizerAllocationTests
{
    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("nesterov-wd")]
    [InlineData("adagrad-wd")]
    [InlineData("sgd-wd")]
    public void Step_On100kFloats_AllocatesNothing(string name)
    {
        const int n = 100_000;
        var optimizer = OptimizerTests.Create(name);
        float[] p = TestData.Uniform(n, 1), g = TestData.Uniform(n, 2);
        float[] state = new float[optimizer.StateSlots * n];
        long step = 0;
        Assert.Equal(0, Allocations.Measure(() => optimizer.Step(p, g, state, 1e-4f, ++step)));
    }
}
