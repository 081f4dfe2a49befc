using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Plain-loop version of <see cref="RecurrentDecoder"/>, generic over the element type: per sequence, per position, the
/// definitions written out, with each cell step one call of <see cref="RnnReference"/>, <see cref="GruReference"/> or
/// <see cref="LstmReference"/> over one position and the attention from <see cref="AdditiveAttentionReference"/>.
/// Same inputs and semantics as the tuned kernel; <see cref="Backward"/> recomputes the forward instead of reading saved
/// activations, and both allocate.
/// </summary>
public static class RecurrentDecoderReference
{
    /// <summary>Forward over whole target sequences; see <see cref="RecurrentDecoder.Forward"/>.</summary>
    /// <param name="output"><c>o [B, T, OutputSize]</c>, overwritten; zero at padded positions.</param>
    /// <param name="attentionWeights"><c>α [B, T, S]</c>, overwritten; empty without attention.</param>
    /// <param name="input"><c>x [B, T, E]</c>.</param>
    /// <param name="initialState"><c>s_0 [B, H]</c>, or empty for zeros.</param>
    /// <param name="initialCell"><c>c_0 [B, H]</c> (LSTM), or empty for zeros.</param>
    /// <param name="memory"><c>h [B, S, M]</c>; empty without attention.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="targetLengths">Valid target positions per sequence, or empty for all.</param>
    /// <param name="sourceLengths">Valid source positions per sequence, or empty for all.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="sourceLength">S.</param>
    /// <param name="config">The decoder's shape.</param>
    public static void Forward<T>(
        Span<T> output, Span<T> attentionWeights,
        ReadOnlySpan<T> input, ReadOnlySpan<T> initialState, ReadOnlySpan<T> initialCell, ReadOnlySpan<T> memory,
        in RecurrentDecoderReferenceWeights<T> parameters, ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths,
        int batch, int steps, int sourceLength, RecurrentDecoderConfig config)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = new Shape(config, batch, steps, sourceLength);
        Guard.Length(output, (long)batch * steps * shape.O);
        Guard.Length(attentionWeights, shape.Attention == DecoderAttention.None ? 0 : (long)batch * steps * shape.S);
        output.Clear();
        attentionWeights.Clear();
        for (int b = 0; b < batch; b++)
        {
            var run = Run(b, input, initialState, initialCell, memory, parameters, targetLengths, sourceLengths, shape);
            for (int t = 0; t < run.Length; t++)
            {
                run.Output[t].CopyTo(output.Slice(((b * steps) + t) * shape.O, shape.O));
                if (shape.Attention != DecoderAttention.None)
                {
                    run.Alpha[t].CopyTo(attentionWeights.Slice(((b * steps) + t) * shape.S, shape.S));
                }
            }
        }
    }

    /// <summary>Backpropagation through time, accumulating into every gradient; see <see cref="RecurrentDecoder.Backward"/>.</summary>
    /// <param name="dInput"><c>dx [B, T, E]</c>, or empty to skip.</param>
    /// <param name="dInitialState"><c>ds_0 [B, H]</c>, or empty to skip.</param>
    /// <param name="dInitialCell"><c>dc_0 [B, H]</c>, or empty to skip.</param>
    /// <param name="dMemory"><c>dh [B, S, M]</c>; empty without attention.</param>
    /// <param name="gradients">The parameter gradients.</param>
    /// <param name="dOutput"><c>do [B, T, OutputSize]</c>.</param>
    /// <param name="input">The forward's <c>x</c>.</param>
    /// <param name="initialState">The forward's <c>s_0</c>.</param>
    /// <param name="initialCell">The forward's <c>c_0</c>.</param>
    /// <param name="memory">The forward's memory.</param>
    /// <param name="parameters">The forward's parameters.</param>
    /// <param name="targetLengths">The forward's target lengths.</param>
    /// <param name="sourceLengths">The forward's source lengths.</param>
    /// <param name="batch">B.</param>
    /// <param name="steps">T.</param>
    /// <param name="sourceLength">S.</param>
    /// <param name="config">The decoder's shape.</param>
    public static void Backward<T>(
        Span<T> dInput, Span<T> dInitialState, Span<T> dInitialCell, Span<T> dMemory, in RecurrentDecoderReferenceWeights<T> gradients,
        ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input, ReadOnlySpan<T> initialState, ReadOnlySpan<T> initialCell, ReadOnlySpan<T> memory,
        in RecurrentDecoderReferenceWeights<T> parameters, ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths,
        int batch, int steps, int sourceLength, RecurrentDecoderConfig config)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = new Shape(config, batch, steps, sourceLength);
        Guard.Length(dOutput, (long)batch * steps * shape.O);
        int e = shape.E, h = shape.H, m = shape.M, a = shape.A, s = shape.S, width = m + h;
        var p = parameters;
        var g = gradients;
        for (int b = 0; b < batch; b++)
        {
            var run = Run(b, input, initialState, initialCell, memory, parameters, targetLengths, sourceLengths, shape);
            ReadOnlySpan<T> values = shape.Attention == DecoderAttention.None ? default : memory.Slice(b * s * m, s * m);
            Span<T> dValues = shape.Attention == DecoderAttention.None ? default : dMemory.Slice(b * s * m, s * m);
            var dh = new T[h];
            var dc = new T[h];
            var dProjected = new T[s * shape.P];
            for (int t = run.Length - 1; t >= 0; t--)
            {
                ReadOnlySpan<T> dO = dOutput.Slice(((b * steps) + t) * shape.O, shape.O);
                var dState = new T[h];
                var dContext = new T[m];
                switch (shape.Attention)
                {
                    case DecoderAttention.None:
                        dO.CopyTo(dState);
                        break;
                    case DecoderAttention.Bahdanau:
                        dO[..h].CopyTo(dState);
                        dO[h..].CopyTo(dContext);
                        break;
                    default:
                        {
                            // o = tanh(pre), pre = W_c [c; s]
                            var combined = Concat(run.Context[t], run.After[t]);
                            var dCombined = new T[width];
                            for (int i = 0; i < h; i++)
                            {
                                T o = run.Output[t][i];
                                T dPre = dO[i] * (T.One - (o * o));
                                for (int k = 0; k < width; k++)
                                {
                                    g.CombineWeight[(i * width) + k] += dPre * combined[k];
                                    dCombined[k] += dPre * p.CombineWeight[(i * width) + k];
                                }
                            }

                            dCombined.AsSpan(0, m).CopyTo(dContext);
                            dCombined.AsSpan(m, h).CopyTo(dState);

                            // score_j = s · k_j with k_j = h_j (dot) or W_a h_j (general); vᵀ tanh(W s + U h_j) (concat)
                            var dScores = new T[s];
                            AdditiveAttentionReference.SingleQueryBackward<T>(dScores, dValues, dContext, values, run.Alpha[t], 1, s, m, [run.Valid]);
                            if (shape.Attention == DecoderAttention.LuongConcat)
                            {
                                ConcatBackward(shape, dState, dProjected, g, p, run.Tanh[t], dScores, run.After[t], run.Valid);
                                break;
                            }

                            ReadOnlySpan<T> keys = shape.Attention == DecoderAttention.LuongDot ? values : run.Projected;
                            for (int j = 0; j < run.Valid; j++)
                            {
                                for (int i = 0; i < h; i++)
                                {
                                    dState[i] += dScores[j] * keys[(j * h) + i];
                                    T dKey = dScores[j] * run.After[t][i];
                                    if (shape.Attention == DecoderAttention.LuongDot)
                                    {
                                        dValues[(j * m) + i] += dKey;
                                    }
                                    else
                                    {
                                        dProjected[(j * h) + i] += dKey;
                                    }
                                }
                            }

                            break;
                        }
                }

                // The cell: s_t = cell(u_t, s_{t−1}); dh carries dL/ds_t from position t + 1.
                var dCellInput = new T[shape.I];
                var dPrevious = new T[h];
                var dPreviousCell = new T[h];
                CellBackward(shape, dCellInput, dPrevious, dPreviousCell, g, dState, dh, dc, run.CellInput[t], p, run.CellSaved[t]);
                if (!dInput.IsEmpty)
                {
                    Span<T> dx = dInput.Slice(((b * steps) + t) * e, e);
                    for (int k = 0; k < e; k++)
                    {
                        dx[k] += dCellInput[k];
                    }
                }

                if (shape.Attention == DecoderAttention.Bahdanau)
                {
                    // u_t = [x_t; c_t]; e_j = vᵀ tanh(W s_{t−1} + U h_j)
                    for (int k = 0; k < m; k++)
                    {
                        dContext[k] += dCellInput[e + k];
                    }

                    var dWs = new T[a];
                    AdditiveAttentionReference.Backward<T>(dWs, dProjected, g.ScoreVector, dValues, dContext, p.ScoreVector, values,
                        run.Tanh[t], run.Alpha[t], 1, s, a, m, [run.Valid]);
                    for (int i = 0; i < a; i++)
                    {
                        for (int k = 0; k < h; k++)
                        {
                            g.StateWeight[(i * h) + k] += dWs[i] * run.Before[t][k];
                            dPrevious[k] += dWs[i] * p.StateWeight[(i * h) + k];
                        }
                    }
                }

                dh = dPrevious;
                dc = dPreviousCell;
            }

            AddRow(dInitialState, b, dh);
            if (shape.HasCell)
            {
                AddRow(dInitialCell, b, dc);
            }

            // The projection of the memory (U h or W_a h): dWeight += dProjectedᵀ h, dh += dProjected · Weight.
            for (int j = 0; j < s && shape.P > 0; j++)
            {
                for (int i = 0; i < shape.P; i++)
                {
                    T dp = dProjected[(j * shape.P) + i];
                    for (int k = 0; k < m; k++)
                    {
                        g.MemoryWeight[(i * m) + k] += dp * values[(j * m) + k];
                        dValues[(j * m) + k] += dp * p.MemoryWeight[(i * m) + k];
                    }
                }
            }
        }
    }

    /// <summary>One sequence's forward, keeping every position's intermediate values.</summary>
    private static Sequence<T> Run<T>(
        int b, ReadOnlySpan<T> input, ReadOnlySpan<T> initialState, ReadOnlySpan<T> initialCell, ReadOnlySpan<T> memory,
        in RecurrentDecoderReferenceWeights<T> p, ReadOnlySpan<int> targetLengths, ReadOnlySpan<int> sourceLengths, in Shape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int e = shape.E, h = shape.H, m = shape.M, a = shape.A, s = shape.S, width = m + h;
        int length = targetLengths.IsEmpty ? shape.T : targetLengths[b];
        int valid = sourceLengths.IsEmpty ? s : sourceLengths[b];
        var run = new Sequence<T>(length, valid);
        ReadOnlySpan<T> values = shape.Attention == DecoderAttention.None ? default : memory.Slice(b * s * m, s * m);

        // U h_j or W_a h_j, once per sequence.
        run.Projected = new T[s * shape.P];
        for (int j = 0; j < s && shape.P > 0; j++)
        {
            for (int i = 0; i < shape.P; i++)
            {
                T sum = T.Zero;
                for (int k = 0; k < m; k++)
                {
                    sum += p.MemoryWeight[(i * m) + k] * values[(j * m) + k];
                }

                run.Projected[(j * shape.P) + i] = sum;
            }
        }

        var state = new T[h];
        var cell = new T[h];
        if (!initialState.IsEmpty)
        {
            initialState.Slice(b * h, h).CopyTo(state);
        }

        if (shape.HasCell && !initialCell.IsEmpty)
        {
            initialCell.Slice(b * h, h).CopyTo(cell);
        }

        for (int t = 0; t < length; t++)
        {
            ReadOnlySpan<T> x = input.Slice(((b * shape.T) + t) * e, e);
            run.Before[t] = state;
            var u = new T[shape.I];
            x.CopyTo(u);
            if (shape.Attention == DecoderAttention.Bahdanau)
            {
                var ws = new T[a];
                for (int i = 0; i < a; i++)
                {
                    for (int k = 0; k < h; k++)
                    {
                        ws[i] += p.StateWeight[(i * h) + k] * state[k];
                    }
                }

                run.Context[t] = new T[m];
                run.Tanh[t] = new T[s * a];
                run.Alpha[t] = new T[s];
                AdditiveAttentionReference.Forward<T>(run.Context[t], run.Tanh[t], run.Alpha[t], ws, run.Projected, p.ScoreVector, values,
                    1, s, a, m, [valid]);
                run.Context[t].CopyTo(u.AsSpan(e));
            }

            run.CellInput[t] = u;
            var next = new T[h];
            var nextCell = new T[h];
            run.CellSaved[t] = CellForward(shape, next, nextCell, u, state, cell, p);
            state = next;
            cell = nextCell;
            run.After[t] = state;

            switch (shape.Attention)
            {
                case DecoderAttention.None:
                    run.Output[t] = state;
                    break;
                case DecoderAttention.Bahdanau:
                    run.Output[t] = Concat(state, run.Context[t]);
                    break;
                default:
                    {
                        ReadOnlySpan<T> keys = shape.Attention == DecoderAttention.LuongDot ? values : run.Projected;
                        var scores = new T[s];
                        if (shape.Attention == DecoderAttention.LuongConcat)
                        {
                            run.Tanh[t] = ConcatScores(shape, scores, state, run.Projected, p, valid);
                        }
                        else
                        {
                            for (int j = 0; j < valid; j++)
                            {
                                for (int i = 0; i < h; i++)
                                {
                                    scores[j] += state[i] * keys[(j * h) + i];
                                }
                            }
                        }

                        run.Context[t] = new T[m];
                        run.Alpha[t] = new T[s];
                        AdditiveAttentionReference.SingleQueryForward<T>(run.Context[t], run.Alpha[t], scores, values, 1, s, m, [valid]);
                        var combined = Concat(run.Context[t], state);
                        var o = new T[h];
                        for (int i = 0; i < h; i++)
                        {
                            T pre = T.Zero;
                            for (int k = 0; k < width; k++)
                            {
                                pre += p.CombineWeight[(i * width) + k] * combined[k];
                            }

                            o[i] = T.Tanh(pre);
                        }

                        run.Output[t] = o;
                        break;
                    }
            }
        }

        return run;
    }

    /// <summary>Luong concat: <c>scores[j] = vᵀ tanh(W s + U h_j)</c> for the valid keys; returns the tanh rows <c>[S, A]</c>.</summary>
    private static T[] ConcatScores<T>(in Shape shape, T[] scores, T[] state, T[] projected, in RecurrentDecoderReferenceWeights<T> p, int valid)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = shape.H, a = shape.A;
        var tanh = new T[shape.S * a];
        for (int j = 0; j < valid; j++)
        {
            for (int i = 0; i < a; i++)
            {
                T z = projected[(j * a) + i];
                for (int k = 0; k < h; k++)
                {
                    z += p.StateWeight[(i * h) + k] * state[k];
                }

                tanh[(j * a) + i] = T.Tanh(z);
                scores[j] += p.ScoreVector[i] * tanh[(j * a) + i];
            }
        }

        return tanh;
    }

    /// <summary>Luong concat's backward from the score gradients: into <c>ds</c>, <c>d(U h)</c>, <c>dW</c> and <c>dv</c>.</summary>
    private static void ConcatBackward<T>(
        in Shape shape, T[] dState, T[] dProjected, in RecurrentDecoderReferenceWeights<T> g, in RecurrentDecoderReferenceWeights<T> p,
        T[] tanh, T[] dScores, T[] state, int valid)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = shape.H, a = shape.A;
        for (int j = 0; j < valid; j++)
        {
            for (int i = 0; i < a; i++)
            {
                T activation = tanh[(j * a) + i];
                g.ScoreVector[i] += dScores[j] * activation;
                T dz = dScores[j] * p.ScoreVector[i] * (T.One - (activation * activation));
                dProjected[(j * a) + i] += dz;
                for (int k = 0; k < h; k++)
                {
                    g.StateWeight[(i * h) + k] += dz * state[k];
                    dState[k] += dz * p.StateWeight[(i * h) + k];
                }
            }
        }
    }

    /// <summary>One cell step as a one-position call of the recurrent reference; returns what its backward needs.</summary>
    private static T[] CellForward<T>(in Shape shape, T[] next, T[] nextCell, T[] u, T[] state, T[] cell, in RecurrentDecoderReferenceWeights<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = shape.H, i = shape.I;
        var final = new T[h];
        switch (shape.Cell)
        {
            case RecurrentDecoderCell.Rnn:
                {
                    var saved = new T[RnnReference.SavedLength(1, 1, h)];
                    RnnReference.Forward<T>(next, final, saved, new T[RnnReference.ScratchLength(1, 1, h)], u, state,
                        p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, default, 1, 1, i, h);
                    return saved;
                }

            case RecurrentDecoderCell.Gru:
                {
                    var saved = new T[GruReference.SavedLength(1, 1, h)];
                    GruReference.Forward<T>(next, final, saved, new T[GruReference.ScratchLength(1, 1, h)], u, state,
                        p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, default, 1, 1, i, h);
                    return saved;
                }

            default:
                {
                    var saved = new T[LstmReference.SavedLength(1, 1, h)];
                    LstmReference.Forward<T>(next, final, nextCell, saved, new T[LstmReference.ScratchLength(1, 1, h)], u, state, cell,
                        p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, default, 1, 1, i, h);
                    return saved;
                }
        }
    }

    /// <summary>
    /// One cell step's backward: <paramref name="dState"/> is the gradient reaching <c>s_t</c> from this position's output,
    /// <paramref name="dh"/> / <paramref name="dc"/> the gradient from position <c>t + 1</c>.
    /// </summary>
    private static void CellBackward<T>(
        in Shape shape, T[] dCellInput, T[] dPrevious, T[] dPreviousCell, in RecurrentDecoderReferenceWeights<T> g,
        T[] dState, T[] dh, T[] dc, T[] u, in RecurrentDecoderReferenceWeights<T> p, T[] saved)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = shape.H, i = shape.I;
        switch (shape.Cell)
        {
            case RecurrentDecoderCell.Rnn:
                RnnReference.Backward<T>(dCellInput, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, dPrevious,
                    new T[RnnReference.ScratchLength(1, 1, h)], dState, dh, u, p.WeightIh, p.WeightHh, saved, default, 1, 1, i, h);
                break;
            case RecurrentDecoderCell.Gru:
                GruReference.Backward<T>(dCellInput, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, dPrevious,
                    new T[GruReference.ScratchLength(1, 1, h)], dState, dh, u, p.WeightIh, p.WeightHh, saved, default, 1, 1, i, h);
                break;
            default:
                LstmReference.Backward<T>(dCellInput, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, dPrevious, dPreviousCell,
                    new T[LstmReference.ScratchLength(1, 1, h)], dState, dh, dc, u, p.WeightIh, p.WeightHh, saved, default, 1, 1, i, h);
                break;
        }
    }

    private static T[] Concat<T>(T[] first, T[] second)
    {
        var result = new T[first.Length + second.Length];
        first.CopyTo(result, 0);
        second.CopyTo(result, first.Length);
        return result;
    }

    private static void AddRow<T>(Span<T> destination, int b, T[] values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (destination.IsEmpty)
        {
            return;
        }

        for (int j = 0; j < values.Length; j++)
        {
            destination[(b * values.Length) + j] += values[j];
        }
    }

    /// <summary>The widths of one call.</summary>
    private readonly struct Shape
    {
        public Shape(RecurrentDecoderConfig config, int batch, int steps, int sourceLength)
        {
            config.Check();
            Guard.Positive(batch);
            Guard.Positive(steps);
            Cell = config.Cell;
            Attention = config.Attention;
            T = steps;
            S = config.Attention == DecoderAttention.None ? 0 : sourceLength;
            E = config.InputSize;
            H = config.HiddenSize;
            M = config.MemorySize;
            A = config.AttentionSize;
            I = config.CellInputSize;
            O = config.OutputSize;
            P = config.ProjectedMemorySize;
            HasCell = config.HasCellState;
        }

        public RecurrentDecoderCell Cell { get; }

        public DecoderAttention Attention { get; }

        public int T { get; }

        public int S { get; }

        public int E { get; }

        public int H { get; }

        public int M { get; }

        public int A { get; }

        public int I { get; }

        public int O { get; }

        public int P { get; }

        public bool HasCell { get; }
    }

    /// <summary>Everything one sequence's forward computed, per position.</summary>
    private sealed class Sequence<T>
    {
        public Sequence(int length, int valid)
        {
            Length = length;
            Valid = valid;
            Before = new T[length][];
            After = new T[length][];
            CellInput = new T[length][];
            CellSaved = new T[length][];
            Tanh = new T[length][];
            Alpha = new T[length][];
            Context = new T[length][];
            Output = new T[length][];
            Projected = [];
        }

        public int Length { get; }

        public int Valid { get; }

        public T[][] Before { get; }

        public T[][] After { get; }

        public T[][] CellInput { get; }

        public T[][] CellSaved { get; }

        public T[][] Tanh { get; }

        public T[][] Alpha { get; }

        public T[][] Context { get; }

        public T[][] Output { get; }

        public T[] Projected { get; set; }
    }
}
