using System;
using System.Numerics.Tensors;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// The math of one recurrent cell at one (sequence, time step), used by <see cref="Recurrent"/>
/// to run a whole layer. Implemented by <see cref="RnnCell"/>, <see cref="GruCell"/> and <see cref="LstmCell"/>.
/// </summary>
internal interface IRecurrentCell
{
    /// <summary>Gate blocks stacked in the weights: <c>W_ih</c> is <c>[GateCount·H, I]</c> (RNN 1, GRU 3, LSTM 4).</summary>
    static abstract int GateCount { get; }

    /// <summary>Floats saved per (sequence, step), in units of H (0 for RNN: the output row serves).</summary>
    static abstract int SavedGateWidth { get; }

    /// <summary>Whether the cell carries a memory cell <c>c</c> beside <c>h</c> (LSTM).</summary>
    static abstract bool HasCellState { get; }

    /// <summary>Whether the gradient of the hidden-side gate pre-activations differs from the input side (GRU's n gate).</summary>
    static abstract bool SeparateHiddenGradient { get; }

    /// <summary>
    /// One step. <paramref name="gates"/> holds <c>x·W_ihᵀ + b_ih</c> in its first <c>GateCount·H</c> floats on entry and
    /// what backward needs on exit; <paramref name="hidden"/> is <c>h·W_hhᵀ + b_hh</c>; <paramref name="h"/> and
    /// <paramref name="c"/> hold the previous state on entry and the new state on exit.
    /// </summary>
    static abstract void ForwardRow(Span<float> gates, ReadOnlySpan<float> hidden, Span<float> h, Span<float> c);

    /// <summary>
    /// One step backward. On entry <paramref name="dh"/> / <paramref name="dc"/> hold the gradient flowing back from the
    /// next step (or the final state); on exit <paramref name="dh"/> holds the part of <c>dL/dh_prev</c> that does not go
    /// through <c>W_hh</c> and <paramref name="dc"/> holds <c>dL/dc_prev</c>. Writes the gradients of the gate
    /// pre-activations seen from the input side (<paramref name="dGateInput"/>) and from the hidden side (<paramref name="dGateHidden"/>).
    /// </summary>
    static abstract void BackwardRow(
        Span<float> dGateInput, Span<float> dGateHidden, Span<float> dh, Span<float> dc,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> gates,
        ReadOnlySpan<float> hPrevious, ReadOnlySpan<float> hAfter, ReadOnlySpan<float> cPrevious);
}

/// <summary>
/// The sequence loop shared by <see cref="Rnn"/>, <see cref="Gru"/> and <see cref="Lstm"/>: one layer, one direction,
/// batch-first, with per-sequence lengths (PyTorch packed-sequence semantics).
/// </summary>
/// <remarks>
/// <para>Saved layout (floats, in this order): gates <c>[B, T, SavedGateWidth·H]</c>; hidden states
/// <c>[B, T+1, H]</c>; cell states <c>[B, T+1, H]</c> (LSTM only). States are indexed by time position: the state after
/// position <c>t</c> is in slot <c>t+1</c> running forward and in slot <c>t</c> running in reverse, so the state before
/// position <c>t</c> is slot <c>t</c> (forward) or <c>t+1</c> (reverse), and the initial state sits in slot 0 (forward) or
/// slot <c>length</c> (reverse). Slots of padded positions are not written.</para>
/// <para>Scratch layout: <c>dh [B, H]</c>, <c>dc [B, H]</c> (LSTM), one step's gate rows <c>[B, G·H]</c> (forward: the
/// hidden projection; backward: the hidden-side gate gradients), <c>dGatesInput [B, T, G·H]</c>,
/// <c>dGatesHidden [B, T, G·H]</c> (GRU only), <c>W_hhᵀ [H, G·H]</c> (forward: the per-step GEMM then reads its right operand
/// in place, which the GEMM does for few rows, instead of packing a transposed <c>W_hh</c> at every step).</para>
/// <para>Step <c>s</c> processes position <c>s</c> (forward) or <c>length[b]−1−s</c> (reverse) of every sequence longer
/// than <c>s</c>; the others keep their state. The running state lives in <c>finalState</c>, so it ends at each sequence's
/// last valid step.</para>
/// </remarks>
internal static class Recurrent
{
    internal static int SavedLength<TCell>(int batch, int steps, int hiddenSize)
        where TCell : struct, IRecurrentCell
    {
        Guard.Positive(batch);
        Guard.Positive(steps);
        Guard.Positive(hiddenSize);
        int states = TCell.HasCellState ? 2 : 1;
        return checked((batch * steps * TCell.SavedGateWidth * hiddenSize) + (states * batch * (steps + 1) * hiddenSize));
    }

