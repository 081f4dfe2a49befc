using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Optim;

/// <summary>
/// Plain stochastic gradient descent, as <c>torch.optim.SGD</c> with <c>momentum=0</c>:
/// <code>
/// d = g + weightDecay * p      (L2 penalty folded into the gradient; skipped when weightDecay = 0)
/// p = p - lr * d
/// </code>
/// No state. For momentum and Nesterov see <see cref="Momentum"/>.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates the optimizer (PyTorch defaults: <c>lr=1e-3, weight_decay=0</c>).</summary>
    /// <param name="learningRate">Base learning rate.</param>
    /// <param name="weightDecay">L2 coefficient added to the gradient as <c>weightDecay * p</c>.</param>
    public Sgd(float learningRate = 1e-3f, float weightDecay = 0f)
        : base(learningRate)
    {
        Hyper.NonNegative(weightDecay);
        WeightDecay = weightDecay;
    }

    /// <summary>The L2 coefficient.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public override int StateSlots => 0;

    /// <inheritdoc/>
    internal override Optimizer WithWeightDecay(float weightDecay) => new Sgd(LearningRate, weightDecay);

    /// <inheritdoc/>
    protected override void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state,
        float learningRate, long step, bool vectorized)
    {
        var update = new Update(parameters, gradients, learningRate, WeightDecay);
        ElementLoop.Run(ref update, parameters.Length, vectorized);
    }

    private readonly ref struct Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, float weightDecay)
        : IElementUpdate
    {
        private readonly ref float _p = ref MemoryMarshal.GetReference(parameters);
        private readonly ref float _g = ref MemoryMarshal.GetReference(gradients);
        private readonly float _negLr = -learningRate;
        private readonly float _wd = weightDecay;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update512(nuint i)
        {
            var p = Vector512.LoadUnsafe(ref _p, i);
            var d = Vector512.LoadUnsafe(ref _g, i);
            if (_wd != 0f)
            {
                d = Vector512.FusedMultiplyAdd(Vector512.Create(_wd), p, d);
            }

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

            Vector256.FusedMultiplyAdd(Vector256.Create(_negLr), d, p).StoreUnsafe(ref _p, i);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update1(nuint i)
        {
            ref float p = ref Unsafe.Add(ref _p, i);
            float d = Unsafe.Add(ref _g, i);
            if (_wd != 0f)
            {
                d = MathF.FusedMultiplyAdd(_wd, p, d);
            }

            p = MathF.FusedMultiplyAdd(_negLr, d, p);
        }
    }
}
