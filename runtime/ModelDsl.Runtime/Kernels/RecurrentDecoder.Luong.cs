using System;
using System.Numerics.Tensors;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Luong attention without input feeding: the states do not depend on the attention, so the recurrence is one
/// <see cref="Recurrent"/> layer and the attention runs over all positions afterwards. Scores: <c>s_t · h_j</c> (dot),
/// <c>s_t · (W_a h_j)</c> (general), <c>vᵀ tanh(W s_t + U h_j)</c> (concat).
/// </summary>
public static unsafe partial class RecurrentDecoder
{
    /// <summary>
    /// The recurrent layer (<c>s_t</c> for all t), the keys (<c>h</c>, or <c>W_a h</c> / <c>U h</c> once per source), per sequence
    /// the scores <c>[len, S] = s·Kᵀ</c> (GEMM over valid positions and keys; for concat <c>vᵀ tanh(W s_t + U h_j)</c> row by
    /// row from <c>W s</c>, one GEMM over all positions) with softmax and context
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
        bool projected = d.P > 0;
        int offset = 0;
        Span<float> recurrent = Take(saved, ref offset, d.RecurrentSaved);
        Span<float> states = Take(saved, ref offset, rows * d.H);
        Span<float> keys = projected ? Take(saved, ref offset, d.B * d.S * d.P) : default;
        Span<float> weights = Take(saved, ref offset, rows * d.S);
        Span<float> combined = Take(saved, ref offset, rows * (d.M + d.H));
        Span<float> preActivation = Take(saved, ref offset, rows * d.H);
        Span<float> tanh = d.Concat ? Take(saved, ref offset, rows * d.S * d.A) : default;

        offset = 0;
        Span<float> recurrentScratch = Take(scratch, ref offset, d.RecurrentScratch);
        Span<float> finalState = Take(scratch, ref offset, d.B * d.H);
        Span<float> finalCell = d.HasCell ? Take(scratch, ref offset, d.B * d.H) : default;
        Span<float> ws = d.Concat ? Take(scratch, ref offset, rows * d.A) : default;

        Recurrent.Forward<TCell>(states, finalState, finalCell, recurrent, recurrentScratch, input, initialState, initialCell,
            p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, targetLengths, d.B, d.T, d.E, d.H, reverse: false, pool);
        if (projected)
        {
            Project(keys, memory, p.MemoryWeight, d, d.B, pool);
        }

        if (d.Concat)
        {
            // W s_t for every position at once (padded positions have zero states).
            Gemm.Multiply(ws, states, false, p.StateWeight, true, rows, d.A, d.H, 1f, 0f, pool);
        }

        fixed (float* pStates = states, pKeys = projected ? (ReadOnlySpan<float>)keys : memory, pMemory = memory)
        fixed (float* pWeights = weights, pCombined = combined, pTanh = tanh, pWs = ws, pV = p.ScoreVector)
        fixed (int* pTarget = targetLengths, pSource = sourceLengths)
        {
            var job = new LuongJob
            {
                States = pStates, Keys = pKeys, Memory = pMemory, Weights = pWeights, Combined = pCombined,
                Tanh = d.Concat ? pTanh : null, Ws = pWs, ScoreVector = pV,
                TargetLengths = targetLengths.IsEmpty ? null : pTarget, SourceLengths = sourceLengths.IsEmpty ? null : pSource,
                Steps = d.T, SourceLength = d.S, Hidden = d.H, MemorySize = d.M, KeyWidth = projected ? d.P : d.H, AttentionSize = d.A,
            };
            SingleQueryAttention.Run(d.B, &LuongForwardSequence, &job, pool);
        }

