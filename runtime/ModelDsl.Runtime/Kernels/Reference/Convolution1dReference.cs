using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook <c>nn.Conv1d</c> along a channels-last sequence <c>[B, L, C]</c> (cross-correlation, zero padding, dilation, groups), generic over the element type: the loops <see cref="Convolution1d"/> is tested against.</summary>
public static class Convolution1dReference
{
    /// <summary><c>output[b, t, o] = bias[o] + Σ_{c, k} weight[o, c, k] · input[b, t·s - p + k·d, g·Cg + c]</c>.</summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, in Convolution1dShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Convolution1d.Check(s, output.Length, input.Length, weight.Length, bias.Length, s.ScratchLength, nameof(output), nameof(input));
        for (int b = 0; b < s.Batch; b++)
        {
            for (int t = 0; t < s.OutLength; t++)
            {
                for (int o = 0; o < s.OutChannels; o++)
                {
                    int g = o / s.GroupOutChannels;
                    T sum = bias.IsEmpty ? T.Zero : bias[o];
                    for (int c = 0; c < s.GroupInChannels; c++)
                    {
                        for (int k = 0; k < s.Kernel; k++)
                        {
                            int position = (t * s.Stride) - s.Padding + (k * s.Dilation);
                            if (position >= 0 && position < s.Length)
                            {
                                sum += weight[(((o * s.GroupInChannels) + c) * s.Kernel) + k] * input[(((b * s.Length) + position) * s.InChannels) + (g * s.GroupInChannels) + c];
                            }
                        }
                    }

                    output[(((b * s.OutLength) + t) * s.OutChannels) + o] = sum;
                }
            }
        }
    }

    /// <summary>Adds the gradients of the input (if not empty), the weight and the bias (if not empty).</summary>
    public static void Backward<T>(Span<T> dInput, Span<T> dWeight, Span<T> dBias, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input,
        ReadOnlySpan<T> weight, in Convolution1dShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Convolution1d.Check(s, dOutput.Length, input.Length, weight.Length, dBias.Length, s.ScratchLength, nameof(dOutput), nameof(input));
        for (int b = 0; b < s.Batch; b++)
        {
            for (int t = 0; t < s.OutLength; t++)
            {
                for (int o = 0; o < s.OutChannels; o++)
                {
                    int g = o / s.GroupOutChannels;
                    T dy = dOutput[(((b * s.OutLength) + t) * s.OutChannels) + o];
                    if (!dBias.IsEmpty)
                    {
                        dBias[o] += dy;
                    }

                    for (int c = 0; c < s.GroupInChannels; c++)
                    {
                        for (int k = 0; k < s.Kernel; k++)
                        {
                            int position = (t * s.Stride) - s.Padding + (k * s.Dilation);
                            if (position < 0 || position >= s.Length)
                            {
                                continue;
                            }

                            int w = (((o * s.GroupInChannels) + c) * s.Kernel) + k;
                            int x = (((b * s.Length) + position) * s.InChannels) + (g * s.GroupInChannels) + c;
                            dWeight[w] += dy * input[x];
                            if (!dInput.IsEmpty)
                            {
                                dInput[x] += dy * weight[w];
                            }
                        }
                    }
                }
            }
        }
    }
}
