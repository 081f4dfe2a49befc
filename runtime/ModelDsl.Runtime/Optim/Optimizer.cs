using System;
using System.Runtime.CompilerServices;

namespace ModelDsl.Optim;

/// <summary>
/// Updates one flat block of parameters from the gradient block at the same offsets. State
/// (moments, accumulators) lives in <see cref="StateSlots"/> further blocks of the same length,
/// laid out one after another in the <c>state</c> span: slot <c>k</c> of parameter <c>i</c> is
/// <c>state[k * length + i]</c>, so every state block shares the parameters' layout.
/// </summary>
/// <remarks>
/// Every optimizer follows the formulas of its <c>torch.optim</c> namesake with PyTorch's defaults
/// (single-tensor, non-fused, <c>maximize=False</c>). A step allocates nothing; the element-wise
/// update is vectorized with <see cref="System.Runtime.Intrinsics.Vector512{T}"/> or
/// <see cref="System.Runtime.Intrinsics.Vector256{T}"/> and FMA, and its scalar tail performs the same
/// operations in the same order, so an element's result does not depend on where it falls.
/// </remarks>
public abstract class Optimizer
{
    /// <summary>Creates an optimizer whose base learning rate is <paramref name="learningRate"/>.</summary>
    protected Optimizer(float learningRate)
    {
        Hyper.NonNegative(learningRate);
        LearningRate = learningRate;
    }

    /// <summary>
    /// The base learning rate: the one <see cref="Step(Span{float}, ReadOnlySpan{float}, Span{float}, long)"/>
    /// uses and the peak a schedule usually scales.
    /// </summary>
    public float LearningRate { get; }

    /// <summary>How many parameter-sized state blocks the optimizer needs (0 for plain SGD).</summary>
    public abstract int StateSlots { get; }

    /// <summary>Floats of state for <paramref name="parameterCount"/> parameters: <c>StateSlots * parameterCount</c>.</summary>
    public long StateLength(int parameterCount)
    {
        Guard.NonNegative(parameterCount);
        return (long)StateSlots * parameterCount;
    }

    /// <summary>
    /// Puts the state in its initial value before the first step (zeros, except for
    /// <see cref="Adagrad"/> with an initial accumulator value). <paramref name="state"/> must hold a
    /// whole number of slots for <paramref name="parameterCount"/> parameters.
    /// </summary>
    public void InitializeState(Span<float> state, int parameterCount)
    {
        Guard.Length(state, StateLength(parameterCount));
        InitializeStateCore(state);
    }

    /// <summary>One update with the base <see cref="LearningRate"/>; see <see cref="Step(Span{float}, ReadOnlySpan{float}, Span{float}, float, long)"/>.</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, long step) =>
        Step(parameters, gradients, state, LearningRate, step);

    /// <summary>
    /// One update of <paramref name="parameters"/> in place from <paramref name="gradients"/>.
    /// </summary>
    /// <param name="parameters">The parameter block, updated in place.</param>
    /// <param name="gradients">The gradient block, same length; not modified.</param>
    /// <param name="state"><see cref="StateSlots"/> blocks of the parameters' length, one after another.</param>
    /// <param name="learningRate">The rate for this step (from a schedule, or <see cref="LearningRate"/>).</param>
    /// <param name="step">The 1-based number of this update (1 on the first call), used by bias corrections.</param>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, float learningRate, long step)
    {
        using var profile = ModelDsl.Kernels.KernelProfile.Time(ModelDsl.Kernels.KernelFamily.Optimizer);
        Validate(parameters, gradients, state, learningRate, step);
        StepCore(parameters, gradients, state, learningRate, step, vectorized: true);
    }

    /// <summary>The same update as <see cref="Step(Span{float}, ReadOnlySpan{float}, Span{float}, float, long)"/> with the scalar loop only (for tests).</summary>
    internal void StepScalar(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, float learningRate, long step)
    {
        Validate(parameters, gradients, state, learningRate, step);
        StepCore(parameters, gradients, state, learningRate, step, vectorized: false);
    }

    /// <summary>Writes the initial state; the length is already checked. The default clears it.</summary>
    protected virtual void InitializeStateCore(Span<float> state) => state.Clear();

    /// <summary>
    /// The update itself; lengths, the learning rate and the step number are already checked.
    /// With <paramref name="vectorized"/> false every element takes the scalar path.
    /// </summary>
    protected abstract void StepCore(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state,
        float learningRate, long step, bool vectorized);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Validate(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, float learningRate, long step)
    {
        Guard.Length(gradients, parameters.Length);
        Guard.Length(state, (long)StateSlots * parameters.Length);
        Guard.NoOverlap<float>(parameters, gradients);
        if (!(learningRate >= 0) || !float.IsFinite(learningRate))
        {
            Hyper.Throw(nameof(learningRate), learningRate, "must be finite and zero or greater");
        }

        if (step < 1)
        {
            ThrowStep(step);
        }
    }

    private static void ThrowStep(long step) =>
        throw new ArgumentOutOfRangeException(nameof(step), step, FormattableString.Invariant($"{nameof(step)} is 1-based and must be at least 1; got {step}."));
}
