using System;
using System.Numerics.Tensors;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// GRU layer with PyTorch <c>nn.GRU</c> semantics and gate layout <c>(r, z, n)</c>, one layer and one direction per call:
/// <c>r = σ(W_ir x + b_ir + W_hr h + b_hr)</c>, <c>z = σ(W_iz x + b_iz + W_hz h + b_hz)</c>,
/// <c>n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))</c>, <c>h' = (1 − z) ⊙ n + z ⊙ h</c>.
/// </summary>
/// <remarks>
/// <para>Shapes: input <c>x [B, T, I]</c> (batch-first), <c>W_ih [3H, I]</c> (blocks r, z, n), <c>W_hh [3H, H]</c>, <c>b_ih [3H]</c>,
/// <c>b_hh [3H]</c>, output <c>y [B, T, H]</c>, states <c>[B, H]</c>. Stacked and bidirectional layers are built by the
/// caller, one call per layer and direction (a reverse layer's output is concatenated after the forward one's, as in PyTorch).</para>
/// <para>Lengths follow packed sequences: sequence <c>b</c> runs over positions <c>[0, lengths[b])</c>, from 0 up or, when
/// <c>reverse</c>, from <c>lengths[b]−1</c> down to 0; padded positions of <c>y</c> are zero; the final state is the state
/// after the last processed position (for <c>reverse</c>, after position 0); a length of 0 returns the initial state.</para>
/// <para>The input projection of all steps is one GEMM; each step is one <c>[B, H]·W_hhᵀ</c> GEMM and vectorized gate math. 0 bytes allocated.</para>
/// </remarks>
public static class Gru
{
    /// <summary>Floats of saved activations that <see cref="Forward"/> writes and <see cref="Backward"/> reads: <c>B·T·4H</c> (r, z, n, <c>W_hn h + b_hn</c>) plus <c>B·(T+1)·H</c> states.</summary>
    public static int SavedLength(int batch, int steps, int hiddenSize) => Recurrent.SavedLength<GruCell>(batch, steps, hiddenSize);

    /// <summary>Floats of scratch memory for <see cref="Forward"/> and <see cref="Backward"/>: <c>B·H + B·3H + 2·B·T·3H + 3H·H</c>.</summary>
    public static int ScratchLength(int batch, int steps, int hiddenSize) => Recurrent.ScratchLength<GruCell>(batch, steps, hiddenSize);

    /// <summary>Runs the layer over whole sequences.</summary>
    /// <param name="output"><c>y [B, T, H]</c>; zero at padded positions.</param>
    /// <param name="finalState"><c>h_n [B, H]</c>: the state after each sequence's last processed position.</param>
    /// <param name="saved">Activations for <see cref="Backward"/>, <see cref="SavedLength"/> floats.</param>
    /// <param name="scratch">Work memory, <see cref="ScratchLength"/> floats; its content is not needed afterwards.</param>
    /// <param name="input"><c>x [B, T, I]</c>; padded positions are never read.</param>
    /// <param name="initialState"><c>h_0 [B, H]</c>, or empty for zeros.</param>
    /// <param name="weightIh"><c>W_ih [3H, I]</c>.</param>
    /// <param name="weightHh"><c>W_hh [3H, H]</c>.</param>
    /// <param name="biasIh"><c>b_ih [3H]</c>, or empty for none.</param>
    /// <param name="biasHh"><c>b_hh [3H]</c>, or empty for none.</param>
    /// <param name="lengths">Valid length of each sequence, each in <c>[0, T]</c>, or empty for all <c>T</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="inputSize">I.</param>
    /// <param name="hiddenSize">H.</param>
    /// <param name="reverse">Run each sequence from its last valid position to its first (the backward half of a bidirectional layer).</param>
    /// <param name="pool">Threads for the matrix multiplies; null runs on the calling thread.</param>
    public static void Forward(
        Span<float> output, Span<float> finalState, Span<float> saved, Span<float> scratch,
        ReadOnlySpan<float> input, ReadOnlySpan<float> initialState,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize,
        bool reverse = false, WorkerPool? pool = null) =>
        Recurrent.Forward<GruCell>(output, finalState, default, saved, scratch, input, initialState, default,
            weightIh, weightHh, biasIh, biasHh, lengths, batch, steps, inputSize, hiddenSize, reverse, pool);

