using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>The Vision Transformer's patch embedding written from its definition, generic over the element type: the loops <see cref="PatchEmbedding"/> is tested against.</summary>
public static class PatchEmbeddingReference
{
    /// <summary>
    /// <c>output[b, 0, d] = classToken[d] + positions[0, d]</c>; for the patch at row <c>py</c>, column <c>px</c> (<c>n = py·W/P + px</c>):
    /// <c>output[b, 1 + n, d] = bias[d] + Σ_{c, i, j} weight[d, c, i, j] · input[b, c, py·P + i, px·P + j] + positions[1 + n, d]</c>.
    /// </summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> classToken, ReadOnlySpan<T> positions, in ConvolutionShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = s.KernelHeight, columns = s.Width / p, n = s.Positions, d = s.OutChannels;
        for (int b = 0; b < s.Batch; b++)
        {
            for (int o = 0; o < d; o++)
            {
                output[(b * (1 + n) * d) + o] = classToken[o] + positions[o];
                for (int patch = 0; patch < n; patch++)
                {
                    int py = patch / columns, px = patch % columns;
                    T sum = bias.IsEmpty ? T.Zero : bias[o];
                    for (int c = 0; c < s.InChannels; c++)
                    {
                        for (int i = 0; i < p; i++)
                        {
                            for (int j = 0; j < p; j++)
                            {
                                sum += weight[(((o * s.InChannels) + c) * p + i) * p + j] * input[(((b * s.InChannels) + c) * s.Height + (py * p) + i) * s.Width + (px * p) + j];
                            }
                        }
                    }

                    output[(((b * (1 + n)) + 1 + patch) * d) + o] = sum + positions[((1 + patch) * d) + o];
                }
            }
        }
    }

    /// <summary>Adds the gradients of <see cref="Forward{T}"/> (<paramref name="dInput"/> and <paramref name="dBias"/> skipped when empty).</summary>
    public static void Backward<T>(Span<T> dInput, Span<T> dWeight, Span<T> dBias, Span<T> dClassToken, Span<T> dPositions,
        ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input, ReadOnlySpan<T> weight, in ConvolutionShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = s.KernelHeight, columns = s.Width / p, n = s.Positions, d = s.OutChannels;
        for (int b = 0; b < s.Batch; b++)
        {
            for (int o = 0; o < d; o++)
            {
                T first = dOutput[(b * (1 + n) * d) + o];
                dClassToken[o] += first;
                dPositions[o] += first;
                for (int patch = 0; patch < n; patch++)
                {
                    int py = patch / columns, px = patch % columns;
                    T g = dOutput[(((b * (1 + n)) + 1 + patch) * d) + o];
                    dPositions[((1 + patch) * d) + o] += g;
                    if (!dBias.IsEmpty)
                    {
                        dBias[o] += g;
                    }

                    for (int c = 0; c < s.InChannels; c++)
                    {
                        for (int i = 0; i < p; i++)
                        {
                            for (int j = 0; j < p; j++)
                            {
                                int w = (((o * s.InChannels) + c) * p + i) * p + j;
                                int x = (((b * s.InChannels) + c) * s.Height + (py * p) + i) * s.Width + (px * p) + j;
                                dWeight[w] += g * input[x];
                                if (!dInput.IsEmpty)
                                {
                                    dInput[x] += g * weight[w];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
