using System;
using System.Numerics.Tensors;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>Bahdanau attention: the context feeds the cell, so attention and recurrence run together, one position at a time.</summary>
public static unsafe partial class RecurrentDecoder
{
    /// <summary>
    /// Per position <c>t</c>, for the rows up to the last sequence still running (as <see cref="Recurrent"/> does):
    /// <c>W s_{t−1}</c> (GEMM), <see cref="AdditiveAttention.Forward"/> over <c>U h</c>, the context's part of the gates
    /// (GEMM onto the precomputed <c>x·W_ih[:, :E]ᵀ + b_ih</c>), <c>s·W_hhᵀ + b_hh</c> (GEMM), then the cell row.
    /// </summary>
    private static void ForwardBahdanau<TCell>(
        Span<float> output, Span<float> saved, Span<float> scratch,
        ReadOnlySpan<float> input, ReadOnlySpan<float> initialState, ReadOnlySpan<float> initialCell, ReadOnlySpan<float> memory,
        in RecurrentDecoderParameters p, ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths, in Dims d, WorkerPool? pool)
        where TCell : struct, IRecurrentCell
    {
        int batch = d.B, steps = d.T, h = d.H, m = d.M, a = d.A, s = d.S, gw = d.GateWidth, sgw = d.SavedGateWidth;
        int offset = 0;
        Span<float> gates = Take(saved, ref offset, batch * steps * sgw);
        Span<float> hStates = Take(saved, ref offset, batch * (steps + 1) * h);
        Span<float> cStates = d.HasCell ? Take(saved, ref offset, batch * (steps + 1) * h) : default;
        Span<float> contexts = Take(saved, ref offset, batch * steps * m);
        Span<float> weights = Take(saved, ref offset, batch * steps * s);
        Span<float> tanh = Take(saved, ref offset, steps * batch * s * a);

        offset = 0;
        Span<float> uh = Take(scratch, ref offset, batch * s * a);
        Span<float> ws = Take(scratch, ref offset, batch * a);
        Span<float> context = Take(scratch, ref offset, batch * m);
        Span<float> stepWeights = Take(scratch, ref offset, batch * s);
        Span<float> hidden = Take(scratch, ref offset, batch * gw);
        Span<float> stateWeightT = Take(scratch, ref offset, h * a);
        Span<float> contextWeightT = Take(scratch, ref offset, m * gw);
        Span<float> weightHhT = Take(scratch, ref offset, h * gw);
        Span<float> state = Take(scratch, ref offset, batch * h);
        Span<float> cell = d.HasCell ? Take(scratch, ref offset, batch * h) : default;

        // Transposed copies let the per-step GEMMs read their right operand in place instead of packing it at every step.
        Transpose(stateWeightT, p.StateWeight, a, h, h, 0);
        Transpose(contextWeightT, p.WeightIh, gw, m, d.I, d.E);
        Transpose(weightHhT, p.WeightHh, gw, h, h, 0);

        // U h once per source sequence; x·W_ih[:, :E]ᵀ + b_ih for every position at once.
        Project(uh, memory, p.MemoryWeight, d, batch, pool);
        Gemm.Multiply(gates, sgw, input, d.E, false, p.WeightIh, d.I, true, batch * steps, gw, d.E, 1f, 0f, pool);
        AddBias(gates, sgw, batch * steps, p.BiasIh);

        // Padded slots stay zero: backward multiplies whole step columns of the states by gradients that are zero there.
        hStates.Clear();
        cStates.Clear();
        weights.Clear();
        CopyOrClear(initialState, state);
        if (d.HasCell)
        {
            CopyOrClear(initialCell, cell);
        }

        for (int b = 0; b < batch; b++)
        {
            state.Slice(b * h, h).CopyTo(hStates.Slice(b * (steps + 1) * h, h));
            if (d.HasCell)
            {
                cell.Slice(b * h, h).CopyTo(cStates.Slice(b * (steps + 1) * h, h));
            }
        }

        int longest = Recurrent.CheckLengths(targetLengths, batch, steps);
        for (int t = 0; t < longest; t++)
        {
            int active = Recurrent.ActiveRows(targetLengths, batch, steps, t);
            Span<float> stepTanh = tanh.Slice(t * batch * s * a, active * s * a);

            // e = vᵀ tanh(W s_{t−1} + U h_j), α = softmax(e), c_t = Σ α_j h_j.
            Gemm.Multiply(ws[..(active * a)], state[..(active * h)], false, stateWeightT, false, active, a, h, 1f, 0f, pool);
            AdditiveAttention.Forward(context[..(active * m)], stepTanh, stepWeights[..(active * s)], ws[..(active * a)],
                uh[..(active * s * a)], p.ScoreVector, memory[..(active * s * m)], active, s, a, m, Prefix(sourceLengths, active), pool);

            // Gates of position t: += c_t·W_ih[:, E:]ᵀ (rows b·T + t, so the row stride is T gate rows).
            Gemm.Multiply(gates[(t * sgw)..], steps * sgw, context, m, false, contextWeightT, gw, false, active, gw, m, 1f, 1f, pool);
            HiddenProjection(hidden, state, weightHhT, weightTransposed: true, p.BiasHh, active, d, pool);

            for (int b = 0; b < active; b++)
            {
                if (t >= Recurrent.LengthOf(targetLengths, b, steps))
                {
                    continue;
                }

                int row = (b * steps) + t;
                int after = (b * (steps + 1)) + t + 1;
                Span<float> rowState = state.Slice(b * h, h);
                Span<float> rowCell = d.HasCell ? cell.Slice(b * h, h) : default;
                TCell.ForwardRow(gates.Slice(row * sgw, sgw), hidden.Slice(b * gw, gw), rowState, rowCell);
                rowState.CopyTo(hStates.Slice(after * h, h));
                if (d.HasCell)
                {
                    rowCell.CopyTo(cStates.Slice(after * h, h));
                }

                ReadOnlySpan<float> rowContext = context.Slice(b * m, m);
                rowState.CopyTo(output.Slice(row * d.O, h));
                rowContext.CopyTo(output.Slice((row * d.O) + h, m));
                rowContext.CopyTo(contexts.Slice(row * m, m));
                stepWeights.Slice(b * s, s).CopyTo(weights.Slice(row * s, s));
            }
        }

        for (int b = 0; b < batch; b++)
        {
            int length = Recurrent.LengthOf(targetLengths, b, steps);
            output.Slice(((b * steps) + length) * d.O, (steps - length) * d.O).Clear();
        }
    }

