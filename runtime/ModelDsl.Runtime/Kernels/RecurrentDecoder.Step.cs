using System;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// One decoding position. Every operation is the one the teacher-forced forward runs for that position, with the same
/// operands and in the same order, only over R rows instead of B: the same GEMM shapes per row (GEMM results do not depend
/// on the row count), the biases added at the same point, and the same row kernels.
/// </summary>
public static unsafe partial class RecurrentDecoder
{
    private static void Step<TCell>(
        Span<float> state, Span<float> cell, Span<float> output, Span<float> weights, Span<float> scratch,
        ReadOnlySpan<float> input, ReadOnlySpan<float> memory, ReadOnlySpan<float> projectedMemory, ReadOnlySpan<int> sourceLengths,
        in RecurrentDecoderParameters p, in Dims d, WorkerPool? pool)
        where TCell : struct, IRecurrentCell
    {
        int rows = d.B, h = d.H, m = d.M, s = d.S, gw = d.GateWidth, sgw = d.SavedGateWidth;
        int offset = 0;
        Span<float> gates = Take(scratch, ref offset, rows * sgw);
        Span<float> hidden = Take(scratch, ref offset, rows * gw);

        // x_t·W_ih[:, :E]ᵀ + b_ih.
        Gemm.Multiply(gates, sgw, input, d.E, false, p.WeightIh, d.I, true, rows, gw, d.E, 1f, 0f, pool);
        AddBias(gates, sgw, rows, p.BiasIh);

        Span<float> context = default;
        if (d.Attention == DecoderAttention.Bahdanau)
        {
            // Attention from s_{t−1}, then the context's part of the gates.
            Span<float> ws = Take(scratch, ref offset, rows * d.A);
            Span<float> tanh = Take(scratch, ref offset, rows * s * d.A);
            context = Take(scratch, ref offset, rows * m);
            Gemm.Multiply(ws, state, false, p.StateWeight, true, rows, d.A, h, 1f, 0f, pool);
            AdditiveAttention.Forward(context, tanh, weights, ws, projectedMemory, p.ScoreVector, memory, rows, s, d.A, m, sourceLengths, pool);
            Gemm.Multiply(gates, sgw, context, m, false, p.WeightIh[d.E..], d.I, true, rows, gw, m, 1f, 1f, pool);
        }

        HiddenProjection(hidden, state, p.WeightHh, weightTransposed: false, p.BiasHh, rows, d, pool);
        for (int r = 0; r < rows; r++)
        {
            TCell.ForwardRow(gates.Slice(r * sgw, sgw), hidden.Slice(r * gw, gw), state.Slice(r * h, h), d.HasCell ? cell.Slice(r * h, h) : default);
        }

        switch (d.Attention)
        {
            case DecoderAttention.None:
                state.CopyTo(output);
                break;
            case DecoderAttention.Bahdanau:
                for (int r = 0; r < rows; r++)
                {
                    state.Slice(r * h, h).CopyTo(output.Slice(r * d.O, h));
                    context.Slice(r * m, m).CopyTo(output.Slice((r * d.O) + h, m));
                }

                break;
            default:
                {
                    // Attention from s_t over the keys (h, W_a h or U h), then o_t = tanh(W_c [c_t; s_t]).
                    int width = m + h, a = d.A;
                    Span<float> combined = Take(scratch, ref offset, rows * width);
                    Span<float> preActivation = Take(scratch, ref offset, rows * h);
                    Span<float> ws = d.Concat ? Take(scratch, ref offset, rows * a) : default;
                    Span<float> tanh = d.Concat ? Take(scratch, ref offset, a) : default;
                    ReadOnlySpan<float> keys = d.P > 0 ? projectedMemory : memory;
                    if (d.Concat)
                    {
                        Gemm.Multiply(ws, state, false, p.StateWeight, true, rows, a, h, 1f, 0f, pool);
                    }

                    fixed (float* pCombined = combined, pWeights = weights, pMemory = memory, pWs = ws, pTanh = tanh, pKeys = keys, pV = p.ScoreVector)
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            int valid = sourceLengths.IsEmpty ? s : sourceLengths[r];
                            if (d.Concat)
                            {
                                weights.Slice(r * s, s).Clear();
                                ConcatScores(pWeights + ((long)r * s), pTanh, 0, pWs + ((long)r * a), pKeys + ((long)r * s * a), pV, valid, a);
                            }
                            else if (valid > 0)
                            {
                                Gemm.Multiply(weights.Slice(r * s, s), s, state.Slice(r * h, h), h, false, keys.Slice(r * s * h, valid * h), h, true,
                                    1, valid, h);
                            }

                            float* row = pCombined + ((long)r * width);
                            SingleQueryAttention.SoftmaxContext(row, pWeights + ((long)r * s), pMemory + ((long)r * s * m), s, valid, m);
                            state.Slice(r * h, h).CopyTo(combined.Slice((r * width) + m, h));
                        }
                    }

                    Linear.Forward(output, combined, p.CombineWeight, default, rows, width, h, ActivationKind.Tanh, preActivation, pool);
                    break;
                }
        }
    }
}
