using System;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// The parameters of <see cref="RecurrentDecoderReference"/> in any element type, or their gradients: the same names,
/// shapes and rules as <see cref="RecurrentDecoderParameters"/>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly ref struct RecurrentDecoderReferenceWeights<T>
    where T : unmanaged
{
    /// <summary><c>W_ih [G·H, I]</c>.</summary>
    public Span<T> WeightIh { get; init; }

    /// <summary><c>W_hh [G·H, H]</c>.</summary>
    public Span<T> WeightHh { get; init; }

    /// <summary><c>b_ih [G·H]</c>, or empty.</summary>
    public Span<T> BiasIh { get; init; }

    /// <summary><c>b_hh [G·H]</c>, or empty.</summary>
    public Span<T> BiasHh { get; init; }

    /// <summary>Bahdanau's <c>W [A, H]</c>.</summary>
    public Span<T> StateWeight { get; init; }

    /// <summary>Bahdanau's <c>U [A, M]</c> or Luong general's <c>W_a [H, M]</c>.</summary>
    public Span<T> MemoryWeight { get; init; }

    /// <summary>Bahdanau's <c>v [A]</c>.</summary>
    public Span<T> ScoreVector { get; init; }

    /// <summary>Luong's <c>W_c [H, M + H]</c>.</summary>
    public Span<T> CombineWeight { get; init; }
}
