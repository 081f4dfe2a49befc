using System;
using System.Numerics.Tensors;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// LSTM layer with PyTorch <c>nn.LSTM</c> semantics and gate layout <c>(i, f, g, o)</c>, one layer and one direction per call:
/// <c>i, f, o = σ(W_i· x + b_i· + W_h· h + b_h·)</c>, <c>g = tanh(W_ig x + b_ig + W_hg h + b_hg)</c>,
/// <c>c' = f ⊙ c + i ⊙ g</c>, <c>h' = o ⊙ tanh(c')</c>.
/// </summary>
/// <remarks>
/// <para>Shapes: input <c>x [B, T, I]</c> (batch-first), <c>W_ih [4H, I]</c> (blocks i, f, g, o), <c>W_hh [4H, H]</c>, <c>b_ih [4H]</c>,
/// <c>b_hh [4H]</c>, output <c>y [B, T, H]</c>, states <c>[B, H]</c>. Stacked and bidirectional layers are built by the
/// caller, one call per layer and direction (a reverse layer's output is concatenated after the forward one's, as in PyTorch).</para>
/// <para>Lengths follow packed sequences: sequence <c>b</c> runs over positions <c>[0, lengths[b])</c>, from 0 up or, when
/// <c>reverse</c>, from <c>lengths[b]−1</c> down to 0; padded positions of <c>y</c> are zero; the final state is the state
/// after the last processed position (for <c>reverse</c>, after position 0); a length of 0 returns the initial state.</para>
/// <para>The input projection of all steps is one GEMM; each step is one <c>[B, H]·W_hhᵀ</c> GEMM and vectorized gate math. 0 bytes allocated.</para>
/// </remarks>
public static class Lstm
{
    /// <summary>Floats of saved activations that <see cref="Forward"/> writes and <see cref="Backward"/> reads: <c>B·T·5H</c> (i, f, g, o, <c>tanh(c)</c>) plus <c>2·B·(T+1)·H</c> hidden and cell states.</summary>
    public static int SavedLength(int batch, int steps, int hiddenSize) => Recurrent.SavedLength<LstmCell>(batch, steps, hiddenSize);

    /// <summary>Floats of scratch memory for <see cref="Forward"/> and <see cref="Backward"/>: <c>2·B·H + B·4H + B·T·4H + 4H·H</c>.</summary>
    public static int ScratchLength(int batch, int steps, int hiddenSize) => Recurrent.ScratchLength<LstmCell>(batch, steps, hiddenSize);

    /// <summary>Runs the layer over whole sequences.</summary>
    /// <param name="output"><c>y [B, T, H]</c>; zero at padded positions.</param>
    /// <param name="finalState"><c>h_n [B, H]</c>: the state after each sequence's last processed position.</param>
    /// <param name="finalCell"><c>c_n [B, H]</c>: the cell state after each sequence's last processed position.</param>
    /// <param name="saved">Activations for <see cref="Backward"/>, <see cref="SavedLength"/> floats.</param>
    /// <param name="scratch">Work memory, <see cref="ScratchLength"/> floats; its content is not needed afterwards.</param>
    /// <param name="input"><c>x [B, T, I]</c>; padded positions are never read.</param>
    /// <param name="initialState"><c>h_0 [B, H]</c>, or empty for zeros.</param>
    /// <param name="initialCell"><c>c_0 [B, H]</c>, or empty for zeros.</param>
    /// <param name="weightIh"><c>W_ih [4H, I]</c>.</param>
    /// <param name="weightHh"><c>W_hh [4H, H]</c>.</param>
    /// <param name="biasIh"><c>b_ih [4H]</c>, or empty for none.</param>
    /// <param name="biasHh"><c>b_hh [4H]</c>, or empty for none.</param>
    /// <param name="lengths">Valid length of each sequence, each in <c>[0, T]</c>, or empty for all <c>T</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="inputSize">I.</param>
    /// <param name="hiddenSize">H.</param>
    /// <param name="reverse">Run each sequence from its last valid position to its first (the backward half of a bidirectional layer).</param>
    /// <param name="pool">Threads for the matrix multiplies; null runs on the calling thread.</param>
    public static void Forward(
        Span<float> output, Span<float> finalState, Span<float> finalCell, Span<float> saved, Span<float> scratch,
        ReadOnlySpan<float> input, ReadOnlySpan<float> initialState, ReadOnlySpan<float> initialCell,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize,
        bool reverse = false, WorkerPool? pool = null) =>
        Recurrent.Forward<LstmCell>(output, finalState, finalCell, saved, scratch, input, initialState, initialCell,
            weightIh, weightHh, biasIh, biasHh, lengths, batch, steps, inputSize, hiddenSize, reverse, pool);