    internal static int ScratchLength<TCell>(int batch, int steps, int hiddenSize)
        where TCell : struct, IRecurrentCell
    {
        Guard.Positive(batch);
        Guard.Positive(steps);
        Guard.Positive(hiddenSize);
        int gateWidth = TCell.GateCount * hiddenSize;
        int carried = TCell.HasCellState ? 2 : 1;
        int gradients = TCell.SeparateHiddenGradient ? 2 : 1;
        return checked((carried * batch * hiddenSize) + (batch * gateWidth) + (gradients * batch * steps * gateWidth) + (gateWidth * hiddenSize));
    }

    internal static void Forward<TCell>(
        Span<float> output, Span<float> finalState, Span<float> finalCell, Span<float> saved, Span<float> scratch,
        ReadOnlySpan<float> input, ReadOnlySpan<float> initialState, ReadOnlySpan<float> initialCell,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize, bool reverse, WorkerPool? pool)
        where TCell : struct, IRecurrentCell
    {
        using var profile = KernelProfile.Time(KernelFamily.Recurrent);
        Guard.Positive(batch);
        Guard.Positive(steps);
        Guard.Positive(inputSize);
        Guard.Positive(hiddenSize);
        int h = hiddenSize, gateWidth = TCell.GateCount * hiddenSize, rows = batch * steps;
        Guard.Length(output, (long)rows * h);
        Guard.Length(finalState, (long)batch * h);
        if (TCell.HasCellState)
        {
            Guard.Length(finalCell, (long)batch * h);
        }

        Guard.Length(saved, SavedLength<TCell>(batch, steps, hiddenSize));
        Guard.Length(scratch, ScratchLength<TCell>(batch, steps, hiddenSize));
        Guard.Length(input, (long)rows * inputSize);
        CheckOptional(initialState, (long)batch * h);
        if (TCell.HasCellState)
        {
            CheckOptional(initialCell, (long)batch * h);
        }

        Guard.Length(weightIh, (long)gateWidth * inputSize);
        Guard.Length(weightHh, (long)gateWidth * h);
        CheckOptional(biasIh, gateWidth);
        CheckOptional(biasHh, gateWidth);
        int longest = CheckLengths(lengths, batch, steps);
        Guard.NoOverlap(output, input);
        Guard.NoOverlap(saved, input);
        Guard.NoOverlap(output, saved);
        Guard.NoOverlap(finalState, saved);
        Guard.NoOverlap(scratch, weightHh);

        int savedGateWidth = TCell.SavedGateWidth * h;
        Span<float> gates = saved[..(rows * savedGateWidth)];
        Span<float> hStates = saved.Slice(rows * savedGateWidth, batch * (steps + 1) * h);
        Span<float> cStates = TCell.HasCellState ? saved[(rows * savedGateWidth + (batch * (steps + 1) * h))..] : default;
        Span<float> hidden = scratch.Slice(batch * h * (TCell.HasCellState ? 2 : 1), batch * gateWidth);
        Span<float> weightHhTransposed = scratch[^(gateWidth * h)..];
        Transpose(weightHhTransposed, weightHh, gateWidth, h);

        // Input projection for every step at once: [B·T, I]·W_ihᵀ -> the first G·H floats of each gate row
        // (RNN: straight into the output rows, which the step then turns into states).
        Span<float> projection = savedGateWidth == 0 ? output : gates;
        int projectionStride = savedGateWidth == 0 ? h : savedGateWidth;
        Gemm.Multiply(projection, projectionStride, input, inputSize, false, weightIh, inputSize, true,
            rows, gateWidth, inputSize, 1f, 0f, pool);
        if (!biasIh.IsEmpty)
        {
            for (int r = 0; r < rows; r++)
            {
                Span<float> row = projection.Slice(r * projectionStride, gateWidth);
                TensorPrimitives.Add(row, biasIh, row);
            }
        }

        // Initial state: the running state is kept in finalState (and finalCell).
        CopyOrClear(initialState, finalState);
        if (TCell.HasCellState)
        {
            CopyOrClear(initialCell, finalCell);
        }

        for (int b = 0; b < batch; b++)
        {
            int length = LengthOf(lengths, b, steps);
            if (length > 0)
            {
                int slot = (b * (steps + 1)) + (reverse ? length : 0);
                finalState.Slice(b * h, h).CopyTo(hStates.Slice(slot * h, h));
                if (TCell.HasCellState)
                {
                    finalCell.Slice(b * h, h).CopyTo(cStates.Slice(slot * h, h));
                }
            }
        }

        for (int s = 0; s < longest; s++)
        {
            // hidden[b] = h[b]·W_hhᵀ + b_hh for the rows up to the last sequence still running.
            int active = ActiveRows(lengths, batch, steps, s);
            Span<float> hiddenRows = hidden[..(active * gateWidth)];
            float beta = 0f;
            if (!biasHh.IsEmpty)
            {
                for (int b = 0; b < active; b++)
                {
                    biasHh.CopyTo(hiddenRows.Slice(b * gateWidth, gateWidth));
                }

                beta = 1f;
            }

            Gemm.Multiply(hiddenRows, finalState[..(active * h)], false, weightHhTransposed, false, active, gateWidth, h, 1f, beta, pool);

            for (int b = 0; b < active; b++)
            {
                int length = LengthOf(lengths, b, steps);
                if (s >= length)
                {
                    continue;
                }

                int t = reverse ? length - 1 - s : s;
                int row = (b * steps) + t;
                int after = (b * (steps + 1)) + t + (reverse ? 0 : 1);
                Span<float> state = finalState.Slice(b * h, h);
                Span<float> cell = TCell.HasCellState ? finalCell.Slice(b * h, h) : default;
                TCell.ForwardRow(
                    projection.Slice(row * projectionStride, savedGateWidth == 0 ? h : savedGateWidth),
                    hiddenRows.Slice(b * gateWidth, gateWidth), state, cell);
                state.CopyTo(output.Slice(row * h, h));
                state.CopyTo(hStates.Slice(after * h, h));
                if (TCell.HasCellState)
                {
                    cell.CopyTo(cStates.Slice(after * h, h));
                }
            }
        }

        // Padded positions read as zeros, as pad_packed_sequence gives.
        for (int b = 0; b < batch; b++)
        {
            int length = LengthOf(lengths, b, steps);
            output.Slice(((b * steps) + length) * h, (steps - length) * h).Clear();
        }
    }

