using System;

namespace ModelDsl.Kernels;

/// <summary>
/// The static shape of a <see cref="RecurrentDecoder"/>: its cell, its attention and its widths. Batch, target length and
/// source length are run-time arguments of each call.
/// </summary>
/// <remarks>
/// Widths: E = <see cref="InputSize"/> (the embedded decoder input), H = <see cref="HiddenSize"/> (the state),
/// M = <see cref="MemorySize"/> (one encoder state), A = <see cref="AttentionSize"/> (the attention width of Bahdanau and
/// Luong concat).
/// A width a mode does not use must be 0, so a mix-up shows at construction.
/// </remarks>
public readonly struct RecurrentDecoderConfig : IEquatable<RecurrentDecoderConfig>
{
    /// <summary>Checks and stores the shape.</summary>
    /// <param name="cell">The recurrent cell.</param>
    /// <param name="attention">The attention over the memory.</param>
    /// <param name="inputSize">E, the width of an embedded decoder input.</param>
    /// <param name="hiddenSize">H, the width of the state.</param>
    /// <param name="memorySize">M, the width of an encoder state; 0 with <see cref="DecoderAttention.None"/>, H with <see cref="DecoderAttention.LuongDot"/>.</param>
    /// <param name="attentionSize">A, the width of <c>W s + U h</c> (Bahdanau, Luong concat); 0 for the other modes.</param>
    public RecurrentDecoderConfig(RecurrentDecoderCell cell, DecoderAttention attention, int inputSize, int hiddenSize, int memorySize = 0, int attentionSize = 0)
    {
        Cell = cell;
        Attention = attention;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        MemorySize = memorySize;
        AttentionSize = attentionSize;
        Check();
    }

    /// <summary>The recurrent cell.</summary>
    public RecurrentDecoderCell Cell { get; }

    /// <summary>The attention over the memory.</summary>
    public DecoderAttention Attention { get; }

    /// <summary>E, the width of an embedded decoder input.</summary>
    public int InputSize { get; }

    /// <summary>H, the width of the state.</summary>
    public int HiddenSize { get; }

    /// <summary>M, the width of an encoder state (0 without attention).</summary>
    public int MemorySize { get; }

    /// <summary>A, the attention width of Bahdanau and Luong concat (0 for the other modes).</summary>
    public int AttentionSize { get; }

    /// <summary>Gate blocks stacked in <c>W_ih</c> and <c>W_hh</c>: G = 1 (RNN), 3 (GRU), 4 (LSTM).</summary>
    public int GateCount => Cell switch
    {
        RecurrentDecoderCell.Gru => 3,
        RecurrentDecoderCell.Lstm => 4,
        _ => 1,
    };

    /// <summary>Whether the cell carries a memory cell <c>c</c> beside the state (LSTM).</summary>
    public bool HasCellState => Cell == RecurrentDecoderCell.Lstm;

    /// <summary>The cell's input width I: E + M for Bahdanau (the input is <c>[x_t; c_t]</c>), else E. <c>W_ih</c> is <c>[G·H, I]</c>.</summary>
    public int CellInputSize => Attention == DecoderAttention.Bahdanau ? InputSize + MemorySize : InputSize;

    /// <summary>The width of an output row: H + M for Bahdanau (<c>[s_t; c_t]</c>), else H.</summary>
    public int OutputSize => Attention == DecoderAttention.Bahdanau ? HiddenSize + MemorySize : HiddenSize;

    /// <summary>
    /// The width of one projected encoder state that <see cref="RecurrentDecoder.ProjectMemory"/> computes once per source:
    /// A for Bahdanau and Luong concat (<c>U h_j</c>), H for Luong general (<c>W_a h_j</c>), 0 otherwise.
    /// </summary>
    public int ProjectedMemorySize => Attention switch
    {
        DecoderAttention.Bahdanau or DecoderAttention.LuongConcat => AttentionSize,
        DecoderAttention.LuongGeneral => HiddenSize,
        _ => 0,
    };

    /// <summary>Whether the mode scores with <c>vᵀ tanh(W s + U h_j)</c> (Bahdanau, Luong concat), so it has an attention width A.</summary>
    public bool HasAttentionSize => Attention is DecoderAttention.Bahdanau or DecoderAttention.LuongConcat;

    /// <summary>Whether the mode is one of Luong's: attention after the recurrence from <c>s_t</c>, output <c>tanh(W_c [c_t; s_t])</c>.</summary>
    public bool IsLuong => Attention is DecoderAttention.LuongDot or DecoderAttention.LuongGeneral or DecoderAttention.LuongConcat;

    /// <summary>Whether two shapes are the same.</summary>
    /// <param name="left">One shape.</param>
    /// <param name="right">The other.</param>
    public static bool operator ==(RecurrentDecoderConfig left, RecurrentDecoderConfig right) => left.Equals(right);

    /// <summary>Whether two shapes differ.</summary>
    /// <param name="left">One shape.</param>
    /// <param name="right">The other.</param>
    public static bool operator !=(RecurrentDecoderConfig left, RecurrentDecoderConfig right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(RecurrentDecoderConfig other) =>
        Cell == other.Cell && Attention == other.Attention && InputSize == other.InputSize && HiddenSize == other.HiddenSize &&
        MemorySize == other.MemorySize && AttentionSize == other.AttentionSize;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RecurrentDecoderConfig other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Cell, Attention, InputSize, HiddenSize, MemorySize, AttentionSize);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Cell} {Attention} E={InputSize} H={HiddenSize} M={MemorySize} A={AttentionSize}";

    /// <summary>Throws unless the shape is valid (a default-constructed config is not).</summary>
    internal void Check()
    {
        if ((uint)Cell > (uint)RecurrentDecoderCell.Lstm)
        {
            throw new ArgumentOutOfRangeException("cell", Cell, "Unknown recurrent cell.");
        }

        if ((uint)Attention > (uint)DecoderAttention.LuongConcat)
        {
            throw new ArgumentOutOfRangeException("attention", Attention, "Unknown decoder attention.");
        }

        Guard.Positive(InputSize, "inputSize");
        Guard.Positive(HiddenSize, "hiddenSize");
        if (Attention == DecoderAttention.None)
        {
            if (MemorySize != 0)
            {
                Throw("memorySize", $"memorySize is {MemorySize}; a decoder without attention reads no memory, so it must be 0.");
            }
        }
        else
        {
            Guard.Positive(MemorySize, "memorySize");
        }

        if (HasAttentionSize)
        {
            Guard.Positive(AttentionSize, "attentionSize");
        }
        else if (AttentionSize != 0)
        {
            Throw("attentionSize", $"attentionSize is {AttentionSize}; only Bahdanau and Luong concat attention have an attention width, so it must be 0.");
        }

        if (Attention == DecoderAttention.LuongDot && MemorySize != HiddenSize)
        {
            Throw("memorySize", $"Luong dot attention scores s_t · h_j, so memorySize ({MemorySize}) must equal hiddenSize ({HiddenSize}).");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Throw(string name, string message) => throw new ArgumentException(message, name);
}
