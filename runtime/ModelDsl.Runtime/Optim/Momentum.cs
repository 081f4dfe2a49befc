using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Optim;

/// <summary>
/// SGD with momentum, as <c>torch.optim.SGD</c> with <c>momentum &gt; 0</c>. One state slot, the
/// momentum buffer <c>buf</c>:
/// <code>
/// d   = g + weightDecay * p                       (skipped when weightDecay = 0)
/// buf = d                                         at step 1 (PyTorch clones the first gradient)
/// buf = momentum * buf + (1 - dampening) * d      afterwards
/// d   = nesterov ? d + momentum * buf : buf
/// p   = p - lr * d
/// </code>
/// </summary>
public sealed class Momentum : Optimizer
{
    /// <summary>Creates the optimizer (defaults: <c>lr=1e-3, momentum=0.9, dampening=0, weight_decay=0, nesterov=False</c>).</summary>
    /// <param name="learningRate">Base learning rate.</param>
    /// <param name="momentum">Momentum factor μ, in [0, 1).</param>
    /// <param name="dampening">Dampening applied to the gradient after the first step, in [0, 1).</param>
    /// <param name="weightDecay">L2 coefficient added to the gradient as <c>weightDecay * p</c>.</param>
    /// <param name="nesterov">Use Nesterov momentum (requires momentum &gt; 0 and dampening = 0, as in PyTorch).</param>
    public Momentum(float learningRate = 1e-3f, float momentum = 0.9f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(learningRate)
    {
        Hyper.UnitInterval(momentum);
        Hyper.UnitInterval(dampening);
        Hyper.NonNegative(weightDecay);
        if (nesterov && (momentum <= 0f || dampening != 0f))
        {
            throw new ArgumentException(
                FormattableString.Invariant($"{nameof(nesterov)} momentum requires {nameof(momentum)} > 0 and {nameof(dampening)} = 0; got momentum {momentum}, dampening {dampening}."),
                nameof(nesterov));
        }

        MomentumFactor = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
    }

    /// <summary>The momentum factor μ.</summary>
    public float MomentumFactor { get; }

    /// <summary>The dampening.</summary>
    public float Dampening { get; }

    /// <summary>The L2 coefficient.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether the update uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    internal override Optimizer WithWeightDecay(float weightDecay) => new Momentum(LearningRate, MomentumFactor, Dampening, weightDecay, Nesterov);

    /// <inheritdoc/>
    public override int StateSlots => 1;

    /// <inheritdoc/>
    protected override void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state,
        float learningRate, long step, bool vectorized)
    {
        // At step 1 the buffer is the gradient itself: buf = 0 * buf + 1 * d.
        float keep = step == 1 ? 0f : MomentumFactor;
        float take = step == 1 ? 1f : 1f - Dampening;
        var update = new Update(parameters, gradients, state, learningRate, WeightDecay, keep, take, MomentumFactor, Nesterov);
        ElementLoop.Run(ref update, parameters.Length, vectorized);
    }

    private readonly ref struct Update(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> buffer,
        float learningRate, float weightDecay, float keep, float take, float momentum, bool nesterov) : IElementUpdate
    {
        private readonly ref float _p = ref MemoryMarshal.GetReference(parameters);
        private readonly ref float _g = ref MemoryMarshal.GetReference(gradients);
        private readonly ref float _b = ref MemoryMarshal.GetReference(buffer);
        private readonly float _negLr = -learningRate;
        private readonly float _wd = weightDecay;
        private readonly float _keep = keep;
        private readonly float _take = take;
        private readonly float _mu = momentum;
        private readonly bool _nesterov = nesterov;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update512(nuint i)
        {
            var p = Vector512.LoadUnsafe(ref _p, i);
            var d = Vector512.LoadUnsafe(ref _g, i);
            if (_wd != 0f)
            {
                d = Vector512.FusedMultiplyAdd(Vector512.Create(_wd), p, d);
            }

            var b = Vector512.FusedMultiplyAdd(Vector512.Create(_keep), Vector512.LoadUnsafe(ref _b, i), Vector512.Create(_take) * d);
            b.StoreUnsafe(ref _b, i);
            d = _nesterov ? Vector512.FusedMultiplyAdd(Vector512.Create(_mu), b, d) : b;
            Vector512.FusedMultiplyAdd(Vector512.Create(_negLr), d, p).StoreUnsafe(ref _p, i);
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

            var b = Vector256.FusedMultiplyAdd(Vector256.Create(_keep), Vector256.LoadUnsafe(ref _b, i), Vector256.Create(_take) * d);
            b.StoreUnsafe(ref _b, i);
            d = _nesterov ? Vector256.FusedMultiplyAdd(Vector256.Create(_mu), b, d) : b;
            Vector256.FusedMultiplyAdd(Vector256.Create(_negLr), d, p).StoreUnsafe(ref _p, i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update1(nuint i)
        {
            ref float p = ref Unsafe.Add(ref _p, i);
            ref float b = ref Unsafe.Add(ref _b, i);
            float d = Unsafe.Add(ref _g, i);
            if (_wd != 0f)
            {
                d = MathF.FusedMultiplyAdd(_wd, p, d);
            }

            b = MathF.FusedMultiplyAdd(_keep, b, _take * d);
            d = _nesterov ? MathF.FusedMultiplyAdd(_mu, b, d) : b;
            p = MathF.FusedMultiplyAdd(_negLr, d, p);
        }
    }
}