    /// <summary>
    /// Backpropagation through time in reverse position order. At each position: the cell row's backward (the gate
    /// gradients), the context's gradient (from the output and through <c>W_ih[:, E:]</c>), <see cref="AdditiveAttention.Backward"/>
    /// (into <c>dWs</c>, <c>dUh</c>, <c>dv</c> and the memory), then the previous state's gradient through <c>W_hh</c> and
    /// <c>W</c>. Weight gradients over all positions are GEMMs at the end, over each sequence's valid rows.
    /// </summary>
    private static void BackwardBahdanau<TCell>(
        Span<float> dInput, Span<float> dInitialState, Span<float> dInitialCell, Span<float> dMemory,
        in RecurrentDecoderGradients g, Span<float> scratch,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> memory,
        in RecurrentDecoderParameters p, ReadOnlySpan<float> saved,
        ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths, in Dims d, WorkerPool? pool)
        where TCell : struct, IRecurrentCell
    {
        int batch = d.B, steps = d.T, h = d.H, m = d.M, a = d.A, s = d.S, gw = d.GateWidth, sgw = d.SavedGateWidth, rows = batch * steps;
        int offset = 0;
        ReadOnlySpan<float> gates = Take(saved, ref offset, rows * sgw);
        ReadOnlySpan<float> hStates = Take(saved, ref offset, batch * (steps + 1) * h);
        ReadOnlySpan<float> cStates = d.HasCell ? Take(saved, ref offset, batch * (steps + 1) * h) : default;
        ReadOnlySpan<float> contexts = Take(saved, ref offset, rows * m);
        ReadOnlySpan<float> weights = Take(saved, ref offset, rows * s);
        ReadOnlySpan<float> tanh = Take(saved, ref offset, steps * batch * s * a);

        offset = 0;
        Span<float> dh = Take(scratch, ref offset, batch * h);
        Span<float> dc = d.HasCell ? Take(scratch, ref offset, batch * h) : default;
        Span<float> dStep = Take(scratch, ref offset, batch * gw);
        Span<float> dGatesInput = Take(scratch, ref offset, rows * gw);
        Span<float> dGatesHidden = d.SeparateHidden ? Take(scratch, ref offset, rows * gw) : dGatesInput;
        Span<float> dWs = Take(scratch, ref offset, batch * a);
        Span<float> dUh = Take(scratch, ref offset, batch * s * a);
        Span<float> dContext = Take(scratch, ref offset, batch * m);
        Span<float> stepWeights = Take(scratch, ref offset, batch * s);
        Span<float> attentionScratch = Take(scratch, ref offset, batch * s);

        dh.Clear();
        dc.Clear();
        dUh.Clear();

        // Padded rows contribute nothing to dInput and to the context GEMMs below.
        for (int b = 0; b < batch; b++)
        {
            int length = Recurrent.LengthOf(targetLengths, b, steps);
            dGatesInput.Slice(((b * steps) + length) * gw, (steps - length) * gw).Clear();
        }

        ReadOnlySpan<float> contextWeight = p.WeightIh[d.E..];
        int longest = Recurrent.CheckLengths(targetLengths, batch, steps);
        for (int t = longest - 1; t >= 0; t--)
        {
            int active = Recurrent.ActiveRows(targetLengths, batch, steps, t);
            for (int b = 0; b < active; b++)
            {
                Span<float> stepRow = dStep.Slice(b * gw, gw);
                Span<float> contextRow = dContext.Slice(b * m, m);
                if (t >= Recurrent.LengthOf(targetLengths, b, steps))
                {
                    // A sequence that stopped before t: no gate gradients, zero dContext, hence zero score gradients.
                    stepRow.Clear();
                    contextRow.Clear();
                    stepWeights.Slice(b * s, s).Clear();
                    continue;
                }

                int row = (b * steps) + t;
                int before = (b * (steps + 1)) + t;
                TCell.BackwardRow(
                    dGatesInput.Slice(row * gw, gw), stepRow, dh.Slice(b * h, h), d.HasCell ? dc.Slice(b * h, h) : default,
                    dOutput.Slice(row * d.O, h), gates.Slice(row * sgw, sgw),
                    hStates.Slice(before * h, h), hStates.Slice((before + 1) * h, h), d.HasCell ? cStates.Slice(before * h, h) : default);
                if (d.SeparateHidden)
                {
                    stepRow.CopyTo(dGatesHidden.Slice(row * gw, gw));
                }

                dOutput.Slice((row * d.O) + h, m).CopyTo(contextRow);
                weights.Slice(row * s, s).CopyTo(stepWeights.Slice(b * s, s));
            }

            // dc_t += dGates_t·W_ih[:, E:] (the context is part of the cell input); padded rows' gate gradients are zero.
            Gemm.Multiply(dContext, m, dGatesInput[(t * gw)..], steps * gw, false, contextWeight, d.I, false, active, m, gw, 1f, 1f, pool);

            Span<float> stepDWs = dWs[..(active * a)];
            stepDWs.Clear();
            AdditiveAttention.Backward(stepDWs, dUh[..(active * s * a)], g.ScoreVector, dMemory[..(active * s * m)], dContext[..(active * m)],
                p.ScoreVector, memory[..(active * s * m)], tanh.Slice(t * batch * s * a, active * s * a), stepWeights[..(active * s)],
                active, s, a, m, Prefix(sourceLengths, active), attentionScratch[..(active * s)], pool);

            // ds_{t−1} += dGatesHidden·W_hh + dWs·W; dW += dWsᵀ·s_{t−1} (rows b·(T+1) + t of the states).
            Gemm.Multiply(dh[..(active * h)], dStep[..(active * gw)], false, p.WeightHh, false, active, h, gw, 1f, 1f, pool);
            Gemm.Multiply(dh[..(active * h)], stepDWs, false, p.StateWeight, false, active, h, a, 1f, 1f, pool);
            Gemm.Multiply(g.StateWeight, h, stepDWs, a, true, hStates[(t * h)..], (steps + 1) * h, false, a, h, active, 1f, 1f, pool);
        }

        if (!dInitialState.IsEmpty)
        {
            TensorPrimitives.Add(dInitialState, dh, dInitialState);
        }

        if (d.HasCell && !dInitialCell.IsEmpty)
        {
            TensorPrimitives.Add(dInitialCell, dc, dInitialCell);
        }

        // dW_ih = [dGatesᵀ·x, dGatesᵀ·c], dW_hh = dGatesHiddenᵀ·s_prev and the biases, over each sequence's valid rows.
        bool full = AllFull(targetLengths, steps);
        if (full)
        {
            Gemm.Multiply(g.WeightIh, d.I, dGatesInput, gw, true, input, d.E, false, gw, d.E, rows, 1f, 1f, pool);
            Gemm.Multiply(g.WeightIh[d.E..], d.I, dGatesInput, gw, true, contexts, m, false, gw, m, rows, 1f, 1f, pool);
        }

        for (int b = 0; b < batch; b++)
        {
            int length = Recurrent.LengthOf(targetLengths, b, steps);
            if (length == 0)
            {
                continue;
            }

            ReadOnlySpan<float> dInputSide = dGatesInput.Slice(b * steps * gw, length * gw);
            ReadOnlySpan<float> dHiddenSide = dGatesHidden.Slice(b * steps * gw, length * gw);
            if (!full)
            {
                Gemm.Multiply(g.WeightIh, d.I, dInputSide, gw, true, input.Slice(b * steps * d.E, length * d.E), d.E, false,
                    gw, d.E, length, 1f, 1f, pool);
                Gemm.Multiply(g.WeightIh[d.E..], d.I, dInputSide, gw, true, contexts.Slice(b * steps * m, length * m), m, false,
                    gw, m, length, 1f, 1f, pool);
            }

            Gemm.Multiply(g.WeightHh, dHiddenSide, true, hStates.Slice(b * (steps + 1) * h, length * h), false, gw, h, length, 1f, 1f, pool);
            for (int t = 0; t < length; t++)
            {
                if (!g.BiasIh.IsEmpty)
                {
                    TensorPrimitives.Add(g.BiasIh, dInputSide.Slice(t * gw, gw), g.BiasIh);
                }

                if (!g.BiasHh.IsEmpty)
                {
                    TensorPrimitives.Add(g.BiasHh, dHiddenSide.Slice(t * gw, gw), g.BiasHh);
                }
            }
        }

        if (!dInput.IsEmpty)
        {
            Gemm.Multiply(dInput, d.E, dGatesInput, gw, false, p.WeightIh, d.I, false, rows, d.E, gw, 1f, 1f, pool);
        }

        // Through U h: dU += dUhᵀ·h over valid keys, dh += dUh·U (padded keys have dUh = 0).
        if (AllFull(sourceLengths, s))
        {
            Gemm.Multiply(g.MemoryWeight, dUh, true, memory, false, a, m, batch * s, 1f, 1f, pool);
        }
        else
        {
            for (int b = 0; b < batch; b++)
            {
                int valid = sourceLengths[b];
                if (valid > 0)
                {
                    Gemm.Multiply(g.MemoryWeight, dUh.Slice(b * s * a, valid * a), true, memory.Slice(b * s * m, valid * m), false,
                        a, m, valid, 1f, 1f, pool);
                }
            }
        }

        Gemm.Multiply(dMemory, dUh, false, p.MemoryWeight, false, batch * s, m, a, 1f, 1f, pool);
    }
}
