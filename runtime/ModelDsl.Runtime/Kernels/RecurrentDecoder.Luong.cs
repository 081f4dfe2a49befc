using System;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Luong attention without input feeding: the states do not depend on the attention, so the recurrence is one
/// <see cref="Recurrent"/> layer and the attention runs over all positions afterwards.
/// </summary>
public static unsafe partial class RecurrentDecoder
{
    /// <summary>
    /// The recurrent layer (<c>s_t</c> for all t), the keys (<c>h</c>, or <c>W_a h</c> once per source), per sequence the
    /// scores <c>[len, S] = s·Kᵀ</c> (GEMM over valid positions and keys) with softmax and context
    /// (<see cref="SingleQueryAttention"/>'s row kernel) into rows <c>[c_t; s_t]</c>, then one <see cref="Linear"/> with a tanh
    /// epilogue: <c>o = tanh([c; s]·W_cᵀ)</c>. Padded positions have zero <c>[c; s]</c> rows, hence zero outputs.
    /// </summary>
    private static void ForwardLuong<TCell>(
        Span<float> output, Span<float> saved, Span<float> scratch,
        ReadOnlySpan<float> input, ReadOnlySpan<float> initialState, ReadOnlySpan<float> initialCell, ReadOnlySpan<float> memory,
        in RecurrentDecoderParameters p, ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths, in Dims d, WorkerPool? pool)
        where TCell : struct, IRecurrentCell
    {
        int rows = d.B * d.T;
        int offset = 0;
        Span<float> recurrent = Take(saved, ref offset, d.RecurrentSaved);
        Span<float> states = Take(saved, ref offset, rows * d.H);
        Span<float> keys = d.Attention == DecoderAttention.LuongGeneral ? Take(saved, ref offset, d.B * d.S * d.H) : default;
        Span<float> weights = Take(saved, ref offset, rows * d.S);
        Span<float> combined = Take(saved, ref offset, rows * (d.M + d.H));
        Span<float> preActivation = Take(saved, ref offset, rows * d.H);

        offset = 0;
        Span<float> recurrentScratch = Take(scratch, ref offset, d.RecurrentScratch);
        Span<float> finalState = Take(scratch, ref offset, d.B * d.H);
        Span<float> finalCell = d.HasCell ? Take(scratch, ref offset, d.B * d.H) : default;

        Recurrent.Forward<TCell>(states, finalState, finalCell, recurrent, recurrentScratch, input, initialState, initialCell,
            p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, targetLengths, d.B, d.T, d.E, d.H, reverse: false, pool);
        if (d.Attention == DecoderAttention.LuongGeneral)
        {
            Project(keys, memory, p.MemoryWeight, d, d.B, pool);
        }

        fixed (float* pStates = states, pKeys = d.Attention == DecoderAttention.LuongGeneral ? (ReadOnlySpan<float>)keys : memory, pMemory = memory)
        fixed (float* pWeights = weights, pCombined = combined)
        fixed (int* pTarget = targetLengths, pSource = sourceLengths)
        {
            var job = new LuongJob
            {
                States = pStates, Keys = pKeys, Memory = pMemory, Weights = pWeights, Combined = pCombined,
                TargetLengths = targetLengths.IsEmpty ? null : pTarget, SourceLengths = sourceLengths.IsEmpty ? null : pSource,
                Steps = d.T, SourceLength = d.S, Hidden = d.H, MemorySize = d.M,
            };
            SingleQueryAttention.Run(d.B, &LuongForwardSequence, &job, pool);
        }

        Linear.Forward(output, combined, p.CombineWeight, default, rows, d.M + d.H, d.H, ActivationKind.Tanh, preActivation, pool);
    }

