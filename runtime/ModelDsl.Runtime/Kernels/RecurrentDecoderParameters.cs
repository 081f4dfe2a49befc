using System;

namespace ModelDsl.Kernels;

/// <summary>
/// The parameters of a <see cref="RecurrentDecoder"/>, as spans into the model's parameter block. A parameter the
/// configured mode does not use must be empty.
/// </summary>
/// <remarks>
/// Shapes (row-major, PyTorch layout), with G the gate count, I the cell input width (E, or E + M for Bahdanau):
/// cell <c>W_ih [G·H, I]</c>, <c>W_hh [G·H, H]</c>, <c>b_ih [G·H]</c>, <c>b_hh [G·H]</c>; Bahdanau <c>W [A, H]</c>
/// (<see cref="StateWeight"/>), <c>U [A, M]</c> (<see cref="MemoryWeight"/>), <c>v [A]</c> (<see cref="ScoreVector"/>);
/// Luong general <c>W_a [H, M]</c> (<see cref="MemoryWeight"/>); Luong <c>W_c [H, M + H]</c> (<see cref="CombineWeight"/>).
/// None of the attention weights has a bias. For Bahdanau the first E columns of <c>W_ih</c> multiply <c>x_t</c> and the
/// last M multiply <c>c_t</c>, as <c>nn.GRUCell(E + M, H)</c> does on <c>torch.cat([x, c], -1)</c>.
/// </remarks>
public readonly ref struct RecurrentDecoderParameters
{
    /// <summary><c>W_ih [G·H, I]</c>.</summary>
    public ReadOnlySpan<float> WeightIh { get; init; }

    /// <summary><c>W_hh [G·H, H]</c>.</summary>
    public ReadOnlySpan<float> WeightHh { get; init; }

    /// <summary><c>b_ih [G·H]</c>, or empty for none.</summary>
    public ReadOnlySpan<float> BiasIh { get; init; }

    /// <summary><c>b_hh [G·H]</c>, or empty for none.</summary>
    public ReadOnlySpan<float> BiasHh { get; init; }

    /// <summary>Bahdanau's <c>W [A, H]</c>, applied to the previous state; empty for the other modes.</summary>
    public ReadOnlySpan<float> StateWeight { get; init; }

    /// <summary>
    /// The projection of the memory: Bahdanau's <c>U [A, M]</c> or Luong general's <c>W_a [H, M]</c>; empty for the other
    /// modes.
    /// </summary>
    public ReadOnlySpan<float> MemoryWeight { get; init; }

    /// <summary>Bahdanau's <c>v [A]</c>; empty for the other modes.</summary>
    public ReadOnlySpan<float> ScoreVector { get; init; }

    /// <summary>Luong's <c>W_c [H, M + H]</c> (columns: context first, then state); empty for the other modes.</summary>
    public ReadOnlySpan<float> CombineWeight { get; init; }
}