    /// <summary>Backpropagation through time; accumulates (<c>+=</c>) into every gradient.</summary>
    /// <param name="dInput"><c>dx [B, T, I]</c>, or empty to skip; padded positions receive zero.</param>
    /// <param name="dWeightIh"><c>dW_ih [3H, I]</c>.</param>
    /// <param name="dWeightHh"><c>dW_hh [3H, H]</c>.</param>
    /// <param name="dBiasIh"><c>db_ih [3H]</c>, or empty to skip.</param>
    /// <param name="dBiasHh"><c>db_hh [3H]</c>, or empty to skip.</param>
    /// <param name="dInitialState"><c>dh_0 [B, H]</c>, or empty to skip.</param>
    /// <param name="scratch">Work memory, <see cref="ScratchLength"/> floats.</param>
    /// <param name="dOutput"><c>dy [B, T, H]</c>; padded positions are ignored.</param>
    /// <param name="dFinalState"><c>dh_n [B, H]</c>, or empty for zeros.</param>
    /// <param name="input">The forward's <c>x [B, T, I]</c>.</param>
    /// <param name="weightIh">The forward's <c>W_ih [3H, I]</c>.</param>
    /// <param name="weightHh">The forward's <c>W_hh [3H, H]</c>.</param>
    /// <param name="saved">What <see cref="Forward"/> saved.</param>
    /// <param name="lengths">The forward's lengths.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="inputSize">I.</param>
    /// <param name="hiddenSize">H.</param>
    /// <param name="reverse">The forward's direction.</param>
    /// <param name="pool">Threads for the matrix multiplies; null runs on the calling thread.</param>
    public static void Backward(
        Span<float> dInput, Span<float> dWeightIh, Span<float> dWeightHh, Span<float> dBiasIh, Span<float> dBiasHh,
        Span<float> dInitialState, Span<float> scratch,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> dFinalState,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> saved,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize,
        bool reverse = false, WorkerPool? pool = null) =>
        Recurrent.Backward<GruCell>(dInput, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dInitialState, default, scratch,
            dOutput, dFinalState, default, input, weightIh, weightHh, saved, lengths, batch, steps, inputSize, hiddenSize, reverse, pool);
}

/// <summary>GRU step. Saves <c>r, z, n</c> and <c>W_hn h + b_hn</c> (needed for <c>∂n/∂r</c>).</summary>
internal readonly struct GruCell : IRecurrentCell
{
    public static int GateCount => 3;

    public static int SavedGateWidth => 4;

    public static bool HasCellState => false;

    public static bool SeparateHiddenGradient => true;

    public static void ForwardRow(Span<float> gates, ReadOnlySpan<float> hidden, Span<float> h, Span<float> c)
    {
        int size = h.Length;
        Span<float> rz = gates[..(2 * size)];
        TensorPrimitives.Add(rz, hidden[..(2 * size)], rz);
        TensorPrimitives.Sigmoid(rz, rz);
        Span<float> r = gates[..size];
        Span<float> z = gates.Slice(size, size);
        Span<float> n = gates.Slice(2 * size, size);
        Span<float> hiddenN = gates.Slice(3 * size, size);
        hidden.Slice(2 * size, size).CopyTo(hiddenN);
        TensorPrimitives.MultiplyAdd(r, hiddenN, n, n);
        TensorPrimitives.Tanh(n, n);

        // h' = (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)
        TensorPrimitives.Subtract(h, n, h);
        TensorPrimitives.MultiplyAdd(h, z, n, h);
    }

    public static void BackwardRow(
        Span<float> dGateInput, Span<float> dGateHidden, Span<float> dh, Span<float> dc,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> gates,
        ReadOnlySpan<float> hPrevious, ReadOnlySpan<float> hAfter, ReadOnlySpan<float> cPrevious)
    {
        int size = dh.Length;
        for (int j = 0; j < size; j++)
        {
            float r = gates[j], z = gates[size + j], n = gates[(2 * size) + j], hiddenN = gates[(3 * size) + j];
            float d = dh[j] + dOutput[j];
            float dPreN = d * (1f - z) * (1f - (n * n));
            float dPreR = dPreN * hiddenN * r * (1f - r);
            float dPreZ = d * (hPrevious[j] - n) * z * (1f - z);
            dGateInput[j] = dPreR;
            dGateInput[size + j] = dPreZ;
            dGateInput[(2 * size) + j] = dPreN;
            dGateHidden[j] = dPreR;
            dGateHidden[size + j] = dPreZ;
            dGateHidden[(2 * size) + j] = dPreN * r;
            dh[j] = d * z;
        }
    }
}
