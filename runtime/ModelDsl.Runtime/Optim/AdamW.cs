using System;

namespace ModelDsl.Optim;

/// <summary>
/// AdamW, as <c>torch.optim.AdamW</c> (<c>amsgrad=False</c>): Adam with decoupled weight decay,
/// applied to the parameters before the Adam update and not seen by the moments:
/// <code>
/// p   = p * (1 - lr * weightDecay)
/// m   = m + (1 - β1) * (g - m)
/// v   = β2 * v + (1 - β2) * g * g
/// p   = p - (lr / (1 - β1^t)) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)
/// </code>
/// State as <see cref="Adam"/>: <c>m</c> in slot 0, <c>v</c> in slot 1.
/// </summary>
public sealed class AdamW : Optimizer
{
    /// <summary>Creates the optimizer (defaults: <c>lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2</c>).</summary>
    /// <param name="learningRate">Base learning rate.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator.</param>
    /// <param name="weightDecay">Decoupled decay: each step multiplies the parameters by <c>1 - lr * weightDecay</c>.</param>
    public AdamW(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 1e-2f)
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

    /// <summary>The decoupled weight-decay coefficient.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    internal override Optimizer WithWeightDecay(float weightDecay) => new AdamW(LearningRate, Beta1, Beta2, Epsilon, weightDecay);

    /// <inheritdoc/>
    public override int StateSlots => 2;

    /// <inheritdoc/>
    protected override void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state,
        float learningRate, long step, bool vectorized) =>
        AdamKernel.Step(parameters, gradients, state, parameters.Length, learningRate, step, Beta1, Beta2, Epsilon,
            l2: 0f, decay: (float)(1.0 - (double)learningRate * WeightDecay), vectorized);

    /// <inheritdoc/>
    private protected override bool UpdatesSlotChunks => true;

    /// <inheritdoc/>
    private protected override void StepSlotsCore(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, int slotStride,
        float learningRate, long step) =>
        AdamKernel.Step(parameters, gradients, state, slotStride, learningRate, step, Beta1, Beta2, Epsilon,
            l2: 0f, decay: (float)(1.0 - (double)learningRate * WeightDecay), vectorized: true);
}
