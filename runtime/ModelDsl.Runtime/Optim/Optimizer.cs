using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ModelDsl.Threading;

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
public abstract unsafe class Optimizer
{
    /// <summary>
    /// Floats per chunk of a step split over a pool (a multiple of 16). Fixed, so the elements of a chunk never depend on the
    /// thread count; each element is updated by exactly one worker with the same arithmetic as the serial loop.
    /// </summary>
    internal const int ChunkLength = 16384;

    /// <summary>
    /// The fewest floats a step (or a range of <see cref="StepRanges"/>) must have to be split over a pool. Below it the hand-off
    /// to the worker costs more than the halved update: on a quiet 2-core host AdamW split over two threads took 0.24-0.68x the
    /// serial speed at 100,000-420,000 floats and 1.6-1.8x at 1,600,000 (`--ab optimizer`, benchmarks/README.md).
    /// </summary>
    internal const int SplitThreshold = 1 << 20;

    /// <summary>Whether a step over <paramref name="count"/> floats is split over <paramref name="pool"/>.</summary>
    internal static bool Splits(long count, WorkerPool? pool) =>
        pool is not null && pool.ThreadCount > 1 && count >= SplitThreshold;

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

    /// <summary>
    /// The same update as <see cref="Step(Span{float}, ReadOnlySpan{float}, Span{float}, float, long)"/>, split over
    /// <paramref name="pool"/> in fixed chunks of 16,384 floats when it has at least 1,048,576 of them (<see cref="SplitThreshold"/>): every parameter element is updated by exactly one worker, with
    /// the arithmetic of the serial loop, so the results are bit-identical for any thread count. Runs serially without a pool,
    /// on one thread, below the threshold, or for an optimizer of two or more state slots that cannot update a chunk (a
    /// subclass outside this library).
    /// </summary>
    /// <param name="parameters">The parameter block, updated in place.</param>
    /// <param name="gradients">The gradient block, same length; not modified.</param>
    /// <param name="state"><see cref="StateSlots"/> blocks of the parameters' length, one after another.</param>
    /// <param name="learningRate">The rate for this step.</param>
    /// <param name="step">The 1-based number of this update.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, float learningRate, long step, WorkerPool? pool)
    {
        using var profile = ModelDsl.Kernels.KernelProfile.Time(ModelDsl.Kernels.KernelFamily.Optimizer);
        Validate(parameters, gradients, state, learningRate, step);
        int chunks = (int)(((long)parameters.Length + ChunkLength - 1) / ChunkLength);
        if (!Splits(parameters.Length, pool) || (StateSlots > 1 && !UpdatesSlotChunks))
        {
            StepCore(parameters, gradients, state, learningRate, step, vectorized: true);
            return;
        }

        GCHandle self = GCHandle.Alloc(this);
        try
        {
            fixed (float* p = parameters, g = gradients, s = state)
            {
                var job = new SplitStep
                {
                    Optimizer = GCHandle.ToIntPtr(self), Parameters = p, Gradients = g, State = s,
                    Length = parameters.Length, Start = 0, End = parameters.Length, LearningRate = learningRate, Step = step,
                };
                pool!.Run(chunks, &StepChunk, &job);
            }
        }
        finally
        {
            self.Free();
        }
    }

    /// <summary>
    /// The update of <see cref="Step(Span{float}, ReadOnlySpan{float}, Span{float}, float, long, WorkerPool?)"/> restricted to the
    /// elements <c>[start, start + count)</c> of each range in <paramref name="ranges"/> (pairs of start and count): the other
    /// parameters and their state slots are not touched. An element's result is the one the whole-block step would give it
    /// (the update is element-wise, whatever the chunk it falls in). Used by a trainer with frozen parameters.
    /// </summary>
    internal void StepRanges(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, ReadOnlySpan<int> ranges,
        float learningRate, long step, WorkerPool? pool)
    {
        using var profile = ModelDsl.Kernels.KernelProfile.Time(ModelDsl.Kernels.KernelFamily.Optimizer);
        Validate(parameters, gradients, state, learningRate, step);
        if (!UpdatesPartialBlocks)
        {
            throw new NotSupportedException(GetType().Name + " cannot update part of the parameters (it has several state slots and no chunked update), so nothing can be frozen with it.");
        }

        for (int r = 0; r + 1 < ranges.Length; r += 2)
        {
            int start = ranges[r], count = ranges[r + 1];
            int chunks = (int)(((long)count + ChunkLength - 1) / ChunkLength);
            if (!Splits(count, pool))
            {
                StepOneRange(parameters, gradients, state, start, count, learningRate, step);
                continue;
            }

            GCHandle self = GCHandle.Alloc(this);
            try
            {
                fixed (float* p = parameters, g = gradients, s = state)
                {
                    var job = new SplitStep
                    {
                        Optimizer = GCHandle.ToIntPtr(self), Parameters = p, Gradients = g, State = s,
                        Length = parameters.Length, Start = start, End = start + count, LearningRate = learningRate, Step = step,
                    };
                    pool!.Run(chunks, &StepChunk, &job);
                }
            }
            finally
            {
                self.Free();
            }
        }
    }

