using System;

namespace ModelDsl.Kernels;

/// <summary>
/// The parameter gradients of a <see cref="RecurrentDecoder"/>, which <see cref="RecurrentDecoder.Backward"/> accumulates
/// (<c>+=</c>) into: same names and shapes as <see cref="RecurrentDecoderParameters"/>. The gradient of a parameter the
/// configured mode does not use must be empty.
/// </summary>
public readonly ref struct RecurrentDecoderGradients
{
    /// <summary><c>dW_ih [G·H, I]</c>.</summary>
    public Span<float> WeightIh { get; init; }

    /// <summary><c>dW_hh [G·H, H]</c>.</summary>
    public Span<float> WeightHh { get; init; }

    /// <summary><c>db_ih [G·H]</c>, or empty to skip.</summary>
    public Span<float> BiasIh { get; init; }

    /// <summary><c>db_hh [G·H]</c>, or empty to skip.</summary>
    public Span<float> BiasHh { get; init; }

    /// <summary>Bahdanau's <c>dW [A, H]</c>; empty for the other modes.</summary>
    public Span<float> StateWeight { get; init; }

    /// <summary>Bahdanau's <c>dU [A, M]</c> or Luong general's <c>dW_a [H, M]</c>; empty for the other modes.</summary>
    public Span<float> MemoryWeight { get; init; }

    /// <summary>Bahdanau's <c>dv [A]</c>; empty for the other modes.</summary>
    public Span<float> ScoreVector { get; init; }

    /// <summary>Luong's <c>dW_c [H, M + H]</c>; empty for the other modes.</summary>
    public Span<float> CombineWeight { get; init; }
}
