using System;
using System.Numerics.Tensors;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// A one-layer recurrent decoder (RNN, GRU or LSTM cell) with attention over encoder states, trained with teacher forcing
/// (<see cref="Forward"/> / <see cref="Backward"/> over whole target sequences) and run one position at a time for
/// decoding (<see cref="Step"/>, which gives the same bits as the teacher-forced forward at that position).
/// </summary>
/// <remarks>
/// <para>Definitions (see <see cref="DecoderAttention"/> for the papers): inputs are the embedded decoder inputs
/// <c>x [B, T, E]</c> (teacher forcing: the embeddings of <c>[start, y_1 .. y_{T−1}]</c>), the initial state
/// <c>s_0 [B, H]</c> (and <c>c_0</c> for LSTM; empty means zeros), and the encoder states (the memory)
/// <c>h [B, S, M]</c>.</para>
/// <list type="bullet">
/// <item><see cref="DecoderAttention.None"/>: <c>s_t = cell(x_t, s_{t−1})</c>; <c>o_t = s_t</c> <c>[H]</c>.</item>
/// <item><see cref="DecoderAttention.Bahdanau"/>: <c>e_tj = vᵀ tanh(W s_{t−1} + U h_j)</c>, <c>α_t = softmax(e_t)</c>,
/// <c>c_t = Σ_j α_tj h_j</c>; <c>s_t = cell([x_t; c_t], s_{t−1})</c>; <c>o_t = [s_t; c_t]</c> <c>[H + M]</c>.
/// <c>U h</c> is computed once per source sequence.</item>
/// <item><see cref="DecoderAttention.LuongDot"/> / <see cref="DecoderAttention.LuongGeneral"/>:
/// <c>s_t = cell(x_t, s_{t−1})</c>; score <c>s_t · h_j</c> or <c>s_tᵀ W_a h_j</c>; <c>α_t</c>, <c>c_t</c> as above;
/// <c>o_t = tanh(W_c [c_t; s_t])</c> <c>[H]</c>. No input feeding, so the recurrence runs as one <see cref="Gru"/> /
/// <see cref="Lstm"/> / <see cref="Rnn"/> layer and the attention is batched over all positions.</item>
/// </list>
/// <para>Padding: target position <c>t &gt;= targetLengths[b]</c> is padding (its output row and attention weights are
/// zero, its input and upstream gradient are never used, it gets zero gradient); source position
/// <c>j &gt;= sourceLengths[b]</c> gets weight 0 and no gradient, and a source length of 0 gives a zero context. Empty
/// length spans mean every position is valid.</para>
/// <para>Reuse: the cell math is the <c>IRecurrentCell</c> rows of <see cref="Gru"/>, <see cref="Lstm"/> and
/// <see cref="Rnn"/>; Bahdanau scores are <see cref="AdditiveAttention"/>; the softmax and context are
/// <see cref="SingleQueryAttention"/>'s; Luong's output is a <see cref="Linear"/> with a tanh epilogue; every projection
/// is a <see cref="Gemm"/>. After the caller's buffers are sized with <see cref="SavedLength"/>,
/// <see cref="ScratchLength"/> and <see cref="StepScratchLength"/>, no call allocates.</para>
/// <para>Exactness of <see cref="Step"/>: each step runs the same operations as the teacher-forced forward at that
/// position (GEMM results do not depend on the row count or the thread count, element-wise operations run row by
/// row), so greedy decoding with the gold prefix reproduces the forward bit for bit.</para>
/// </remarks>
public static unsafe partial class RecurrentDecoder
{
    /// <summary>
    /// Floats of saved activations that <see cref="Forward"/> writes and <see cref="Backward"/> reads: cell gates and
    /// states, attention weights <c>[B, T, S]</c> (see <see cref="AttentionWeights"/>), Bahdanau's tanh activations
    /// <c>[T, B, S, A]</c> and contexts, or Luong's keys, <c>[c; s]</c> rows and pre-activations.
    /// </summary>
    /// <param name="batch">B.</param>
    /// <param name="steps">T, the (padded) target length.</param>
    /// <param name="sourceLength">S, the (padded) source length; ignored without attention.</param>
    /// <param name="config">The decoder's shape.</param>
    public static int SavedLength(int batch, int steps, int sourceLength, RecurrentDecoderConfig config)
    {
        var d = new Dims(config, batch, steps, sourceLength);
        return config.Attention switch
        {
            DecoderAttention.None => d.RecurrentSaved,
            DecoderAttention.Bahdanau => d.BahdanauSaved,
            _ => d.LuongSaved,
        };
    }

