using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Optim;

/// <summary>
/// Adam, as <c>torch.optim.Adam</c> (<c>amsgrad=False</c>). Two state slots: the first moment
/// <c>m</c> (slot 0) and the second moment <c>v</c> (slot 1). At step <c>t</c> (1-based):
/// <code>
/// d   = g + weightDecay * p                  (L2 penalty in the gradient; skipped when weightDecay = 0)
/// m   = m + (1 - β1) * (d - m)                (= β1 m + (1 - β1) d, PyTorch's lerp)
/// v   = β2 * v + (1 - β2) * d * d
/// bc1 = 1 - β1^t,   bc2 = 1 - β2^t
/// p   = p - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
/// </code>
/// The bias corrections are computed in double once per step; <c>sqrt(v) / sqrt(bc2)</c> is
/// computed as <c>sqrt(v) * (1 / sqrt(bc2))</c>, which differs from PyTorch by at most an ulp.
/// For decoupled weight decay see <see cref="AdamW"/>.
/// </summary>
public sealed class Adam : Optimizer
{
    /// <summary>Creates the optimizer (defaults: <c>lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0</c>).</summary>
    /// <param name="learningRate">Base learning rate.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator.</param>
    /// <param name="weightDecay">L2 coefficient added to the gradient as <c>weightDecay * p</c>.</param>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
        : base(learningRate)
    {
        Hyper.UnitInterval(beta1);
        Hyper.UnitInterval(beta2);
        Hyper.NonNegative(epsilon);
        Hyper.NonNegative(weightDecay);
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the denominator.</summary>
    public float Epsilon { get; }

    /// <summary>The L2 coefficient.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    internal override Optimizer WithWeightDecay(float weightDecay) => new Adam(LearningRate, Beta1, Beta2, Epsilon, weightDecay);

    /// <inheritdoc/>
    public override int StateSlots => 2;

    /// <inheritdoc/>
    protected override void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state,
        float learningRate, long step, bool vectorized) =>
        AdamKernel.Step(parameters, gradients, state, parameters.Length, learningRate, step, Beta1, Beta2, Epsilon,
            l2: WeightDecay, decay: 1f, vectorized);

    /// <inheritdoc/>
    private protected override bool UpdatesSlotChunks => true;

    /// <inheritdoc/>
    private protected override void StepSlotsCore(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, int slotStride,
        float learningRate, long step) =>
        AdamKernel.Step(parameters, gradients, state, slotStride, learningRate, step, Beta1, Beta2, Epsilon,
            l2: WeightDecay, decay: 1f, vectorized: true);
}

