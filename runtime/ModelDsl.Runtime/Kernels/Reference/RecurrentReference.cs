using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Plain-loop version of <see cref="Rnn"/>: per sequence, per processed step, per unit, the textbook formula
/// <c>h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)</c>. Same arguments as the tuned kernel (no pool); its own saved layout.
/// </summary>
public static class RnnReference
{
    /// <summary>Saved floats: states <c>[B, T+1, H]</c> in processing order (slot 0 is <c>h_0</c>).</summary>
    public static int SavedLength(int batch, int steps, int hiddenSize) => batch * (steps + 1) * hiddenSize;

    /// <summary>Scratch floats: <c>dh, dh_prev, dGates</c> of one step.</summary>
    public static int ScratchLength(int batch, int steps, int hiddenSize) => RecurrentReferenceMath.ScratchLength(hiddenSize, 1);

    /// <summary>Forward over whole sequences; see <see cref="Rnn.Forward"/>.</summary>
    public static void Forward<T>(
        Span<T> output, Span<T> finalState, Span<T> saved, Span<T> scratch,
        ReadOnlySpan<T> input, ReadOnlySpan<T> initialState,
        ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize, bool reverse = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hiddenSize;
        RecurrentReferenceMath.CheckForward(output, finalState, default, saved, scratch, input, initialState, default,
            weightIh, weightHh, biasIh, biasHh, lengths, batch, steps, inputSize, hiddenSize, 1,
            SavedLength(batch, steps, h), ScratchLength(batch, steps, h), hasCell: false);
        output.Clear();
        for (int b = 0; b < batch; b++)
        {
            int length = lengths.IsEmpty ? steps : lengths[b];
            Span<T> states = saved.Slice(b * (steps + 1) * h, (steps + 1) * h);
            RecurrentReferenceMath.CopyOrZero(initialState, b, h, states[..h]);
            for (int k = 0; k < length; k++)
            {
                int t = reverse ? length - 1 - k : k;
                ReadOnlySpan<T> x = input.Slice(((b * steps) + t) * inputSize, inputSize);
                ReadOnlySpan<T> previous = states.Slice(k * h, h);
                Span<T> next = states.Slice((k + 1) * h, h);
                for (int j = 0; j < h; j++)
                {
                    T pre = RecurrentReferenceMath.Affine(weightIh, biasIh, j, x) + RecurrentReferenceMath.Affine(weightHh, biasHh, j, previous);
                    next[j] = T.Tanh(pre);
                }

                next.CopyTo(output.Slice(((b * steps) + t) * h, h));
            }

            states.Slice(length * h, h).CopyTo(finalState.Slice(b * h, h));
        }
    }

    /// <summary>Backpropagation through time, accumulating into every gradient; see <see cref="Rnn.Backward"/>.</summary>
    public static void Backward<T>(
        Span<T> dInput, Span<T> dWeightIh, Span<T> dWeightHh, Span<T> dBiasIh, Span<T> dBiasHh,
        Span<T> dInitialState, Span<T> scratch,
        ReadOnlySpan<T> dOutput, ReadOnlySpan<T> dFinalState,
        ReadOnlySpan<T> input, ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> saved,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize, bool reverse = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hiddenSize;
        RecurrentReferenceMath.CheckBackward(dInput, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dInitialState, default, scratch,
            dOutput, dFinalState, default, input, weightIh, weightHh, saved, lengths, batch, steps, inputSize, hiddenSize, 1,
            SavedLength(batch, steps, h), ScratchLength(batch, steps, h), hasCell: false);
        Span<T> dh = scratch[..h];
        Span<T> dhPrevious = scratch.Slice(h, h);
        Span<T> dGates = scratch.Slice(2 * h, h);
        for (int b = 0; b < batch; b++)
        {
            int length = lengths.IsEmpty ? steps : lengths[b];
            ReadOnlySpan<T> states = saved.Slice(b * (steps + 1) * h, (steps + 1) * h);
            RecurrentReferenceMath.CopyOrZero(dFinalState, b, h, dh);
            for (int k = length - 1; k >= 0; k--)
            {
                int t = reverse ? length - 1 - k : k;
                int row = (b * steps) + t;
                ReadOnlySpan<T> next = states.Slice((k + 1) * h, h);
                for (int j = 0; j < h; j++)
                {
                    T d = dh[j] + dOutput[(row * h) + j];
                    dGates[j] = d * (T.One - (next[j] * next[j]));
                    dhPrevious[j] = T.Zero;
                }

                RecurrentReferenceMath.AccumulateStep(dInput, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dhPrevious, dGates, dGates,
                    input, weightIh, weightHh, states.Slice(k * h, h), row, inputSize);
                dhPrevious.CopyTo(dh);
            }

            RecurrentReferenceMath.AddTo(dInitialState, b, h, dh);
        }
    }
}