    /// <summary>Floats of scratch memory for <see cref="Forward"/> and <see cref="Backward"/>; its content is not needed between calls.</summary>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="sourceLength">S; ignored without attention.</param>
    /// <param name="config">The decoder's shape.</param>
    public static int ScratchLength(int batch, int steps, int sourceLength, RecurrentDecoderConfig config)
    {
        var d = new Dims(config, batch, steps, sourceLength);
        return config.Attention switch
        {
            DecoderAttention.None => checked(d.RecurrentScratch + d.StateFloats),
            DecoderAttention.Bahdanau => Math.Max(d.BahdanauForwardScratch, d.BahdanauBackwardScratch),
            _ => Math.Max(d.LuongForwardScratch, d.LuongBackwardScratch),
        };
    }

    /// <summary>Floats of scratch memory for one <see cref="Step"/> over <paramref name="rows"/> rows.</summary>
    /// <param name="rows">R, the rows (hypotheses) decoded together.</param>
    /// <param name="sourceLength">S; ignored without attention.</param>
    /// <param name="config">The decoder's shape.</param>
    public static int StepScratchLength(int rows, int sourceLength, RecurrentDecoderConfig config)
    {
        Guard.Positive(rows);
        var d = new Dims(config, rows, 1, sourceLength);
        long r = rows, cell = r * (d.SavedGateWidth + d.GateWidth);
        long attention = config.Attention switch
        {
            DecoderAttention.None => 0,
            DecoderAttention.Bahdanau => r * (d.A + ((long)d.S * d.A) + d.M),
            DecoderAttention.LuongConcat => r * (d.M + d.H + d.H + d.A + d.A),
            _ => r * (d.M + d.H + d.H),
        };
        return checked((int)(cell + attention));
    }

    /// <summary>
    /// The attention weights <c>α [B, T, S]</c> of the last <see cref="Forward"/>, inside <paramref name="saved"/>: zero at
    /// padded target positions and padded keys. Empty without attention.
    /// </summary>
    /// <param name="saved">What <see cref="Forward"/> saved.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="sourceLength">S.</param>
    /// <param name="config">The decoder's shape.</param>
    public static ReadOnlySpan<float> AttentionWeights(ReadOnlySpan<float> saved, int batch, int steps, int sourceLength, RecurrentDecoderConfig config)
    {
        var d = new Dims(config, batch, steps, sourceLength);
        Guard.Length(saved, SavedLength(batch, steps, sourceLength, config));
        return config.Attention switch
        {
            DecoderAttention.None => default,
            DecoderAttention.Bahdanau => saved.Slice(d.BahdanauWeightsOffset, d.B * d.T * d.S),
            _ => saved.Slice(d.LuongWeightsOffset, d.B * d.T * d.S),
        };
    }

    /// <summary>
    /// Projects the memory once per source for <see cref="Step"/>: <c>U h</c> <c>[B, S, A]</c> for Bahdanau,
    /// <c>W_a h</c> <c>[B, S, H]</c> for Luong general (the same GEMM <see cref="Forward"/> runs); nothing for the other
    /// modes, whose <paramref name="projected"/> is empty.
    /// </summary>
    /// <param name="projected"><c>[B, S, ProjectedMemorySize]</c>, overwritten.</param>
    /// <param name="memory">The encoder states <c>h [B, S, M]</c>.</param>
    /// <param name="parameters">The decoder's parameters (<see cref="RecurrentDecoderParameters.MemoryWeight"/> is read).</param>
    /// <param name="batch">B (rows of the memory).</param>
    /// <param name="sourceLength">S.</param>
    /// <param name="config">The decoder's shape.</param>
    /// <param name="pool">Threads for the matrix multiply; null runs on the calling thread.</param>
    public static void ProjectMemory(
        Span<float> projected, ReadOnlySpan<float> memory, in RecurrentDecoderParameters parameters,
        int batch, int sourceLength, RecurrentDecoderConfig config, WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Recurrent);
        var d = new Dims(config, batch, 1, sourceLength);
        Guard.Length(projected, (long)d.B * d.S * d.P);
        if (d.P == 0)
        {
            return;
        }