    /// <summary>Backpropagation through time; accumulates (<c>+=</c>) into every gradient.</summary>
    /// <param name="dInput"><c>dx [B, T, I]</c>, or empty to skip; padded positions receive zero.</param>
    /// <param name="dWeightIh"><c>dW_ih [4H, I]</c>.</param>
    /// <param name="dWeightHh"><c>dW_hh [4H, H]</c>.</param>
    /// <param name="dBiasIh"><c>db_ih [4H]</c>, or empty to skip.</param>
    /// <param name="dBiasHh"><c>db_hh [4H]</c>, or empty to skip.</param>
    /// <param name="dInitialState"><c>dh_0 [B, H]</c>, or empty to skip.</param>
    /// <param name="dInitialCell"><c>dc_0 [B, H]</c>, or empty to skip.</param>
    /// <param name="scratch">Work memory, <see cref="ScratchLength"/> floats.</param>
    /// <param name="dOutput"><c>dy [B, T, H]</c>; padded positions are ignored.</param>
    /// <param name="dFinalState"><c>dh_n [B, H]</c>, or empty for zeros.</param>
    /// <param name="dFinalCell"><c>dc_n [B, H]</c>, or empty for zeros.</param>
    /// <param name="input">The forward's <c>x [B, T, I]</c>.</param>
    /// <param name="weightIh">The forward's <c>W_ih [4H, I]</c>.</param>
    /// <param name="weightHh">The forward's <c>W_hh [4H, H]</c>.</param>
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
        Span<float> dInitialState, Span<float> dInitialCell, Span<float> scratch,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> dFinalState, ReadOnlySpan<float> dFinalCell,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> saved,
        ReadOnlySpan<int> lengths, int batch, int steps, int inputSize, int hiddenSize,
        bool reverse = false, WorkerPool? pool = null) =>
        Recurrent.Backward<LstmCell>(dInput, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dInitialState, dInitialCell, scratch,
            dOutput, dFinalState, dFinalCell, input, weightIh, weightHh, saved, lengths, batch, steps, inputSize, hiddenSize, reverse, pool);
}

/// <summary>LSTM step. Saves <c>i, f, g, o</c> after their activations and <c>tanh(c')</c>.</summary>
internal readonly struct LstmCell : IRecurrentCell
{
    public static int GateCount => 4;

    public static int SavedGateWidth => 5;

    public static bool HasCellState => true;

    public static bool SeparateHiddenGradient => false;

    public static void ForwardRow(Span<float> gates, ReadOnlySpan<float> hidden, Span<float> h, Span<float> c)
    {
        int size = h.Length;
        Span<float> preActivation = gates[..(4 * size)];
        TensorPrimitives.Add(preActivation, hidden, preActivation);
        Span<float> inputForget = gates[..(2 * size)];
        TensorPrimitives.Sigmoid(inputForget, inputForget);
        Span<float> i = gates[..size];
        Span<float> f = gates.Slice(size, size);
        Span<float> g = gates.Slice(2 * size, size);
        Span<float> o = gates.Slice(3 * size, size);
        Span<float> tanhC = gates.Slice(4 * size, size);
        TensorPrimitives.Tanh(g, g);
        TensorPrimitives.Sigmoid(o, o);

        // c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c')
        TensorPrimitives.Multiply(f, c, c);
        TensorPrimitives.MultiplyAdd(i, g, c, c);
        TensorPrimitives.Tanh(c, tanhC);
        TensorPrimitives.Multiply(o, tanhC, h);
    }

    public static void BackwardRow(
        Span<float> dGateInput, Span<float> dGateHidden, Span<float> dh, Span<float> dc,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> gates,
        ReadOnlySpan<float> hPrevious, ReadOnlySpan<float> hAfter, ReadOnlySpan<float> cPrevious)
    {
        int size = dh.Length;
        for (int j = 0; j < size; j++)
        {
            float i = gates[j], f = gates[size + j], g = gates[(2 * size) + j], o = gates[(3 * size) + j];
            float tanhC = gates[(4 * size) + j];
            float d = dh[j] + dOutput[j];
            float dCell = dc[j] + (d * o * (1f - (tanhC * tanhC)));
            float dPreI = dCell * g * i * (1f - i);
            float dPreF = dCell * cPrevious[j] * f * (1f - f);
            float dPreG = dCell * i * (1f - (g * g));
            float dPreO = d * tanhC * o * (1f - o);
            dGateInput[j] = dPreI;
            dGateInput[size + j] = dPreF;
            dGateInput[(2 * size) + j] = dPreG;
            dGateInput[(3 * size) + j] = dPreO;
            dGateHidden[j] = dPreI;
            dGateHidden[size + j] = dPreF;
            dGateHidden[(2 * size) + j] = dPreG;
            dGateHidden[(3 * size) + j] = dPreO;
            dc[j] = dCell * f;
            dh[j] = 0f;
        }
    }
}