    /// <summary>
    /// The forward in reverse: <see cref="Linear.Backward"/> gives <c>d[c; s]</c>; per sequence the softmax-context backward
    /// (into the score gradients and the memory as values), <c>ds += dScores·K</c> and <c>dK = dScoresᵀ·s</c> (into the
    /// memory for dot, through <c>W_a</c> for general); then the recurrent layer's backward from <c>ds</c>.
    /// </summary>
    private static void BackwardLuong<TCell>(
        Span<float> dInput, Span<float> dInitialState, Span<float> dInitialCell, Span<float> dMemory,
        in RecurrentDecoderGradients g, Span<float> scratch,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> memory,
        in RecurrentDecoderParameters p, ReadOnlySpan<float> saved,
        ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths, in Dims d, WorkerPool? pool)
        where TCell : struct, IRecurrentCell
    {
        bool general = d.Attention == DecoderAttention.LuongGeneral;
        int rows = d.B * d.T, width = d.M + d.H;
        int offset = 0;
        ReadOnlySpan<float> recurrent = Take(saved, ref offset, d.RecurrentSaved);
        ReadOnlySpan<float> states = Take(saved, ref offset, rows * d.H);
        ReadOnlySpan<float> keys = general ? Take(saved, ref offset, d.B * d.S * d.H) : default;
        ReadOnlySpan<float> weights = Take(saved, ref offset, rows * d.S);
        ReadOnlySpan<float> combined = Take(saved, ref offset, rows * width);
        ReadOnlySpan<float> preActivation = Take(saved, ref offset, rows * d.H);

        offset = 0;
        Span<float> recurrentScratch = Take(scratch, ref offset, d.RecurrentScratch);
        Span<float> dOutputValid = Take(scratch, ref offset, rows * d.H);
        Span<float> dCombined = Take(scratch, ref offset, rows * width);
        Span<float> dPreActivation = Take(scratch, ref offset, rows * d.H);
        Span<float> dStates = Take(scratch, ref offset, rows * d.H);
        Span<float> dScores = Take(scratch, ref offset, rows * d.S);
        Span<float> dKeys = general ? Take(scratch, ref offset, d.B * d.S * d.H) : default;

        // The upstream gradient with padded positions zeroed, so that nothing there reaches W_c.
        for (int b = 0; b < d.B; b++)
        {
            int length = Recurrent.LengthOf(targetLengths, b, d.T);
            dOutput.Slice(b * d.T * d.H, length * d.H).CopyTo(dOutputValid.Slice(b * d.T * d.H, length * d.H));
            dOutputValid.Slice(((b * d.T) + length) * d.H, (d.T - length) * d.H).Clear();
        }

        dCombined.Clear();
        Linear.Backward(dCombined, g.CombineWeight, default, dOutputValid, combined, p.CombineWeight, rows, width, d.H,
            ActivationKind.Tanh, preActivation, dPreActivation, pool);

        fixed (float* pStates = states, pKeys = general ? keys : memory, pMemory = memory, pWeights = weights)
        fixed (float* pDCombined = dCombined, pDScores = dScores, pDStates = dStates, pDKeys = dKeys, pDMemory = dMemory)
        fixed (int* pTarget = targetLengths, pSource = sourceLengths)
        {
            var job = new LuongJob
            {
                States = pStates, Keys = pKeys, Memory = pMemory, Weights = pWeights,
                DCombined = pDCombined, DScores = pDScores, DStates = pDStates, DKeys = general ? pDKeys : null, DMemory = pDMemory,
                TargetLengths = targetLengths.IsEmpty ? null : pTarget, SourceLengths = sourceLengths.IsEmpty ? null : pSource,
                Steps = d.T, SourceLength = d.S, Hidden = d.H, MemorySize = d.M,
            };
            SingleQueryAttention.Run(d.B, &LuongBackwardSequence, &job, pool);
        }

        if (general)
        {
            // K = h·W_aᵀ: dh += dK·W_a; dW_a += dKᵀ·h over valid keys (padded keys have dK = 0).
            Gemm.Multiply(dMemory, dKeys, false, p.MemoryWeight, false, d.B * d.S, d.M, d.H, 1f, 1f, pool);
            if (AllFull(sourceLengths, d.S))
            {
                Gemm.Multiply(g.MemoryWeight, dKeys, true, memory, false, d.H, d.M, d.B * d.S, 1f, 1f, pool);
            }
            else
            {
                for (int b = 0; b < d.B; b++)
                {
                    int valid = sourceLengths[b];
                    if (valid > 0)
                    {
                        Gemm.Multiply(g.MemoryWeight, dKeys.Slice(b * d.S * d.H, valid * d.H), true, memory.Slice(b * d.S * d.M, valid * d.M), false,
                            d.H, d.M, valid, 1f, 1f, pool);
                    }
                }
            }
        }

        Recurrent.Backward<TCell>(dInput, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, dInitialState, dInitialCell, recurrentScratch,
            dStates, default, default, input, p.WeightIh, p.WeightHh, recurrent, targetLengths, d.B, d.T, d.E, d.H, reverse: false, pool);
    }