    internal static void Backward<TCell>(
        Span<float> dInput, Span<float> dWeightIh, Span<float> dWeightHh, Span<float> dBiasIh, Span<float> dBiasHh,
        Span<float> dInitialState, Span<float> dInitialCell, Span<float> scratch,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> dFinalState, ReadOnlySpan<float> dFinalCell,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> saved,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize, bool reverse, WorkerPool? pool)
        where TCell : struct, IRecurrentCell
    {
        using var profile = KernelProfile.Time(KernelFamily.Recurrent);
        Guard.Positive(batch);
        Guard.Positive(steps);
        Guard.Positive(inputSize);
        Guard.Positive(hiddenSize);
        int h = hiddenSize, gateWidth = TCell.GateCount * hiddenSize, rows = batch * steps;
        CheckOptional(dInput, (long)rows * inputSize);
        Guard.Length(dWeightIh, (long)gateWidth * inputSize);
        Guard.Length(dWeightHh, (long)gateWidth * h);
        CheckOptional(dBiasIh, gateWidth);
        CheckOptional(dBiasHh, gateWidth);
        CheckOptional(dInitialState, (long)batch * h);
        if (TCell.HasCellState)
        {
            CheckOptional(dInitialCell, (long)batch * h);
        }

        Guard.Length(scratch, ScratchLength<TCell>(batch, steps, hiddenSize));
        Guard.Length(dOutput, (long)rows * h);
        CheckOptional(dFinalState, (long)batch * h);
        if (TCell.HasCellState)
        {
            CheckOptional(dFinalCell, (long)batch * h);
        }

        Guard.Length(input, (long)rows * inputSize);
        Guard.Length(weightIh, (long)gateWidth * inputSize);
        Guard.Length(weightHh, (long)gateWidth * h);
        Guard.Length(saved, SavedLength<TCell>(batch, steps, hiddenSize));
        int longest = CheckLengths(lengths, batch, steps);
        Guard.NoOverlap(scratch, saved);
        Guard.NoOverlap(dInput, input);

        int savedGateWidth = TCell.SavedGateWidth * h;
        ReadOnlySpan<float> gates = saved[..(rows * savedGateWidth)];
        ReadOnlySpan<float> hStates = saved.Slice(rows * savedGateWidth, batch * (steps + 1) * h);
        ReadOnlySpan<float> cStates = TCell.HasCellState ? saved[(rows * savedGateWidth + (batch * (steps + 1) * h))..] : default;

        int offset = 0;
        Span<float> dh = scratch.Slice(offset, batch * h);
        offset += batch * h;
        Span<float> dc = default;
        if (TCell.HasCellState)
        {
            dc = scratch.Slice(offset, batch * h);
            offset += batch * h;
        }

        Span<float> dStep = scratch.Slice(offset, batch * gateWidth);
        offset += batch * gateWidth;
        Span<float> dGatesInput = scratch.Slice(offset, rows * gateWidth);
        offset += rows * gateWidth;
        Span<float> dGatesHidden = TCell.SeparateHiddenGradient ? scratch.Slice(offset, rows * gateWidth) : dGatesInput;

        CopyOrClear(dFinalState, dh);
        if (TCell.HasCellState)
        {
            CopyOrClear(dFinalCell, dc);
        }

        // Padded rows contribute nothing to dInput (one GEMM over all rows below).
        for (int b = 0; b < batch; b++)
        {
            int length = LengthOf(lengths, b, steps);
            dGatesInput.Slice(((b * steps) + length) * gateWidth, (steps - length) * gateWidth).Clear();
        }

        for (int s = longest - 1; s >= 0; s--)
        {
            int active = ActiveRows(lengths, batch, steps, s);
            for (int b = 0; b < active; b++)
            {
                int length = LengthOf(lengths, b, steps);
                Span<float> stepRow = dStep.Slice(b * gateWidth, gateWidth);
                if (s >= length)
                {
                    stepRow.Clear();
                    continue;
                }

                int t = reverse ? length - 1 - s : s;
                int row = (b * steps) + t;
                int before = (b * (steps + 1)) + t + (reverse ? 1 : 0);
                int after = (b * (steps + 1)) + t + (reverse ? 0 : 1);
                TCell.BackwardRow(
                    dGatesInput.Slice(row * gateWidth, gateWidth), stepRow,
                    dh.Slice(b * h, h), TCell.HasCellState ? dc.Slice(b * h, h) : default,
                    dOutput.Slice(row * h, h), gates.Slice(row * savedGateWidth, savedGateWidth),
                    hStates.Slice(before * h, h), hStates.Slice(after * h, h),
                    TCell.HasCellState ? cStates.Slice(before * h, h) : default);
                if (TCell.SeparateHiddenGradient)
                {
                    stepRow.CopyTo(dGatesHidden.Slice(row * gateWidth, gateWidth));
                }
            }

            // dh_prev += dGatesHidden_step · W_hh (rows that did not run add zero).
            Gemm.Multiply(dh[..(active * h)], dStep[..(active * gateWidth)], false, weightHh, false,
                active, h, gateWidth, 1f, 1f, pool);
        }

        if (!dInitialState.IsEmpty)
        {
            TensorPrimitives.Add(dInitialState, dh, dInitialState);
        }

        if (TCell.HasCellState && !dInitialCell.IsEmpty)
        {
            TensorPrimitives.Add(dInitialCell, dc, dInitialCell);
        }

        // Weight and bias gradients over the valid steps of each sequence (padded inputs are never read).
        bool full = AllFull(lengths, steps);
        if (full)
        {
            Gemm.Multiply(dWeightIh, dGatesInput, true, input, false, gateWidth, inputSize, rows, 1f, 1f, pool);
        }

        for (int b = 0; b < batch; b++)
        {
            int length = LengthOf(lengths, b, steps);
            if (length == 0)
            {
                continue;
            }

            ReadOnlySpan<float> dInputSide = dGatesInput.Slice(b * steps * gateWidth, length * gateWidth);
            ReadOnlySpan<float> dHiddenSide = dGatesHidden.Slice(b * steps * gateWidth, length * gateWidth);
            if (!full)
            {
                Gemm.Multiply(dWeightIh, dInputSide, true, input.Slice(b * steps * inputSize, length * inputSize), false,
                    gateWidth, inputSize, length, 1f, 1f, pool);
            }

            int firstBefore = (b * (steps + 1)) + (reverse ? 1 : 0);
            Gemm.Multiply(dWeightHh, dHiddenSide, true, hStates.Slice(firstBefore * h, length * h), false,
                gateWidth, h, length, 1f, 1f, pool);
            for (int t = 0; t < length; t++)
            {
                if (!dBiasIh.IsEmpty)
                {
                    TensorPrimitives.Add(dBiasIh, dInputSide.Slice(t * gateWidth, gateWidth), dBiasIh);
                }

                if (!dBiasHh.IsEmpty)
                {
                    TensorPrimitives.Add(dBiasHh, dHiddenSide.Slice(t * gateWidth, gateWidth), dBiasHh);
                }
            }
        }

        if (!dInput.IsEmpty)
        {
            Gemm.Multiply(dInput, dGatesInput, false, weightIh, false, rows, inputSize, gateWidth, 1f, 1f, pool);
        }
    }