/// <summary>
/// Plain-loop version of <see cref="Gru"/>, PyTorch gate order <c>(r, z, n)</c>:
/// <c>r = σ(W_ir x + b_ir + W_hr h + b_hr)</c>, <c>z = σ(W_iz x + b_iz + W_hz h + b_hz)</c>,
/// <c>n = tanh(W_in x + b_in + r (W_hn h + b_hn))</c>, <c>h' = (1 − z) n + z h</c>.
/// </summary>
public static class GruReference
{
    /// <summary>Saved floats: per processed step <c>r, z, n, W_hn h + b_hn</c> <c>[B, T, 4H]</c>, then states <c>[B, T+1, H]</c>.</summary>
    public static int SavedLength(int batch, int steps, int hiddenSize) => (batch * steps * 4 * hiddenSize) + (batch * (steps + 1) * hiddenSize);

    /// <summary>Scratch floats: <c>dh, dh_prev, dGatesInput, dGatesHidden</c> of one step.</summary>
    public static int ScratchLength(int batch, int steps, int hiddenSize) => RecurrentReferenceMath.ScratchLength(hiddenSize, 3);

    /// <summary>Forward over whole sequences; see <see cref="Gru.Forward"/>.</summary>
    public static void Forward<T>(
        Span<T> output, Span<T> finalState, Span<T> saved, Span<T> scratch,
        ReadOnlySpan<T> input, ReadOnlySpan<T> initialState,
        ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize, bool reverse = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hiddenSize;
        RecurrentReferenceMath.CheckForward(output, finalState, default, saved, scratch, input, initialState, default,
            weightIh, weightHh, biasIh, biasHh, lengths, batch, steps, inputSize, hiddenSize, 3,
            SavedLength(batch, steps, h), ScratchLength(batch, steps, h), hasCell: false);
        output.Clear();
        Span<T> allGates = saved[..(batch * steps * 4 * h)];
        Span<T> allStates = saved[(batch * steps * 4 * h)..];
        for (int b = 0; b < batch; b++)
        {
            int length = lengths.IsEmpty ? steps : lengths[b];
            Span<T> states = allStates.Slice(b * (steps + 1) * h, (steps + 1) * h);
            RecurrentReferenceMath.CopyOrZero(initialState, b, h, states[..h]);
            for (int k = 0; k < length; k++)
            {
                int t = reverse ? length - 1 - k : k;
                ReadOnlySpan<T> x = input.Slice(((b * steps) + t) * inputSize, inputSize);
                ReadOnlySpan<T> previous = states.Slice(k * h, h);
                Span<T> next = states.Slice((k + 1) * h, h);
                Span<T> gates = allGates.Slice(((b * steps) + k) * 4 * h, 4 * h);
                for (int j = 0; j < h; j++)
                {
                    T r = RecurrentReferenceMath.Sigmoid(
                        RecurrentReferenceMath.Affine(weightIh, biasIh, j, x) + RecurrentReferenceMath.Affine(weightHh, biasHh, j, previous));
                    T z = RecurrentReferenceMath.Sigmoid(
                        RecurrentReferenceMath.Affine(weightIh, biasIh, h + j, x) + RecurrentReferenceMath.Affine(weightHh, biasHh, h + j, previous));
                    T hiddenN = RecurrentReferenceMath.Affine(weightHh, biasHh, (2 * h) + j, previous);
                    T n = T.Tanh(RecurrentReferenceMath.Affine(weightIh, biasIh, (2 * h) + j, x) + (r * hiddenN));
                    next[j] = ((T.One - z) * n) + (z * previous[j]);
                    gates[j] = r;
                    gates[h + j] = z;
                    gates[(2 * h) + j] = n;
                    gates[(3 * h) + j] = hiddenN;
                }

                next.CopyTo(output.Slice(((b * steps) + t) * h, h));
            }

            states.Slice(length * h, h).CopyTo(finalState.Slice(b * h, h));
        }
    }

