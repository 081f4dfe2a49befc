using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Optim;

/// <summary>
/// Adagrad, as <c>torch.optim.Adagrad</c>. One state slot, the running sum of squared gradients:
/// <code>
/// clr = lr / (1 + (step - 1) * lrDecay)
/// d   = g + weightDecay * p                  (skipped when weightDecay = 0)
/// sum = sum + d * d
/// p   = p - clr * d / (sqrt(sum) + eps)
/// </code>
/// The sum starts at <see cref="InitialAccumulator"/>: call
/// <see cref="Optimizer.InitializeState(Span{float}, int)"/> once before the first step.
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Creates the optimizer (defaults: <c>lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10</c>).</summary>
    /// <param name="learningRate">Base learning rate.</param>
    /// <param name="learningRateDecay">Decay of the rate with the step number.</param>
    /// <param name="weightDecay">L2 coefficient added to the gradient as <c>weightDecay * p</c>.</param>
    /// <param name="initialAccumulator">The value the squared-gradient sum starts from.</param>
    /// <param name="epsilon">Added to the square root for numerical stability.</param>
    public Adagrad(float learningRate = 1e-2f, float learningRateDecay = 0f, float weightDecay = 0f,
        float initialAccumulator = 0f, float epsilon = 1e-10f)
        : base(learningRate)
    {
        Hyper.NonNegative(learningRateDecay);
        Hyper.NonNegative(weightDecay);
        Hyper.NonNegative(initialAccumulator);
        Hyper.NonNegative(epsilon);
        LearningRateDecay = learningRateDecay;
        WeightDecay = weightDecay;
        InitialAccumulator = initialAccumulator;
        Epsilon = epsilon;
    }

    /// <summary>Decay of the rate with the step number.</summary>
    public float LearningRateDecay { get; }

    /// <summary>The L2 coefficient.</summary>
    public float WeightDecay { get; }

    /// <summary>The starting value of the squared-gradient sum.</summary>
    public float InitialAccumulator { get; }

    /// <summary>Added to the square root of the sum.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    internal override Optimizer WithWeightDecay(float weightDecay) => new Adagrad(LearningRate, LearningRateDecay, weightDecay, InitialAccumulator, Epsilon);

    /// <inheritdoc/>
    public override int StateSlots => 1;

    /// <inheritdoc/>
    protected override void InitializeStateCore(Span<float> state) => state.Fill(InitialAccumulator);

    /// <inheritdoc/>
    protected override void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state,
        float learningRate, long step, bool vectorized)
    {
        float clr = (float)(learningRate / (1.0 + (step - 1) * (double)LearningRateDecay));
        var update = new Update(parameters, gradients, state, clr, WeightDecay, Epsilon);
        ElementLoop.Run(ref update, parameters.Length, vectorized);
    }

    private readonly ref struct Update(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> sum,
        float learningRate, float weightDecay, float epsilon) : IElementUpdate
    {
        private readonly ref float _p = ref MemoryMarshal.GetReference(parameters);
        private readonly ref float _g = ref MemoryMarshal.GetReference(gradients);
        private readonly ref float _s = ref MemoryMarshal.GetReference(sum);
        private readonly float _negLr = -learningRate;
        private readonly float _wd = weightDecay;
        private readonly float _eps = epsilon;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update512(nuint i)
        {
            var p = Vector512.LoadUnsafe(ref _p, i);
            var d = Vector512.LoadUnsafe(ref _g, i);
            if (_wd != 0f)
            {
                d = Vector512.FusedMultiplyAdd(Vector512.Create(_wd), p, d);
            }

            var s = Vector512.FusedMultiplyAdd(d, d, Vector512.LoadUnsafe(ref _s, i));
            s.StoreUnsafe(ref _s, i);
            var ratio = d / (Vector512.Sqrt(s) + Vector512.Create(_eps));
            Vector512.FusedMultiplyAdd(Vector512.Create(_negLr), ratio, p).StoreUnsafe(ref _p, i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update256(nuint i)
        {
            var p = Vector256.LoadUnsafe(ref _p, i);
            var d = Vector256.LoadUnsafe(ref _g, i);
            if (_wd != 0f)
            {
                d = Vector256.FusedMultiplyAdd(Vector256.Create(_wd), p, d);
            }

            var s = Vector256.FusedMultiplyAdd(d, d, Vector256.LoadUnsafe(ref _s, i));
            s.StoreUnsafe(ref _s, i);
            var ratio = d / (Vector256.Sqrt(s) + Vector256.Create(_eps));
            Vector256.FusedMultiplyAdd(Vector256.Create(_negLr), ratio, p).StoreUnsafe(ref _p, i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update1(nuint i)
        {
            ref float p = ref Unsafe.Add(ref _p, i);
            ref float s = ref Unsafe.Add(ref _s, i);
            float d = Unsafe.Add(ref _g, i);
            if (_wd != 0f)
            {
                d = MathF.FusedMultiplyAdd(_wd, p, d);
            }

            s = MathF.FusedMultiplyAdd(d, d, s);
            float ratio = d / (MathF.Sqrt(s) + _eps);
            p = MathF.FusedMultiplyAdd(_negLr, ratio, p);
        }
    }
}