/// <summary>The element-wise Adam update shared by <see cref="Adam"/> (L2) and <see cref="AdamW"/> (decoupled decay).</summary>
internal static class AdamKernel
{
    /// <summary>
    /// One Adam step. <paramref name="l2"/> is folded into the gradient; <paramref name="decay"/>
    /// multiplies the parameters first (1 = none). State: <c>m[i]</c> at <c>state[i]</c>, <c>v[i]</c> at <c>state[slotStride + i]</c>.
    /// </summary>
    public static void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, int slotStride,
        float learningRate, long step, float beta1, float beta2, float epsilon, float l2, float decay, bool vectorized)
    {
        int n = parameters.Length;
        double bc1 = 1.0 - Math.Pow(beta1, step);
        double bc2 = 1.0 - Math.Pow(beta2, step);
        var update = new Update(parameters, gradients, state[..n], state.Slice(slotStride, n))
        {
            NegStepSize = (float)(-learningRate / bc1),
            InvBc2Sqrt = (float)(1.0 / Math.Sqrt(bc2)),
            OneMinusBeta1 = 1f - beta1,
            Beta2 = beta2,
            OneMinusBeta2 = 1f - beta2,
            Epsilon = epsilon,
            L2 = l2,
            Decay = decay,
        };
        ElementLoop.Run(ref update, n, vectorized);
    }

    private readonly ref struct Update(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v)
        : IElementUpdate
    {
        private readonly ref float _p = ref MemoryMarshal.GetReference(parameters);
        private readonly ref float _g = ref MemoryMarshal.GetReference(gradients);
        private readonly ref float _m = ref MemoryMarshal.GetReference(m);
        private readonly ref float _v = ref MemoryMarshal.GetReference(v);

        public float NegStepSize { get; init; }

        public float InvBc2Sqrt { get; init; }

        public float OneMinusBeta1 { get; init; }

        public float Beta2 { get; init; }

        public float OneMinusBeta2 { get; init; }

        public float Epsilon { get; init; }

        public float L2 { get; init; }

        public float Decay { get; init; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update512(nuint i)
        {
            var p = Vector512.LoadUnsafe(ref _p, i);
            var d = Vector512.LoadUnsafe(ref _g, i);
            if (Decay != 1f)
            {
                p *= Vector512.Create(Decay);
            }

            if (L2 != 0f)
            {
                d = Vector512.FusedMultiplyAdd(Vector512.Create(L2), p, d);
            }

            var m = Vector512.LoadUnsafe(ref _m, i);
            m = Vector512.FusedMultiplyAdd(Vector512.Create(OneMinusBeta1), d - m, m);
            var v = Vector512.FusedMultiplyAdd(Vector512.Create(OneMinusBeta2), d * d, Vector512.LoadUnsafe(ref _v, i) * Vector512.Create(Beta2));
            m.StoreUnsafe(ref _m, i);
            v.StoreUnsafe(ref _v, i);
            var denominator = Vector512.FusedMultiplyAdd(Vector512.Sqrt(v), Vector512.Create(InvBc2Sqrt), Vector512.Create(Epsilon));
            Vector512.FusedMultiplyAdd(Vector512.Create(NegStepSize), m / denominator, p).StoreUnsafe(ref _p, i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update256(nuint i)
        {
            var p = Vector256.LoadUnsafe(ref _p, i);
            var d = Vector256.LoadUnsafe(ref _g, i);
            if (Decay != 1f)
            {
                p *= Vector256.Create(Decay);
            }

            if (L2 != 0f)
            {
                d = Vector256.FusedMultiplyAdd(Vector256.Create(L2), p, d);
            }

            var m = Vector256.LoadUnsafe(ref _m, i);
            m = Vector256.FusedMultiplyAdd(Vector256.Create(OneMinusBeta1), d - m, m);
            var v = Vector256.FusedMultiplyAdd(Vector256.Create(OneMinusBeta2), d * d, Vector256.LoadUnsafe(ref _v, i) * Vector256.Create(Beta2));
            m.StoreUnsafe(ref _m, i);
            v.StoreUnsafe(ref _v, i);
            var denominator = Vector256.FusedMultiplyAdd(Vector256.Sqrt(v), Vector256.Create(InvBc2Sqrt), Vector256.Create(Epsilon));
            Vector256.FusedMultiplyAdd(Vector256.Create(NegStepSize), m / denominator, p).StoreUnsafe(ref _p, i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update1(nuint i)
        {
            ref float p = ref Unsafe.Add(ref _p, i);
            ref float m = ref Unsafe.Add(ref _m, i);
            ref float v = ref Unsafe.Add(ref _v, i);
            float d = Unsafe.Add(ref _g, i);
            float pv = p;
            if (Decay != 1f)
            {
                pv *= Decay;
            }

            if (L2 != 0f)
            {
                d = MathF.FusedMultiplyAdd(L2, pv, d);
            }

            m = MathF.FusedMultiplyAdd(OneMinusBeta1, d - m, m);
            v = MathF.FusedMultiplyAdd(OneMinusBeta2, d * d, v * Beta2);
            float denominator = MathF.FusedMultiplyAdd(MathF.Sqrt(v), InvBc2Sqrt, Epsilon);
            p = MathF.FusedMultiplyAdd(NegStepSize, m / denominator, pv);
        }
    }
}