    /// <summary>Backpropagation through time, accumulating into every gradient; see <see cref="Gru.Backward"/>.</summary>
    public static void Backward<T>(
        Span<T> dInput, Span<T> dWeightIh, Span<T> dWeightHh, Span<T> dBiasIh, Span<T> dBiasHh,
        Span<T> dInitialState, Span<T> scratch,
        ReadOnlySpan<T> dOutput, ReadOnlySpan<T> dFinalState,
        ReadOnlySpan<T> input, ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> saved,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize, bool reverse = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hiddenSize;
        RecurrentReferenceMath.CheckBackward(dInput, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dInitialState, default, scratch,
            dOutput, dFinalState, default, input, weightIh, weightHh, saved, lengths, batch, steps, inputSize, hiddenSize, 3,
            SavedLength(batch, steps, h), ScratchLength(batch, steps, h), hasCell: false);
        ReadOnlySpan<T> allGates = saved[..(batch * steps * 4 * h)];
        ReadOnlySpan<T> allStates = saved[(batch * steps * 4 * h)..];
        Span<T> dh = scratch[..h];
        Span<T> dhPrevious = scratch.Slice(h, h);
        Span<T> dGatesInput = scratch.Slice(2 * h, 3 * h);
        Span<T> dGatesHidden = scratch.Slice(5 * h, 3 * h);
        for (int b = 0; b < batch; b++)
        {
            int length = lengths.IsEmpty ? steps : lengths[b];
            ReadOnlySpan<T> states = allStates.Slice(b * (steps + 1) * h, (steps + 1) * h);
            RecurrentReferenceMath.CopyOrZero(dFinalState, b, h, dh);
            for (int k = length - 1; k >= 0; k--)
            {
                int t = reverse ? length - 1 - k : k;
                int row = (b * steps) + t;
                ReadOnlySpan<T> previous = states.Slice(k * h, h);
                ReadOnlySpan<T> gates = allGates.Slice(((b * steps) + k) * 4 * h, 4 * h);
                for (int j = 0; j < h; j++)
                {
                    T r = gates[j], z = gates[h + j], n = gates[(2 * h) + j], hiddenN = gates[(3 * h) + j];
                    T d = dh[j] + dOutput[(row * h) + j];

                    // h' = (1 − z) n + z h_prev
                    T dn = d * (T.One - z);
                    T dz = d * (previous[j] - n);
                    dhPrevious[j] = d * z;

                    // n = tanh(a_n + r · hiddenN)
                    T dPreN = dn * (T.One - (n * n));
                    T dr = dPreN * hiddenN;
                    dGatesInput[j] = dr * r * (T.One - r);
                    dGatesInput[h + j] = dz * z * (T.One - z);
                    dGatesInput[(2 * h) + j] = dPreN;
                    dGatesHidden[j] = dGatesInput[j];
                    dGatesHidden[h + j] = dGatesInput[h + j];
                    dGatesHidden[(2 * h) + j] = dPreN * r;
                }

                RecurrentReferenceMath.AccumulateStep(dInput, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dhPrevious, dGatesInput, dGatesHidden,
                    input, weightIh, weightHh, previous, row, inputSize);
                dhPrevious.CopyTo(dh);
            }

            RecurrentReferenceMath.AddTo(dInitialState, b, h, dh);
        }
    }
}

/// <summary>
/// Plain-loop version of <see cref="Lstm"/>, PyTorch gate order <c>(i, f, g, o)</c>:
/// <c>c' = f c + i g</c>, <c>h' = o tanh(c')</c>.
/// </summary>
public static class LstmReference
{
    /// <summary>Saved floats: gates <c>i, f, g, o</c> per processed step <c>[B, T, 4H]</c>, hidden and cell states <c>[B, T+1, H]</c> each.</summary>
    public static int SavedLength(int batch, int steps, int hiddenSize) => (batch * steps * 4 * hiddenSize) + (2 * batch * (steps + 1) * hiddenSize);

    /// <summary>Scratch floats: <c>dh, dh_prev, dc, dGates</c> of one step.</summary>
    public static int ScratchLength(int batch, int steps, int hiddenSize) => RecurrentReferenceMath.ScratchLength(hiddenSize, 4) + hiddenSize;