    /// <summary>One sequence's scores, softmax and <c>[c_t; s_t]</c> rows; padded positions get zero rows and weights.</summary>
    private static void LuongForwardSequence(void* context, int b)
    {
        ref readonly LuongJob job = ref *(LuongJob*)context;
        int steps = job.Steps, s = job.SourceLength, h = job.Hidden, m = job.MemorySize, width = m + h;
        int length = job.TargetLengths is null ? steps : job.TargetLengths[b];
        int valid = job.SourceLengths is null ? s : job.SourceLengths[b];
        float* weights = job.Weights + ((long)b * steps * s);
        float* states = job.States + ((long)b * steps * h);
        float* keys = job.Keys + ((long)b * s * h);
        float* memory = job.Memory + ((long)b * s * m);
        float* combined = job.Combined + ((long)b * steps * width);

        new Span<float>(weights, steps * s).Clear();
        if (length > 0 && valid > 0)
        {
            // scores [len, valid] = s [len, H] · K[:valid]ᵀ
            Gemm.Multiply(new Span<float>(weights, length * s), s, new ReadOnlySpan<float>(states, length * h), h, false,
                new ReadOnlySpan<float>(keys, valid * h), h, true, length, valid, h);
        }

        for (int t = 0; t < length; t++)
        {
            float* row = combined + ((long)t * width);
            SingleQueryAttention.SoftmaxContext(row, weights + ((long)t * s), memory, s, valid, m);
            new ReadOnlySpan<float>(states + ((long)t * h), h).CopyTo(new Span<float>(row + m, h));
        }

        new Span<float>(combined + ((long)length * width), (steps - length) * width).Clear();
    }

    /// <summary>One sequence's attention backward: score gradients, <c>ds</c> rows for the recurrence, and the keys' gradient.</summary>
    private static void LuongBackwardSequence(void* context, int b)
    {
        ref readonly LuongJob job = ref *(LuongJob*)context;
        int steps = job.Steps, s = job.SourceLength, h = job.Hidden, m = job.MemorySize, width = m + h;
        int length = job.TargetLengths is null ? steps : job.TargetLengths[b];
        int valid = job.SourceLengths is null ? s : job.SourceLengths[b];
        float* weights = job.Weights + ((long)b * steps * s);
        float* states = job.States + ((long)b * steps * h);
        float* keys = job.Keys + ((long)b * s * h);
        float* memory = job.Memory + ((long)b * s * m);
        float* dMemory = job.DMemory + ((long)b * s * m);
        float* dCombined = job.DCombined + ((long)b * steps * width);
        float* dScores = job.DScores + ((long)b * steps * s);
        float* dStates = job.DStates + ((long)b * steps * h);

        new Span<float>(dScores, steps * s).Clear();
        for (int t = 0; t < length; t++)
        {
            float* row = dCombined + ((long)t * width);
            SingleQueryAttention.SoftmaxContextBackward(dScores + ((long)t * s), dMemory, row, memory, weights + ((long)t * s), valid, m);
            new ReadOnlySpan<float>(row + m, h).CopyTo(new Span<float>(dStates + ((long)t * h), h));
        }

        new Span<float>(dStates + ((long)length * h), (steps - length) * h).Clear();
        int done = 0;
        if (length > 0 && valid > 0)
        {
            var scores = new ReadOnlySpan<float>(dScores, length * s);

            // ds [len, H] += dScores [len, valid] · K[:valid]
            Gemm.Multiply(new Span<float>(dStates, length * h), h, scores, s, false, new ReadOnlySpan<float>(keys, valid * h), h, false,
                length, h, valid, 1f, 1f);

            // dK [valid, H] = dScoresᵀ · s: straight into the memory's gradient for dot, into dKeys for general.
            var statesRows = new ReadOnlySpan<float>(states, length * h);
            if (job.DKeys is null)
            {
                Gemm.Multiply(new Span<float>(dMemory, valid * m), m, scores, s, true, statesRows, h, false, valid, h, length, 1f, 1f);
            }
            else
            {
                Gemm.Multiply(new Span<float>(job.DKeys + ((long)b * s * h), valid * h), h, scores, s, true, statesRows, h, false,
                    valid, h, length, 1f, 0f);
                done = valid;
            }
        }

        if (job.DKeys is not null)
        {
            new Span<float>(job.DKeys + (((long)b * s) + done) * h, (s - done) * h).Clear();
        }
    }

    private struct LuongJob
    {
        public float* States, Keys, Memory, Weights, Combined, DCombined, DScores, DStates, DKeys, DMemory;
        public int* TargetLengths, SourceLengths;
        public int Steps, SourceLength, Hidden, MemorySize;
    }
}