        Guard.Length(memory, (long)d.B * d.S * d.M);
        Guard.Length(parameters.MemoryWeight, (long)d.P * d.M, "parameters.MemoryWeight");
        Guard.NoOverlap(projected, memory);
        Project(projected, memory, parameters.MemoryWeight, d, d.B, pool);
    }

    /// <summary>Teacher-forced forward over whole target sequences; every output is overwritten.</summary>
    /// <param name="output"><c>o [B, T, OutputSize]</c>; zero at padded positions.</param>
    /// <param name="saved">Activations for <see cref="Backward"/>, <see cref="SavedLength"/> floats.</param>
    /// <param name="scratch">Work memory, <see cref="ScratchLength"/> floats.</param>
    /// <param name="input">The embedded decoder inputs <c>x [B, T, E]</c>.</param>
    /// <param name="initialState"><c>s_0 [B, H]</c>, or empty for zeros.</param>
    /// <param name="initialCell"><c>c_0 [B, H]</c> (LSTM), or empty for zeros; empty for the other cells.</param>
    /// <param name="memory">The encoder states <c>h [B, S, M]</c>; ignored (may be empty) without attention.</param>
    /// <param name="parameters">The decoder's parameters.</param>
    /// <param name="targetLengths">Valid target positions per sequence, each in <c>[0, T]</c>, or empty for all <c>T</c>.</param>
    /// <param name="sourceLengths">Valid source positions per sequence, each in <c>[0, S]</c>, or empty for all <c>S</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="sourceLength">S; ignored without attention.</param>
    /// <param name="config">The decoder's shape.</param>
    /// <param name="pool">Threads for the matrix multiplies and the attention; null runs on the calling thread.</param>
    public static void Forward(
        Span<float> output, Span<float> saved, Span<float> scratch,
        ReadOnlySpan<float> input, ReadOnlySpan<float> initialState, ReadOnlySpan<float> initialCell, ReadOnlySpan<float> memory,
        in RecurrentDecoderParameters parameters, ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths,
        int batch, int steps, int sourceLength, RecurrentDecoderConfig config, WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Recurrent);
        var d = new Dims(config, batch, steps, sourceLength);
        Guard.Length(output, (long)d.B * d.T * d.O);
        Guard.Length(saved, SavedLength(batch, steps, sourceLength, config));
        Guard.Length(scratch, ScratchLength(batch, steps, sourceLength, config));
        Guard.Length(input, (long)d.B * d.T * d.E);
        CheckOptional(initialState, (long)d.B * d.H);
        CheckCell(initialCell, d);
        CheckMemory(memory, d);
        CheckParameters(parameters, d);
        Recurrent.CheckLengths(targetLengths, d.B, d.T);
        CheckSourceLengths(sourceLengths, d);
        Guard.NoOverlap(output, saved);
        Guard.NoOverlap(output, scratch);
        Guard.NoOverlap(saved, scratch);
        Guard.NoOverlap(output, input);
        Guard.NoOverlap(saved, input);

        switch (config.Cell)
        {
            case RecurrentDecoderCell.Rnn:
                Forward<RnnCell>(output, saved, scratch, input, initialState, initialCell, memory, parameters, targetLengths, sourceLengths, d, pool);
                break;
            case RecurrentDecoderCell.Gru:
                Forward<GruCell>(output, saved, scratch, input, initialState, initialCell, memory, parameters, targetLengths, sourceLengths, d, pool);
                break;
            default:
                Forward<LstmCell>(output, saved, scratch, input, initialState, initialCell, memory, parameters, targetLengths, sourceLengths, d, pool);
                break;
        }
    }

    /// <summary>
    /// Backpropagation through time given <c>dL/do</c>; accumulates (<c>+=</c>) into every gradient: the inputs, the
    /// initial state (and cell), the memory (directly, through <c>U h</c> / <c>W_a h</c>, and as attention values) and
    /// every parameter.
    /// </summary>
    /// <param name="dInput"><c>dx [B, T, E]</c>, or empty to skip; padded positions receive zero.</param>
    /// <param name="dInitialState"><c>ds_0 [B, H]</c>, or empty to skip.</param>
    /// <param name="dInitialCell"><c>dc_0 [B, H]</c> (LSTM), or empty to skip.</param>
    /// <param name="dMemory"><c>dh [B, S, M]</c>; padded keys receive zero. Empty without attention.</param>
    /// <param name="gradients">The parameter gradients.</param>
    /// <param name="scratch">Work memory, <see cref="ScratchLength"/> floats.</param>
    /// <param name="dOutput"><c>do [B, T, OutputSize]</c>; padded positions are never read.</param>
    /// <param name="input">The forward's <c>x</c>.</param>
    /// <param name="memory">The forward's memory.</param>
    /// <param name="parameters">The forward's parameters.</param>
    /// <param name="saved">What <see cref="Forward"/> saved.</param>
    /// <param name="targetLengths">The forward's target lengths.</param>
    /// <param name="sourceLengths">The forward's source lengths.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="sourceLength">S.</param>
    /// <param name="config">The decoder's shape.</param>
    /// <param name="pool">Threads for the matrix multiplies and the attention; null runs on the calling thread.</param>
    public static void Backward(
        Span<float> dInput, Span<float> dInitialState, Span<float> dInitialCell, Span<float> dMemory,
        in RecurrentDecoderGradients gradients, Span<float> scratch,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> memory,
        in RecurrentDecoderParameters parameters, ReadOnlySpan<float> saved,
        ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths,
        int batch, int steps, int sourceLength, RecurrentDecoderConfig config, WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Recurrent);
        var d = new Dims(config, batch, steps, sourceLength);
        CheckOptional(dInput, (long)d.B * d.T * d.E);
        CheckOptional(dInitialState, (long)d.B * d.H);
        CheckCell(dInitialCell, d);
        Guard.Length(dMemory, d.Attention == DecoderAttention.None ? 0 : (long)d.B * d.S * d.M);
        CheckGradients(gradients, parameters, d);
        Guard.Length(scratch, ScratchLength(batch, steps, sourceLength, config));
        Guard.Length(dOutput, (long)d.B * d.T * d.O);
        Guard.Length(input, (long)d.B * d.T * d.E);
        CheckMemory(memory, d);
        CheckParameters(parameters, d);
        Guard.Length(saved, SavedLength(batch, steps, sourceLength, config));
        Recurrent.CheckLengths(targetLengths, d.B, d.T);
        CheckSourceLengths(sourceLengths, d);
        Guard.NoOverlap(scratch, saved);
        Guard.NoOverlap(scratch, dOutput);
        Guard.NoOverlap(dInput, input);
        Guard.NoOverlap(dMemory, memory);

        switch (config.Cell)
        {
            case RecurrentDecoderCell.Rnn:
                Backward<RnnCell>(dInput, dInitialState, dInitialCell, dMemory, gradients, scratch, dOutput, input, memory, parameters, saved,
                    targetLengths, sourceLengths, d, pool);
                break;
            case RecurrentDecoderCell.Gru:
                Backward<GruCell>(dInput, dInitialState, dInitialCell, dMemory, gradients, scratch, dOutput, input, memory, parameters, saved,
                    targetLengths, sourceLengths, d, pool);
                break;
            default:
                Backward<LstmCell>(dInput, dInitialState, dInitialCell, dMemory, gradients, scratch, dOutput, input, memory, parameters, saved,
                    targetLengths, sourceLengths, d, pool);
                break;
        }
    }

    /// <summary>
    /// One decoding position for <paramref name="rows"/> rows (hypotheses): from <c>x_t</c> and <c>s_{t−1}</c>, writes
    /// <c>s_t</c>, <c>o_t</c> and <c>α_t</c>, exactly as <see cref="Forward"/> computes position <c>t</c>.
    /// </summary>
    /// <param name="state"><c>[R, H]</c>: <c>s_{t−1}</c> on entry, <c>s_t</c> on exit.</param>
    /// <param name="cell"><c>[R, H]</c> (LSTM): <c>c_{t−1}</c> on entry, <c>c_t</c> on exit; empty for the other cells.</param>
    /// <param name="output"><c>o_t [R, OutputSize]</c>, overwritten.</param>
    /// <param name="weights"><c>α_t [R, S]</c>, overwritten (zero at padded keys); empty without attention.</param>
    /// <param name="scratch">Work memory, <see cref="StepScratchLength"/> floats.</param>
    /// <param name="input"><c>x_t [R, E]</c>.</param>
    /// <param name="memory">Each row's encoder states <c>h [R, S, M]</c>; empty without attention.</param>
    /// <param name="projectedMemory">Each row's <see cref="ProjectMemory"/> result <c>[R, S, ProjectedMemorySize]</c>; empty for None and Luong dot.</param>
    /// <param name="sourceLengths">Valid source positions per row, each in <c>[0, S]</c>, or empty for all <c>S</c>.</param>
    /// <param name="parameters">The decoder's parameters.</param>
    /// <param name="rows">R.</param>
    /// <param name="sourceLength">S; ignored without attention.</param>
    /// <param name="config">The decoder's shape.</param>
    /// <param name="pool">Threads for the matrix multiplies and the attention; null runs on the calling thread.</param>
    public static void Step(
        Span<float> state, Span<float> cell, Span<float> output, Span<float> weights, Span<float> scratch,
        ReadOnlySpan<float> input, ReadOnlySpan<float> memory, ReadOnlySpan<float> projectedMemory, ReadOnlySpan<int> sourceLengths,
        in RecurrentDecoderParameters parameters, int rows, int sourceLength, RecurrentDecoderConfig config, WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Recurrent);
        Guard.Positive(rows);
        var d = new Dims(config, rows, 1, sourceLength);
        Guard.Length(state, (long)d.B * d.H);
        Guard.Length(cell, d.HasCell ? (long)d.B * d.H : 0);
        Guard.Length(output, (long)d.B * d.O);
        Guard.Length(weights, d.Attention == DecoderAttention.None ? 0 : (long)d.B * d.S);
        Guard.Length(scratch, StepScratchLength(rows, sourceLength, config));
        Guard.Length(input, (long)d.B * d.E);
        CheckMemory(memory, d);
        Guard.Length(projectedMemory, (long)d.B * d.S * d.P);
        CheckSourceLengths(sourceLengths, d);
        CheckParameters(parameters, d);
        Guard.NoOverlap(state, output);
        Guard.NoOverlap(state, scratch);
        Guard.NoOverlap(output, scratch);
        Guard.NoOverlap(weights, scratch);
        Guard.NoOverlap(state, input);

        switch (config.Cell)
        {
            case RecurrentDecoderCell.Rnn:
                Step<RnnCell>(state, cell, output, weights, scratch, input, memory, projectedMemory, sourceLengths, parameters, d, pool);
                break;
            case RecurrentDecoderCell.Gru:
                Step<GruCell>(state, cell, output, weights, scratch, input, memory, projectedMemory, sourceLengths, parameters, d, pool);
                break;
            default:
                Step<LstmCell>(state, cell, output, weights, scratch, input, memory, projectedMemory, sourceLengths, parameters, d, pool);
                break;
        }
    }

    private static void Forward<TCell>(
        Span<float> output, Span<float> saved, Span<float> scratch,
        ReadOnlySpan<float> input, ReadOnlySpan<float> initialState, ReadOnlySpan<float> initialCell, ReadOnlySpan<float> memory,
        in RecurrentDecoderParameters p, ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths, in Dims d, WorkerPool? pool)
        where TCell : struct, IRecurrentCell
    {
        switch (d.Attention)
        {
            case DecoderAttention.None:
                {
                    // The plain decoder is one recurrent layer whose output rows are the states.
                    Span<float> recurrentScratch = scratch[..d.RecurrentScratch];
                    Span<float> finalState = scratch.Slice(d.RecurrentScratch, d.B * d.H);
                    Span<float> finalCell = d.HasCell ? scratch.Slice(d.RecurrentScratch + (d.B * d.H), d.B * d.H) : default;
                    Recurrent.Forward<TCell>(output, finalState, finalCell, saved, recurrentScratch, input, initialState, initialCell,
                        p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, targetLengths, d.B, d.T, d.E, d.H, reverse: false, pool);
                    break;
                }

            case DecoderAttention.Bahdanau:
                ForwardBahdanau<TCell>(output, saved, scratch, input, initialState, initialCell, memory, p, targetLengths, sourceLengths, d, pool);
                break;
            default:
                ForwardLuong<TCell>(output, saved, scratch, input, initialState, initialCell, memory, p, targetLengths, sourceLengths, d, pool);
                break;
        }
    }

    private static void Backward<TCell>(
        Span<float> dInput, Span<float> dInitialState, Span<float> dInitialCell, Span<float> dMemory,
        in RecurrentDecoderGradients g, Span<float> scratch,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> memory,
        in RecurrentDecoderParameters p, ReadOnlySpan<float> saved,
        ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths, in Dims d, WorkerPool? pool)
        where TCell : struct, IRecurrentCell
    {
        switch (d.Attention)
        {
            case DecoderAttention.None:
                Recurrent.Backward<TCell>(dInput, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, dInitialState, dInitialCell,
                    scratch[..d.RecurrentScratch], dOutput, default, default, input, p.WeightIh, p.WeightHh, saved,
                    targetLengths, d.B, d.T, d.E, d.H, reverse: false, pool);
                break;
            case DecoderAttention.Bahdanau:
                BackwardBahdanau<TCell>(dInput, dInitialState, dInitialCell, dMemory, g, scratch, dOutput, input, memory, p, saved,
                    targetLengths, sourceLengths, d, pool);
                break;
            default:
                BackwardLuong<TCell>(dInput, dInitialState, dInitialCell, dMemory, g, scratch, dOutput, input, memory, p, saved,
                    targetLengths, sourceLengths, d, pool);
                break;
        }
    }

    /// <summary><c>projected [rows·S, P] = memory [rows·S, M] · MemoryWeightᵀ</c>: <c>U h</c> or <c>W_a h</c>.</summary>
    private static void Project(Span<float> projected, ReadOnlySpan<float> memory, ReadOnlySpan<float> memoryWeight, in Dims d, int rows, WorkerPool? pool) =>
        Gemm.Multiply(projected, memory, false, memoryWeight, true, rows * d.S, d.P, d.M, 1f, 0f, pool);

    /// <summary>The next <paramref name="length"/> floats of <paramref name="buffer"/> from <paramref name="offset"/>, which moves past them.</summary>
    private static Span<float> Take(Span<float> buffer, scoped ref int offset, int length)
    {
        Span<float> slice = buffer.Slice(offset, length);
        offset += length;
        return slice;
    }

    private static ReadOnlySpan<float> Take(ReadOnlySpan<float> buffer, scoped ref int offset, int length)
    {
        ReadOnlySpan<float> slice = buffer.Slice(offset, length);
        offset += length;
        return slice;
    }

    /// <summary>The first <paramref name="count"/> lengths, or empty when every position is valid.</summary>
    private static ReadOnlySpan<int> Prefix(ReadOnlySpan<int> lengths, int count) => lengths.IsEmpty ? default : lengths[..count];

    private static bool AllFull(ReadOnlySpan<int> lengths, int full)
    {
        foreach (int length in lengths)
        {
            if (length != full)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>destination [columns, rows] = source[:, first .. first + columns)ᵀ</c> for a row-major <c>source</c> of row stride <paramref name="stride"/>.</summary>
    private static void Transpose(Span<float> destination, ReadOnlySpan<float> source, int rows, int columns, int stride, int first)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = source.Slice((r * stride) + first, columns);
            for (int c = 0; c < columns; c++)
            {
                destination[(c * rows) + r] = row[c];
            }
        }
    }

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

    /// <summary><c>rows[r] += bias</c> for <paramref name="count"/> rows of stride <paramref name="stride"/> (nothing when the bias is empty).</summary>
    private static void AddBias(Span<float> rows, int stride, int count, ReadOnlySpan<float> bias)
    {
        if (bias.IsEmpty)
        {
            return;
        }

        for (int r = 0; r < count; r++)
        {
            Span<float> row = rows.Slice(r * stride, bias.Length);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary><c>hidden[r] = s[r]·W_hhᵀ + b_hh</c> for <paramref name="count"/> rows, the bias first as <see cref="Recurrent"/> adds it.</summary>
    private static void HiddenProjection(
        Span<float> hidden, ReadOnlySpan<float> states, ReadOnlySpan<float> weightHh, bool weightTransposed, ReadOnlySpan<float> biasHh,
        int count, in Dims d, WorkerPool? pool)
    {
        Span<float> rows = hidden[..(count * d.GateWidth)];
        float beta = 0f;
        if (!biasHh.IsEmpty)
        {
            for (int r = 0; r < count; r++)
            {
                biasHh.CopyTo(rows.Slice(r * d.GateWidth, d.GateWidth));
            }

            beta = 1f;
        }

        Gemm.Multiply(rows, states[..(count * d.H)], false, weightHh, !weightTransposed, count, d.GateWidth, d.H, 1f, beta, pool);
    }

    private static void CheckOptional(ReadOnlySpan<float> span, long expected, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (!span.IsEmpty)
        {
            Guard.Length(span, expected, name);
        }
    }

    private static void CheckOptional(Span<float> span, long expected, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(span))] string? name = null) =>
        CheckOptional((ReadOnlySpan<float>)span, expected, name);

    private static void CheckCell(ReadOnlySpan<float> cell, in Dims d, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(cell))] string? name = null)
    {
        if (d.HasCell)
        {
            CheckOptional(cell, (long)d.B * d.H, name);
        }
        else
        {
            Guard.Length(cell, 0, name);
        }
    }

    private static void CheckMemory(ReadOnlySpan<float> memory, in Dims d, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(memory))] string? name = null)
    {
        if (d.Attention != DecoderAttention.None)
        {
            Guard.Length(memory, (long)d.B * d.S * d.M, name);
        }
    }

    private static void CheckSourceLengths(ReadOnlySpan<int> sourceLengths, in Dims d)
    {
        if (d.Attention != DecoderAttention.None)
        {
            SingleQueryAttention.CheckKeyLengths(sourceLengths, d.B, d.S);
        }
    }

    private static void CheckParameters(in RecurrentDecoderParameters p, in Dims d)
    {
        Guard.Length(p.WeightIh, (long)d.GateWidth * d.I, "parameters.WeightIh");
        Guard.Length(p.WeightHh, (long)d.GateWidth * d.H, "parameters.WeightHh");
        CheckOptional(p.BiasIh, d.GateWidth, "parameters.BiasIh");
        CheckOptional(p.BiasHh, d.GateWidth, "parameters.BiasHh");
        bool bahdanau = d.Attention == DecoderAttention.Bahdanau;
        bool luong = d.Attention is DecoderAttention.LuongDot or DecoderAttention.LuongGeneral or DecoderAttention.LuongConcat;
        bool additive = bahdanau || d.Attention == DecoderAttention.LuongConcat;
        Guard.Length(p.StateWeight, additive ? (long)d.A * d.H : 0, "parameters.StateWeight");
        Guard.Length(p.MemoryWeight, (long)d.P * d.M, "parameters.MemoryWeight");
        Guard.Length(p.ScoreVector, additive ? d.A : 0, "parameters.ScoreVector");
        Guard.Length(p.CombineWeight, luong ? (long)d.H * (d.M + d.H) : 0, "parameters.CombineWeight");
    }

    private static void CheckGradients(in RecurrentDecoderGradients g, in RecurrentDecoderParameters p, in Dims d)
    {
        Guard.Length(g.WeightIh, p.WeightIh.Length, "gradients.WeightIh");
        Guard.Length(g.WeightHh, p.WeightHh.Length, "gradients.WeightHh");
        CheckOptional(g.BiasIh, d.GateWidth, "gradients.BiasIh");
        CheckOptional(g.BiasHh, d.GateWidth, "gradients.BiasHh");
        Guard.Length(g.StateWeight, p.StateWeight.Length, "gradients.StateWeight");
        Guard.Length(g.MemoryWeight, p.MemoryWeight.Length, "gradients.MemoryWeight");
        Guard.Length(g.ScoreVector, p.ScoreVector.Length, "gradients.ScoreVector");
        Guard.Length(g.CombineWeight, p.CombineWeight.Length, "gradients.CombineWeight");
    }

    /// <summary>Every width and derived size of one call, checked once.</summary>
    private readonly struct Dims
    {
        public Dims(RecurrentDecoderConfig config, int batch, int steps, int sourceLength)
        {
            config.Check();
            Guard.Positive(batch);
            Guard.Positive(steps);
            Attention = config.Attention;
            if (Attention == DecoderAttention.None)
            {
                Guard.NonNegative(sourceLength);
                sourceLength = 0;
            }
            else
            {
                Guard.Positive(sourceLength);
            }

            B = batch;
            T = steps;
            S = sourceLength;
            E = config.InputSize;
            H = config.HiddenSize;
            M = config.MemorySize;
            A = config.AttentionSize;
            I = config.CellInputSize;
            O = config.OutputSize;
            P = config.ProjectedMemorySize;
            HasCell = config.HasCellState;
            GateWidth = config.GateCount * H;

            // Per-position gate rows: what the cell saves (r, z, n, W_hn h + b_hn for GRU; i, f, g, o, tanh c for LSTM), and
            // at least the gate pre-activations (the RNN saves nothing beyond the state but needs a row to compute in).
            SavedGateWidth = config.Cell switch
            {
                RecurrentDecoderCell.Gru => 4 * H,
                RecurrentDecoderCell.Lstm => 5 * H,
                _ => H,
            };
            Cell = config.Cell;
            (RecurrentSaved, RecurrentScratch) = config.Cell switch
            {
                RecurrentDecoderCell.Gru => (Recurrent.SavedLength<GruCell>(B, T, H), Recurrent.ScratchLength<GruCell>(B, T, H)),
                RecurrentDecoderCell.Lstm => (Recurrent.SavedLength<LstmCell>(B, T, H), Recurrent.ScratchLength<LstmCell>(B, T, H)),
                _ => (Recurrent.SavedLength<RnnCell>(B, T, H), Recurrent.ScratchLength<RnnCell>(B, T, H)),
            };
            StateFloats = checked((HasCell ? 2 : 1) * B * H);
        }

        public DecoderAttention Attention { get; }

        public RecurrentDecoderCell Cell { get; }

        public int B { get; }

        public int T { get; }

        public int S { get; }

        public int E { get; }

        public int H { get; }

        public int M { get; }

        public int A { get; }

        /// <summary>The cell's input width.</summary>
        public int I { get; }

        /// <summary>The output width.</summary>
        public int O { get; }

        /// <summary>The projected memory width.</summary>
        public int P { get; }

        public bool HasCell { get; }

        /// <summary>G·H.</summary>
        public int GateWidth { get; }

        /// <summary>Floats per position of the decoder's own gate rows (Bahdanau, <see cref="Step"/>).</summary>
        public int SavedGateWidth { get; }

        /// <summary><see cref="Recurrent.SavedLength{TCell}"/> for <c>(B, T, H)</c>.</summary>
        public int RecurrentSaved { get; }

        /// <summary><see cref="Recurrent.ScratchLength{TCell}"/> for <c>(B, T, H)</c>.</summary>
        public int RecurrentScratch { get; }

        /// <summary>One <c>[B, H]</c> state, two with a cell.</summary>
        public int StateFloats { get; }

        /// <summary>Luong concat: scores are <c>vᵀ tanh(W s_t + U h_j)</c>.</summary>
        public bool Concat => Attention == DecoderAttention.LuongConcat;

        // Luong saved: recurrent layer, states [B,T,H], keys [B,S,P] (general: W_a h, concat: U h), weights [B,T,S],
        // [c; s] rows [B,T,M+H], pre [B,T,H], and for concat the tanh activations [B,T,S,A].
        public int LuongKeysOffset => checked(RecurrentSaved + (B * T * H));

        public int LuongWeightsOffset => checked(LuongKeysOffset + (B * S * P));

        public int LuongSaved => checked(LuongWeightsOffset + (B * T * S) + (B * T * (M + H)) + (B * T * H) + (Concat ? B * T * S * A : 0));

        // Luong forward scratch: recurrent layer, final state (and cell), W s_t [B,T,A] (concat).
        public int LuongForwardScratch => checked(RecurrentScratch + StateFloats + (Concat ? B * T * A : 0));

        // Luong backward scratch: recurrent layer, masked dOutput [B,T,H], d[c; s] [B,T,M+H], Linear's dPre [B,T,H],
        // dStates [B,T,H], dScores [B,T,S], dKeys [B,S,P], and for concat dWs [B,T,A] and one dz row [A] per sequence.
        public int LuongBackwardScratch => checked(RecurrentScratch + (3 * B * T * H) + (B * T * (M + H)) + (B * T * S)
            + (B * S * P) + (Concat ? (B * T * A) + (B * A) : 0));

        // Bahdanau saved: gates [B,T,SavedGateWidth], states [B,T+1,H] (and cells), contexts [B,T,M], weights [B,T,S],
        // tanh activations [T,B,S,A] (time-major: each step's rows are one contiguous block for AdditiveAttention).
        public int BahdanauWeightsOffset => checked((B * T * SavedGateWidth) + ((HasCell ? 2 : 1) * B * (T + 1) * H) + (B * T * M));

        public int BahdanauSaved => checked(BahdanauWeightsOffset + (B * T * S) + (T * B * S * A));

        // Bahdanau forward scratch: U h [B,S,A], W s [B,A], context [B,M], weights [B,S], hidden [B,G·H], Wᵀ [H,A],
        // W_ih[:, E:]ᵀ [M,G·H], W_hhᵀ [H,G·H], state and cell [B,H].
        public int BahdanauForwardScratch => checked((B * S * A) + (B * A) + (B * M) + (B * S) + (B * GateWidth) + (H * A)
            + (M * GateWidth) + (H * GateWidth) + StateFloats);

        // Bahdanau backward scratch: dh and dc [B,H], hidden-side gate gradients of a step [B,G·H], dGatesInput [B,T,G·H],
        // dGatesHidden [B,T,G·H] (GRU), dWs [B,A], dUh [B,S,A], dContext [B,M], weights [B,S], score gradients [B,S].
        public int BahdanauBackwardScratch => checked(StateFloats + (B * GateWidth) + ((SeparateHidden ? 2 : 1) * B * T * GateWidth)
            + (B * A) + (B * S * A) + (B * M) + (2 * B * S));

        /// <summary>Whether the hidden-side gate gradients differ from the input side (GRU).</summary>
        public bool SeparateHidden => Cell == RecurrentDecoderCell.Gru;
    }
}