    /// <summary>Forward over whole sequences; see <see cref="Lstm.Forward"/>.</summary>
    public static void Forward<T>(
        Span<T> output, Span<T> finalState, Span<T> finalCell, Span<T> saved, Span<T> scratch,
        ReadOnlySpan<T> input, ReadOnlySpan<T> initialState, ReadOnlySpan<T> initialCell,
        ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize, bool reverse = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hiddenSize;
        RecurrentReferenceMath.CheckForward(output, finalState, finalCell, saved, scratch, input, initialState, initialCell,
            weightIh, weightHh, biasIh, biasHh, lengths, batch, steps, inputSize, hiddenSize, 4,
            SavedLength(batch, steps, h), ScratchLength(batch, steps, h), hasCell: true);
        output.Clear();
        int gateFloats = batch * steps * 4 * h, stateFloats = batch * (steps + 1) * h;
        Span<T> allGates = saved[..gateFloats];
        Span<T> allStates = saved.Slice(gateFloats, stateFloats);
        Span<T> allCells = saved.Slice(gateFloats + stateFloats, stateFloats);
        for (int b = 0; b < batch; b++)
        {
            int length = lengths.IsEmpty ? steps : lengths[b];
            Span<T> states = allStates.Slice(b * (steps + 1) * h, (steps + 1) * h);
            Span<T> cells = allCells.Slice(b * (steps + 1) * h, (steps + 1) * h);
            RecurrentReferenceMath.CopyOrZero(initialState, b, h, states[..h]);
            RecurrentReferenceMath.CopyOrZero(initialCell, b, h, cells[..h]);
            for (int k = 0; k < length; k++)
            {
                int t = reverse ? length - 1 - k : k;
                ReadOnlySpan<T> x = input.Slice(((b * steps) + t) * inputSize, inputSize);
                ReadOnlySpan<T> previous = states.Slice(k * h, h);
                Span<T> gates = allGates.Slice(((b * steps) + k) * 4 * h, 4 * h);
                for (int j = 0; j < h; j++)
                {
                    T i = RecurrentReferenceMath.Sigmoid(
                        RecurrentReferenceMath.Affine(weightIh, biasIh, j, x) + RecurrentReferenceMath.Affine(weightHh, biasHh, j, previous));
                    T f = RecurrentReferenceMath.Sigmoid(
                        RecurrentReferenceMath.Affine(weightIh, biasIh, h + j, x) + RecurrentReferenceMath.Affine(weightHh, biasHh, h + j, previous));
                    T g = T.Tanh(
                        RecurrentReferenceMath.Affine(weightIh, biasIh, (2 * h) + j, x) + RecurrentReferenceMath.Affine(weightHh, biasHh, (2 * h) + j, previous));
                    T o = RecurrentReferenceMath.Sigmoid(
                        RecurrentReferenceMath.Affine(weightIh, biasIh, (3 * h) + j, x) + RecurrentReferenceMath.Affine(weightHh, biasHh, (3 * h) + j, previous));
                    T c = (f * cells[(k * h) + j]) + (i * g);
                    cells[((k + 1) * h) + j] = c;
                    states[((k + 1) * h) + j] = o * T.Tanh(c);
                    gates[j] = i;
                    gates[h + j] = f;
                    gates[(2 * h) + j] = g;
                    gates[(3 * h) + j] = o;
                }

                states.Slice((k + 1) * h, h).CopyTo(output.Slice(((b * steps) + t) * h, h));
            }

            states.Slice(length * h, h).CopyTo(finalState.Slice(b * h, h));
            cells.Slice(length * h, h).CopyTo(finalCell.Slice(b * h, h));
        }
    }