    /// <summary>Checks every length is in <c>[0, steps]</c> and returns the longest (all <paramref name="steps"/> when empty).</summary>
    internal static int CheckLengths(ReadOnlySpan<int> lengths, int batch, int steps)
    {
        if (lengths.IsEmpty)
        {
            return steps;
        }

        Guard.Length(lengths, batch);
        int longest = 0;
        for (int b = 0; b < lengths.Length; b++)
        {
            if ((uint)lengths[b] > (uint)steps)
            {
                ThrowLength(b, lengths[b], steps);
            }

            longest = Math.Max(longest, lengths[b]);
        }

        return longest;
    }

    internal static int LengthOf(ReadOnlySpan<int> lengths, int b, int steps) => lengths.IsEmpty ? steps : lengths[b];

    /// <summary>One past the last sequence that is longer than <paramref name="step"/>.</summary>
    internal static int ActiveRows(ReadOnlySpan<int> lengths, int batch, int steps, int step)
    {
        for (int b = batch - 1; b >= 0; b--)
        {
            if (LengthOf(lengths, b, steps) > step)
            {
                return b + 1;
            }
        }

        return 0;
    }

    /// <summary><c>destination [columns, rows] = sourceᵀ</c> for a row-major <c>source [rows, columns]</c>.</summary>
    private static void Transpose(Span<float> destination, ReadOnlySpan<float> source, int rows, int columns)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = source.Slice(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                destination[(c * rows) + r] = row[c];
            }
        }
    }

    private static bool AllFull(ReadOnlySpan<int> lengths, int steps)
    {
        foreach (int length in lengths)
        {
            if (length != steps)
            {
                return false;
            }
        }

        return true;
    }

    private static void CheckOptional<T>(ReadOnlySpan<T> span, long expected, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (!span.IsEmpty)
        {
            Guard.Length(span, expected, name);
        }
    }

    private static void CheckOptional<T>(Span<T> span, long expected, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(span))] string? name = null) =>
        CheckOptional((ReadOnlySpan<T>)span, expected, name);

    private static void CopyOrClear(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.IsEmpty)
        {
            destination.Clear();
        }
        else
        {
            source.CopyTo(destination);
        }
    }

    private static void ThrowLength(int index, int value, int steps) =>
        throw new ArgumentOutOfRangeException("lengths", value, $"lengths[{index}] is {value}; every length must be in [0, steps] = [0, {steps}].");
}
