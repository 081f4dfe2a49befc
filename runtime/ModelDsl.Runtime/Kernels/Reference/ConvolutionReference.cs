using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook <c>nn.Conv2d</c> (cross-correlation, NCHW, zero padding, groups), generic over the element type: the loops <see cref="Convolution"/> is tested against.</summary>
public static class ConvolutionReference
{
    /// <summary><c>output[b, o, y, x] = bias[o] + Σ_{c, i, j} weight[o, c, i, j] · input[b, g·Cg + c, y·s - p + i·d, x·s - p + j·d]</c>.</summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, in ConvolutionShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Convolution.Check(s, output.Length, input.Length, weight.Length, bias.Length, s.ScratchLength, nameof(output), nameof(input));
        for (int b = 0; b < s.Batch; b++)
        {
            for (int o = 0; o < s.OutChannels; o++)
            {
                int g = o / s.GroupOutChannels;
                for (int y = 0; y < s.OutHeight; y++)
                {
                    for (int x = 0; x < s.OutWidth; x++)
                    {
                        T sum = bias.IsEmpty ? T.Zero : bias[o];
                        for (int c = 0; c < s.GroupInChannels; c++)
                        {
                            for (int i = 0; i < s.KernelHeight; i++)
                            {
                                for (int j = 0; j < s.KernelWidth; j++)
                                {
                                    if (InputIndex(s, b, (g * s.GroupInChannels) + c, y, x, i, j) is int at)
                                    {
                                        sum += weight[WeightIndex(s, o, c, i, j)] * input[at];
                                    }
                                }
                            }
                        }

                        output[(((b * s.OutChannels) + o) * s.OutHeight + y) * s.OutWidth + x] = sum;
                    }
                }
            }
        }
    }

    /// <summary>Adds the gradients of the input (if not empty), the weight and the bias (if not empty).</summary>
    public static void Backward<T>(Span<T> dInput, Span<T> dWeight, Span<T> dBias, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input,
        ReadOnlySpan<T> weight, in ConvolutionShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Convolution.Check(s, dOutput.Length, input.Length, weight.Length, dBias.Length, s.ScratchLength, nameof(dOutput), nameof(input));
        for (int b = 0; b < s.Batch; b++)
        {
            for (int o = 0; o < s.OutChannels; o++)
            {
                int g = o / s.GroupOutChannels;
                for (int y = 0; y < s.OutHeight; y++)
                {
                    for (int x = 0; x < s.OutWidth; x++)
                    {
                        T dy = dOutput[(((b * s.OutChannels) + o) * s.OutHeight + y) * s.OutWidth + x];
                        if (!dBias.IsEmpty)
                        {
                            dBias[o] += dy;
                        }

                        for (int c = 0; c < s.GroupInChannels; c++)
                        {
                            for (int i = 0; i < s.KernelHeight; i++)
                            {
                                for (int j = 0; j < s.KernelWidth; j++)
                                {
                                    if (InputIndex(s, b, (g * s.GroupInChannels) + c, y, x, i, j) is int at)
                                    {
                                        int w = WeightIndex(s, o, c, i, j);
                                        dWeight[w] += dy * input[at];
                                        if (!dInput.IsEmpty)
                                        {
                                            dInput[at] += dy * weight[w];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static int WeightIndex(in ConvolutionShape s, int o, int c, int i, int j) => (((o * s.GroupInChannels) + c) * s.KernelHeight + i) * s.KernelWidth + j;

    private static int? InputIndex(in ConvolutionShape s, int b, int channel, int y, int x, int i, int j)
    {
        int row = (y * s.StrideHeight) - s.PadHeight + (i * s.DilationHeight);
        int column = (x * s.StrideWidth) - s.PadWidth + (j * s.DilationWidth);
        return (uint)row < (uint)s.Height && (uint)column < (uint)s.Width ? (((b * s.InChannels) + channel) * s.Height + row) * s.Width + column : null;
    }
}