    /// <summary>Backpropagation through time, accumulating into every gradient; see <see cref="Lstm.Backward"/>.</summary>
    public static void Backward<T>(
        Span<T> dInput, Span<T> dWeightIh, Span<T> dWeightHh, Span<T> dBiasIh, Span<T> dBiasHh,
        Span<T> dInitialState, Span<T> dInitialCell, Span<T> scratch,
        ReadOnlySpan<T> dOutput, ReadOnlySpan<T> dFinalState, ReadOnlySpan<T> dFinalCell,
        ReadOnlySpan<T> input, ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> saved,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize, bool reverse = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hiddenSize;
        RecurrentReferenceMath.CheckBackward(dInput, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dInitialState, dInitialCell, scratch,
            dOutput, dFinalState, dFinalCell, input, weightIh, weightHh, saved, lengths, batch, steps, inputSize, hiddenSize, 4,
            SavedLength(batch, steps, h), ScratchLength(batch, steps, h), hasCell: true);
        int gateFloats = batch * steps * 4 * h, stateFloats = batch * (steps + 1) * h;
        ReadOnlySpan<T> allGates = saved[..gateFloats];
        ReadOnlySpan<T> allStates = saved.Slice(gateFloats, stateFloats);
        ReadOnlySpan<T> allCells = saved.Slice(gateFloats + stateFloats, stateFloats);
        Span<T> dh = scratch[..h];
        Span<T> dhPrevious = scratch.Slice(h, h);
        Span<T> dGates = scratch.Slice(2 * h, 4 * h);
        Span<T> dc = scratch.Slice(10 * h, h);
        for (int b = 0; b < batch; b++)
        {
            int length = lengths.IsEmpty ? steps : lengths[b];
            ReadOnlySpan<T> states = allStates.Slice(b * (steps + 1) * h, (steps + 1) * h);
            ReadOnlySpan<T> cells = allCells.Slice(b * (steps + 1) * h, (steps + 1) * h);
            RecurrentReferenceMath.CopyOrZero(dFinalState, b, h, dh);
            RecurrentReferenceMath.CopyOrZero(dFinalCell, b, h, dc);
            for (int k = length - 1; k >= 0; k--)
            {
                int t = reverse ? length - 1 - k : k;
                int row = (b * steps) + t;
                ReadOnlySpan<T> gates = allGates.Slice(((b * steps) + k) * 4 * h, 4 * h);
                for (int j = 0; j < h; j++)
                {
                    T i = gates[j], f = gates[h + j], g = gates[(2 * h) + j], o = gates[(3 * h) + j];
                    T tanhC = T.Tanh(cells[((k + 1) * h) + j]);
                    T d = dh[j] + dOutput[(row * h) + j];

                    // h' = o tanh(c'); c' = f c + i g
                    T dCell = dc[j] + (d * o * (T.One - (tanhC * tanhC)));
                    dGates[j] = dCell * g * i * (T.One - i);
                    dGates[h + j] = dCell * cells[(k * h) + j] * f * (T.One - f);
                    dGates[(2 * h) + j] = dCell * i * (T.One - (g * g));
                    dGates[(3 * h) + j] = d * tanhC * o * (T.One - o);
                    dc[j] = dCell * f;
                    dhPrevious[j] = T.Zero;
                }

                RecurrentReferenceMath.AccumulateStep(dInput, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dhPrevious, dGates, dGates,
                    input, weightIh, weightHh, states.Slice(k * h, h), row, inputSize);
                dhPrevious.CopyTo(dh);
            }

            RecurrentReferenceMath.AddTo(dInitialState, b, h, dh);
            RecurrentReferenceMath.AddTo(dInitialCell, b, h, dc);
        }
    }
}

/// <summary>Loops shared by the recurrent references.</summary>
internal static class RecurrentReferenceMath
{
    /// <summary><c>dh, dh_prev</c> and two gate vectors of <c>gates·H</c>.</summary>
    internal static int ScratchLength(int hiddenSize, int gates) => (2 * hiddenSize) + (2 * gates * hiddenSize);

    internal static T Sigmoid<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    /// <summary><c>Σ_i W[row, i] · v[i] + bias[row]</c> (bias empty = 0).</summary>
    internal static T Affine<T>(ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int row, ReadOnlySpan<T> v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = bias.IsEmpty ? T.Zero : bias[row];
        for (int i = 0; i < v.Length; i++)
        {
            sum += weight[(row * v.Length) + i] * v[i];
        }

        return sum;
    }

    /// <summary>
    /// Adds one step's contributions given the gate pre-activation gradients seen from the input side and the hidden side:
    /// <c>dW_ih += dGx xᵀ</c>, <c>db_ih += dGx</c>, <c>dx += W_ihᵀ dGx</c>, <c>dW_hh += dGh h_prevᵀ</c>, <c>db_hh += dGh</c>,
    /// <c>dh_prev += W_hhᵀ dGh</c>.
    /// </summary>
    internal static void AccumulateStep<T>(
        Span<T> dInput, Span<T> dWeightIh, Span<T> dWeightHh, Span<T> dBiasIh, Span<T> dBiasHh, Span<T> dhPrevious,
        ReadOnlySpan<T> dGatesInput, ReadOnlySpan<T> dGatesHidden,
        ReadOnlySpan<T> input, ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> previous, int row, int inputSize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = previous.Length;
        ReadOnlySpan<T> x = input.Slice(row * inputSize, inputSize);
        for (int q = 0; q < dGatesInput.Length; q++)
        {
            if (!dBiasIh.IsEmpty)
            {
                dBiasIh[q] += dGatesInput[q];
            }

            if (!dBiasHh.IsEmpty)
            {
                dBiasHh[q] += dGatesHidden[q];
            }

            for (int i = 0; i < inputSize; i++)
            {
                dWeightIh[(q * inputSize) + i] += dGatesInput[q] * x[i];
                if (!dInput.IsEmpty)
                {
                    dInput[(row * inputSize) + i] += dGatesInput[q] * weightIh[(q * inputSize) + i];
                }
            }

            for (int j = 0; j < h; j++)
            {
                dWeightHh[(q * h) + j] += dGatesHidden[q] * previous[j];
                dhPrevious[j] += dGatesHidden[q] * weightHh[(q * h) + j];
            }
        }
    }

