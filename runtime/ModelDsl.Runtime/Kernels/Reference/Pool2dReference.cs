using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook max and average pooling over 2-D windows (PyTorch's definitions), generic over the element type.</summary>
public static class Pool2dReference
{
    /// <summary>Max pooling: the first largest value of each window (padding excluded); returns nothing else.</summary>
    public static void MaxForward<T>(Span<T> output, ReadOnlySpan<T> input, in Pool2dShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        s.Check(output.Length, input.Length, nameof(output), nameof(input));
        foreach ((int o, int at, bool first) in Windows(s))
        {
            if (first || input[at] > output[o])
            {
                output[o] = input[at];
            }
        }
    }

    /// <summary>The max-pooling gradient: each output's gradient goes to its window's first largest input.</summary>
    public static void MaxBackward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input, in Pool2dShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        s.Check(dOutput.Length, dInput.Length, nameof(dOutput), nameof(dInput));
        var best = new int[s.OutputLength];
        foreach ((int o, int at, bool first) in Windows(s))
        {
            if (first || input[at] > input[best[o]])
            {
                best[o] = at;
            }
        }

        for (int o = 0; o < best.Length; o++)
        {
            dInput[best[o]] += dOutput[o];
        }
    }

    /// <summary>Average pooling with padding counted as zeros: window sum / Kernel².</summary>
    public static void AvgForward<T>(Span<T> output, ReadOnlySpan<T> input, in Pool2dShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        s.Check(output.Length, input.Length, nameof(output), nameof(input));
        output.Clear();
        T count = T.CreateChecked(s.Kernel * s.Kernel);
        var sums = new T[output.Length];
        foreach ((int o, int at, _) in Windows(s))
        {
            sums[o] += input[at];
        }

        for (int o = 0; o < sums.Length; o++)
        {
            output[o] = sums[o] / count;
        }
    }

    /// <summary>The average-pooling gradient: dOutput / Kernel² to every input of the window.</summary>
    public static void AvgBackward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, in Pool2dShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        s.Check(dOutput.Length, dInput.Length, nameof(dOutput), nameof(dInput));
        T count = T.CreateChecked(s.Kernel * s.Kernel);
        foreach ((int o, int at, _) in Windows(s))
        {
            dInput[at] += dOutput[o] / count;
        }
    }

    /// <summary>Global average pooling: each of the <paramref name="planes"/> outputs is its plane's sum / <paramref name="area"/>.</summary>
    public static void GlobalAverageForward<T>(Span<T> output, ReadOnlySpan<T> input, int planes, int area)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(area);
        for (int plane = 0; plane < planes; plane++)
        {
            T sum = T.Zero;
            foreach (T value in input.Slice(plane * area, area))
            {
                sum += value;
            }

            output[plane] = sum / count;
        }
    }

    /// <summary>The global-average gradient: dOutput / area to every position of the plane.</summary>
    public static void GlobalAverageBackward<T>(Span<T> dInput, ReadOnlySpan<T> dOutput, int planes, int area)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(area);
        for (int i = 0; i < planes * area; i++)
        {
            dInput[i] += dOutput[i / area] / count;
        }
    }

    /// <summary>(output index, input index, first in its window) for each in-image window position, row-major.</summary>
    private static System.Collections.Generic.List<(int Output, int Input, bool First)> Windows(in Pool2dShape s)
    {
        var visits = new System.Collections.Generic.List<(int Output, int Input, bool First)>();
        int oh = s.OutHeight, ow = s.OutWidth;
        for (int plane = 0; plane < s.Batch * s.Channels; plane++)
        {
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    bool first = true;
                    for (int i = 0; i < s.Kernel; i++)
                    {
                        for (int j = 0; j < s.Kernel; j++)
                        {
                            int y = (oy * s.Stride) - s.Padding + i, x = (ox * s.Stride) - s.Padding + j;
                            if ((uint)y < (uint)s.Height && (uint)x < (uint)s.Width)
                            {
                                visits.Add(((plane * oh * ow) + (oy * ow) + ox, (plane * s.Height * s.Width) + (y * s.Width) + x, first));
                                first = false;
                            }
                        }
                    }
                }
            }
        }

        return visits;
    }
}