        Linear.Forward(output, combined, p.CombineWeight, default, rows, d.M + d.H, d.H, ActivationKind.Tanh, preActivation, pool);
    }

    /// <summary>
    /// The forward in reverse: <see cref="Linear.Backward"/> gives <c>d[c; s]</c>; per sequence the softmax-context backward
    /// (into the score gradients and the memory as values), <c>ds += dScores·K</c> and <c>dK = dScoresᵀ·s</c> (into the
    /// memory for dot, through <c>W_a</c> for general; for concat <c>dz = dScore·v ⊙ (1 − tanh²)</c> into <c>d(W s)</c> and
    /// <c>d(U h)</c>, then <c>ds += d(W s)·W</c>, <c>dW</c> and <c>dv</c> as GEMMs over all positions); then the recurrent
    /// layer's backward from <c>ds</c>.
    /// </summary>
    private static void BackwardLuong<TCell>(
        Span<float> dInput, Span<float> dInitialState, Span<float> dInitialCell, Span<float> dMemory,
        in RecurrentDecoderGradients g, Span<float> scratch,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> memory,
        in RecurrentDecoderParameters p, ReadOnlySpan<float> saved,
        ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths, in Dims d, WorkerPool? pool)
        where TCell : struct, IRecurrentCell
    {
        bool projected = d.P > 0;
        int rows = d.B * d.T, width = d.M + d.H;
        int offset = 0;
        ReadOnlySpan<float> recurrent = Take(saved, ref offset, d.RecurrentSaved);
        ReadOnlySpan<float> states = Take(saved, ref offset, rows * d.H);
        ReadOnlySpan<float> keys = projected ? Take(saved, ref offset, d.B * d.S * d.P) : default;
        ReadOnlySpan<float> weights = Take(saved, ref offset, rows * d.S);
        ReadOnlySpan<float> combined = Take(saved, ref offset, rows * width);
        ReadOnlySpan<float> preActivation = Take(saved, ref offset, rows * d.H);
        ReadOnlySpan<float> tanh = d.Concat ? Take(saved, ref offset, rows * d.S * d.A) : default;

        offset = 0;
        Span<float> recurrentScratch = Take(scratch, ref offset, d.RecurrentScratch);
        Span<float> dOutputValid = Take(scratch, ref offset, rows * d.H);
        Span<float> dCombined = Take(scratch, ref offset, rows * width);
        Span<float> dPreActivation = Take(scratch, ref offset, rows * d.H);
        Span<float> dStates = Take(scratch, ref offset, rows * d.H);
        Span<float> dScores = Take(scratch, ref offset, rows * d.S);
        Span<float> dKeys = projected ? Take(scratch, ref offset, d.B * d.S * d.P) : default;
        Span<float> dWs = d.Concat ? Take(scratch, ref offset, rows * d.A) : default;
        Span<float> dz = d.Concat ? Take(scratch, ref offset, d.B * d.A) : default;

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

        fixed (float* pStates = states, pKeys = projected ? keys : memory, pMemory = memory, pWeights = weights)
        fixed (float* pDCombined = dCombined, pDScores = dScores, pDStates = dStates, pDKeys = dKeys, pDMemory = dMemory)
        fixed (float* pTanh = tanh, pV = p.ScoreVector, pDWs = dWs, pDz = dz)
        fixed (int* pTarget = targetLengths, pSource = sourceLengths)
        {
            var job = new LuongJob
            {
                States = pStates, Keys = pKeys, Memory = pMemory, Weights = pWeights,
                DCombined = pDCombined, DScores = pDScores, DStates = pDStates, DKeys = projected ? pDKeys : null, DMemory = pDMemory,
                Tanh = d.Concat ? pTanh : null, ScoreVector = pV, DWs = pDWs, Dz = pDz,
                TargetLengths = targetLengths.IsEmpty ? null : pTarget, SourceLengths = sourceLengths.IsEmpty ? null : pSource,
                Steps = d.T, SourceLength = d.S, Hidden = d.H, MemorySize = d.M, KeyWidth = projected ? d.P : d.H, AttentionSize = d.A,
            };
            SingleQueryAttention.Run(d.B, &LuongBackwardSequence, &job, pool);
        }

        if (d.Concat)
        {
            // W s_t: ds += d(W s)·W and dW += d(W s)ᵀ·s over all positions (padded rows have zero d(W s) and zero states);
            // dv += Σ dScore·tanh, one GEMM over every (position, key) slot (padded slots are zero in both).
            Gemm.Multiply(dStates, dWs, false, p.StateWeight, false, rows, d.H, d.A, 1f, 1f, pool);
            Gemm.Multiply(g.StateWeight, dWs, true, states, false, d.A, d.H, rows, 1f, 1f, pool);
            Gemm.Multiply(g.ScoreVector, dScores, false, tanh, false, 1, d.A, rows * d.S, 1f, 1f, pool);
        }

        if (projected)
        {
            // K = h·Wᵀ (W_a or U): dh += dK·W; dW += dKᵀ·h over valid keys (padded keys have dK = 0).
            Gemm.Multiply(dMemory, dKeys, false, p.MemoryWeight, false, d.B * d.S, d.M, d.P, 1f, 1f, pool);
            if (AllFull(sourceLengths, d.S))
            {
                Gemm.Multiply(g.MemoryWeight, dKeys, true, memory, false, d.P, d.M, d.B * d.S, 1f, 1f, pool);
            }
            else
            {
                for (int b = 0; b < d.B; b++)
                {
                    int valid = sourceLengths[b];
                    if (valid > 0)
                    {
                        Gemm.Multiply(g.MemoryWeight, dKeys.Slice(b * d.S * d.P, valid * d.P), true, memory.Slice(b * d.S * d.M, valid * d.M), false,
                            d.P, d.M, valid, 1f, 1f, pool);
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
        float* keys = job.Keys + ((long)b * s * job.KeyWidth);
        float* memory = job.Memory + ((long)b * s * m);
        float* combined = job.Combined + ((long)b * steps * width);

        new Span<float>(weights, steps * s).Clear();
        if (job.Tanh is not null)
        {
            // Concat: e_tj = vᵀ tanh(W s_t + U h_j); padded slots keep zero activations.
            int a = job.AttentionSize;
            float* tanh = job.Tanh + ((long)b * steps * s * a);
            new Span<float>(tanh, steps * s * a).Clear();
            for (int t = 0; t < length; t++)
            {
                ConcatScores(weights + ((long)t * s), tanh + ((long)t * s * a), a, job.Ws + ((((long)b * steps) + t) * a), keys, job.ScoreVector, valid, a);
            }
        }
        else if (length > 0 && valid > 0)
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
        float* keys = job.Keys + ((long)b * s * job.KeyWidth);
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
        if (job.Tanh is not null)
        {
            ConcatBackwardSequence(job, b, length, valid);
            return;
        }

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

    /// <summary>
    /// Concat scores of one query: <c>tanh_j = tanh(ws + uh_j)</c> (into <paramref name="tanh"/> at stride
    /// <paramref name="tanhStride"/>; 0 reuses one row) and <c>scores[j] = v · tanh_j</c> for the valid keys. The forward and
    /// <see cref="Step"/> both call it, so they give the same bits.
    /// </summary>
    private static void ConcatScores(float* scores, float* tanh, int tanhStride, float* ws, float* uh, float* v, int valid, int a)
    {
        var query = new ReadOnlySpan<float>(ws, a);
        var vector = new ReadOnlySpan<float>(v, a);
        for (int j = 0; j < valid; j++)
        {
            var row = new Span<float>(tanh + ((long)j * tanhStride), a);
            TensorPrimitives.Add(query, new ReadOnlySpan<float>(uh + ((long)j * a), a), row);
            TensorPrimitives.Tanh(row, row);
            scores[j] = TensorPrimitives.Dot(vector, row);
        }
    }

    /// <summary>
    /// Concat, one sequence: <c>dz = dScore_tj · v ⊙ (1 − tanh_tj²)</c> summed into <c>d(W s_t)</c> and <c>d(U h_j)</c>
    /// (zero at padded positions and keys).
    /// </summary>
    private static void ConcatBackwardSequence(in LuongJob job, int b, int length, int valid)
    {
        int steps = job.Steps, s = job.SourceLength, a = job.AttentionSize;
        float* tanh = job.Tanh + ((long)b * steps * s * a);
        float* dScores = job.DScores + ((long)b * steps * s);
        float* dWs = job.DWs + ((long)b * steps * a);
        float* dKeys = job.DKeys + ((long)b * s * a);
        var dz = new Span<float>(job.Dz + ((long)b * a), a);
        var v = new ReadOnlySpan<float>(job.ScoreVector, a);
        new Span<float>(dWs, steps * a).Clear();
        new Span<float>(dKeys, s * a).Clear();
        for (int t = 0; t < length; t++)
        {
            var dQuery = new Span<float>(dWs + ((long)t * a), a);
            for (int j = 0; j < valid; j++)
            {
                var activation = new ReadOnlySpan<float>(tanh + ((((long)t * s) + j) * a), a);
                float dScore = dScores[(t * s) + j];
                for (int i = 0; i < a; i++)
                {
                    dz[i] = dScore * v[i] * (1f - (activation[i] * activation[i]));
                }

                TensorPrimitives.Add(dQuery, dz, dQuery);
                var dKey = new Span<float>(dKeys + ((long)j * a), a);
                TensorPrimitives.Add(dKey, dz, dKey);
            }
        }
    }

    private struct LuongJob
    {
        public float* States, Keys, Memory, Weights, Combined, DCombined, DScores, DStates, DKeys, DMemory;
        public float* Tanh, Ws, ScoreVector, DWs, Dz;
        public int* TargetLengths, SourceLengths;
        public int Steps, SourceLength, Hidden, MemorySize, KeyWidth, AttentionSize;
    }
}