    internal static void CopyOrZero<T>(ReadOnlySpan<T> source, int b, int h, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (source.IsEmpty)
        {
            destination.Clear();
        }
        else
        {
            source.Slice(b * h, h).CopyTo(destination);
        }
    }

    internal static void AddTo<T>(Span<T> destination, int b, int h, ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (destination.IsEmpty)
        {
            return;
        }

        for (int j = 0; j < h; j++)
        {
            destination[(b * h) + j] += values[j];
        }
    }

    internal static void CheckForward<T>(
        Span<T> output, Span<T> finalState, Span<T> finalCell, Span<T> saved, Span<T> scratch,
        ReadOnlySpan<T> input, ReadOnlySpan<T> initialState, ReadOnlySpan<T> initialCell,
        ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize, int gates,
        int savedLength, int scratchLength, bool hasCell)
    {
        CheckDimensions(batch, steps, inputSize, hiddenSize);
        long bh = (long)batch * hiddenSize, gh = (long)gates * hiddenSize;
        Guard.Length(output, bh * steps);
        Guard.Length(finalState, bh);
        Guard.Length(saved, savedLength);
        Guard.Length(scratch, scratchLength);
        Guard.Length(input, (long)batch * steps * inputSize);
        Optional(initialState, bh);
        if (hasCell)
        {
            Guard.Length(finalCell, bh);
            Optional(initialCell, bh);
        }

        Guard.Length(weightIh, gh * inputSize);
        Guard.Length(weightHh, gh * hiddenSize);
        Optional(biasIh, gh);
        Optional(biasHh, gh);
        Recurrent.CheckLengths(lengths, batch, steps);
    }

    internal static void CheckBackward<T>(
        Span<T> dInput, Span<T> dWeightIh, Span<T> dWeightHh, Span<T> dBiasIh, Span<T> dBiasHh,
        Span<T> dInitialState, Span<T> dInitialCell, Span<T> scratch,
        ReadOnlySpan<T> dOutput, ReadOnlySpan<T> dFinalState, ReadOnlySpan<T> dFinalCell,
        ReadOnlySpan<T> input, ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> saved,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize, int gates,
        int savedLength, int scratchLength, bool hasCell)
    {
        CheckDimensions(batch, steps, inputSize, hiddenSize);
        long bh = (long)batch * hiddenSize, gh = (long)gates * hiddenSize;
        Optional(dInput, (long)batch * steps * inputSize);
        Guard.Length(dWeightIh, gh * inputSize);
        Guard.Length(dWeightHh, gh * hiddenSize);
        Optional(dBiasIh, gh);
        Optional(dBiasHh, gh);
        Optional(dInitialState, bh);
        Guard.Length(scratch, scratchLength);
        Guard.Length(dOutput, bh * steps);
        Optional(dFinalState, bh);
        if (hasCell)
        {
            Optional(dInitialCell, bh);
            Optional(dFinalCell, bh);
        }

        Guard.Length(input, (long)batch * steps * inputSize);
        Guard.Length(weightIh, gh * inputSize);
        Guard.Length(weightHh, gh * hiddenSize);
        Guard.Length(saved, savedLength);
        Recurrent.CheckLengths(lengths, batch, steps);
    }

    private static void CheckDimensions(int batch, int steps, int inputSize, int hiddenSize)
    {
        Guard.Positive(batch);
        Guard.Positive(steps);
        Guard.Positive(inputSize);
        Guard.Positive(hiddenSize);
    }

    private static void Optional<T>(ReadOnlySpan<T> span, long expected, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (!span.IsEmpty)
        {
            Guard.Length(span, expected, name);
        }
    }

    private static void Optional<T>(Span<T> span, long expected, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(span))] string? name = null) =>
        Optional((ReadOnlySpan<T>)span, expected, name);
}