    private void StepOneRange(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, int start, int count, float learningRate, long step)
    {
        int slots = StateSlots;
        var p = parameters.Slice(start, count);
        var g = gradients.Slice(start, count);
        if (slots <= 1)
        {
            StepCore(p, g, slots == 0 ? default : state.Slice(start, count), learningRate, step, vectorized: true);
        }
        else
        {
            StepSlotsCore(p, g, state.Slice(start, ((slots - 1) * parameters.Length) + count), parameters.Length, learningRate, step);
        }
    }

    /// <summary>
    /// The same optimizer with weight decay 0 (a PyTorch parameter group with <c>weight_decay=0</c>), sharing the state layout, so
    /// the two can update disjoint ranges of one block; null for a subclass from outside this library.
    /// </summary>
    internal Optimizer? WithoutWeightDecay() => WithWeightDecay(0f);

    /// <summary>
    /// The same optimizer with weight decay <paramref name="weightDecay"/> (a PyTorch parameter group with its own
    /// <c>weight_decay</c>), sharing the state layout, so the two can update disjoint ranges of one block; null for a subclass from
    /// outside this library.
    /// </summary>
    /// <param name="weightDecay">The group's weight decay (L2 or decoupled, as the optimizer applies it), finite and zero or greater.</param>
    internal virtual Optimizer? WithWeightDecay(float weightDecay) => null;

    /// <summary>Whether <see cref="StepRanges"/> can update part of the block (one state slot or none, or a chunked update).</summary>
    internal bool UpdatesPartialBlocks => StateSlots <= 1 || UpdatesSlotChunks;

    /// <summary>Whether <see cref="StepSlotsCore"/> is implemented (needed to split an optimizer of two or more state slots).</summary>
    private protected virtual bool UpdatesSlotChunks => false;

    /// <summary>
    /// The update of a chunk of parameters whose state slots are <paramref name="slotStride"/> floats apart: slot <c>k</c> of
    /// element <c>i</c> is <c>state[k · slotStride + i]</c>. Only for optimizers of two or more slots (one slot of a chunk is
    /// contiguous and goes through <see cref="StepCore"/>).
    /// </summary>
    private protected virtual void StepSlotsCore(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> state, int slotStride,
        float learningRate, long step) =>
        throw new NotSupportedException(GetType().Name + " does not update chunks of several state slots.");

    private static void StepChunk(void* context, int chunk)
    {
        ref readonly SplitStep job = ref *(SplitStep*)context;
        var optimizer = (Optimizer)GCHandle.FromIntPtr(job.Optimizer).Target!;
        int start = job.Start + (chunk * ChunkLength), count = Math.Min(ChunkLength, job.End - start);
        var parameters = new Span<float>(job.Parameters + start, count);
        var gradients = new ReadOnlySpan<float>(job.Gradients + start, count);
        int slots = optimizer.StateSlots;
        if (slots <= 1)
        {
            var state = slots == 0 ? default : new Span<float>(job.State + start, count);
            optimizer.StepCore(parameters, gradients, state, job.LearningRate, job.Step, vectorized: true);
        }
        else
        {
            var state = new Span<float>(job.State + start, ((slots - 1) * job.Length) + count);
            optimizer.StepSlotsCore(parameters, gradients, state, job.Length, job.LearningRate, job.Step);
        }
    }

    /// <summary>A split step's arguments, pinned by the caller for the duration of <see cref="WorkerPool.Run"/>.</summary>
    private struct SplitStep
    {
        public IntPtr Optimizer;
        public float* Parameters, Gradients, State;
        public int Length, Start, End;
        public float LearningRate;
        public long Step;
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
