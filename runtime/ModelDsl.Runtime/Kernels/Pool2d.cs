using System;
using System.Runtime.InteropServices;

namespace ModelDsl.Kernels;

/// <summary>
/// The sizes of PyTorch's <c>nn.MaxPool2d</c> / <c>nn.AvgPool2d</c> (NCHW, <c>ceil_mode=False</c>): input
/// <c>[B, Channels, Height, Width]</c>, output <c>[B, Channels, OutHeight, OutWidth]</c> with
/// <c>OutHeight = (Height + 2·Padding - Kernel) / Stride + 1</c>; padding at most half the kernel, as PyTorch requires.
/// </summary>
public readonly record struct Pool2dShape(int Batch, int Channels, int Height, int Width, int Kernel, int Stride, int Padding)
{
    /// <summary>Output rows.</summary>
    public int OutHeight => ((Height + (2 * Padding) - Kernel) / Stride) + 1;

    /// <summary>Output columns.</summary>
    public int OutWidth => ((Width + (2 * Padding) - Kernel) / Stride) + 1;

    /// <summary>Floats of the input.</summary>
    public int InputLength => Batch * Channels * Height * Width;

    /// <summary>Floats of the output.</summary>
    public int OutputLength => Batch * Channels * OutHeight * OutWidth;

    /// <summary>Checked sizes; <paramref name="stride"/> 0 means the kernel size (PyTorch's default).</summary>
    public static Pool2dShape Create(int batch, int channels, int height, int width, int kernel, int stride = 0, int padding = 0)
    {
        stride = stride == 0 ? kernel : stride;
        foreach ((int value, string name) in new[] { (batch, nameof(batch)), (channels, nameof(channels)), (height, nameof(height)), (width, nameof(width)), (kernel, nameof(kernel)), (stride, nameof(stride)) })
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1; got {value}.");
            }
        }

        if (padding < 0 || 2 * padding > kernel)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"padding must be in [0, kernel / 2] ({kernel / 2}); got {padding}.");
        }

        if (height + (2 * padding) < kernel || width + (2 * padding) < kernel)
        {
            throw new ArgumentException($"the kernel ({kernel}) is larger than the padded input ({height + (2 * padding)}x{width + (2 * padding)}): the output would be empty.", nameof(kernel));
        }

        if ((long)batch * channels * height * width > int.MaxValue)
        {
            throw new ArgumentException("the input exceeds int.MaxValue floats.", nameof(batch));
        }

        return new Pool2dShape(batch, channels, height, width, kernel, stride, padding);
    }

    internal void Check(int output, int input, string outputName, string inputName)
    {
        if (OutHeight < 1 || OutWidth < 1 || Stride < 1)
        {
            throw new ArgumentException("the shape was not made by Pool2dShape.Create (or breaks its rules): " + this, "shape");
        }

        if (output != OutputLength)
        {
            throw new ArgumentException($"{outputName} has {output} floats; expected B·Channels·OutHeight·OutWidth = {OutputLength}.", outputName);
        }

        if (input != InputLength)
        {
            throw new ArgumentException($"{inputName} has {input} floats; expected B·Channels·Height·Width = {InputLength}.", inputName);
        }
    }
}

/// <summary>
/// <c>nn.MaxPool2d</c>: each output is the largest input of its window (padding never wins); the forward records the index of
/// the first largest (row-major in the window, as PyTorch's CPU kernel) and the backward sends the gradient there. The plain
/// version is <see cref="Reference.Pool2dReference"/>.
/// </summary>
public static class MaxPool2d
{
    /// <summary>Writes the maxima and their input indices.</summary>
    /// <param name="output">Result <c>[B, C, OutHeight, OutWidth]</c>.</param>
    /// <param name="indices">Index into <paramref name="input"/> of each output's maximum (kept for the backward).</param>
    /// <param name="input">Input <c>[B, C, Height, Width]</c>.</param>
    /// <param name="shape">The sizes.</param>
    public static void Forward(Span<float> output, Span<int> indices, ReadOnlySpan<float> input, in Pool2dShape shape)
    {
        shape.Check(output.Length, input.Length, nameof(output), nameof(input));
        Guard.Length(indices, shape.OutputLength);
        int oh = shape.OutHeight, ow = shape.OutWidth, h = shape.Height, w = shape.Width;
        for (int plane = 0; plane < shape.Batch * shape.Channels; plane++)
        {
            int inBase = plane * h * w, outBase = plane * oh * ow;
            for (int oy = 0; oy < oh; oy++)
            {
                int y0 = (oy * shape.Stride) - shape.Padding;
                int y1 = Math.Min(y0 + shape.Kernel, h);
                y0 = Math.Max(y0, 0);
                for (int ox = 0; ox < ow; ox++)
                {
                    int x0 = (ox * shape.Stride) - shape.Padding;
                    int x1 = Math.Min(x0 + shape.Kernel, w);
                    x0 = Math.Max(x0, 0);
                    float best = float.NegativeInfinity;
                    int at = inBase + (y0 * w) + x0;
                    for (int y = y0; y < y1; y++)
                    {
                        for (int x = x0; x < x1; x++)
                        {
                            float value = input[inBase + (y * w) + x];
                            if (value > best || float.IsNaN(value))
                            {
                                best = value;
                                at = inBase + (y * w) + x;
                                if (float.IsNaN(value))
                                {
                                    goto found;
                                }
                            }
                        }
                    }

                found:
                    output[outBase + (oy * ow) + ox] = best;
                    indices[outBase + (oy * ow) + ox] = at;
                }
            }
        }
    }

    /// <summary>
    /// As <see cref="Forward(Span{float}, Span{int}, ReadOnlySpan{float}, in Pool2dShape)"/>, keeping the indices as the int bits of a
    /// float buffer (a generated trainer's saved block is floats); read them back with the matching <c>Backward</c> overload.
    /// </summary>
    public static void Forward(Span<float> output, Span<float> indexBits, ReadOnlySpan<float> input, in Pool2dShape shape) =>
        Forward(output, MemoryMarshal.Cast<float, int>(indexBits), input, shape);

    /// <summary>As <see cref="Backward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, in Pool2dShape)"/>, with the indices the float overload of <c>Forward</c> kept.</summary>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> indexBits, in Pool2dShape shape) =>
        Backward(dInput, dOutput, MemoryMarshal.Cast<float, int>(indexBits), shape);

    /// <summary>Adds each output gradient to the input position its maximum came from.</summary>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<int> indices, in Pool2dShape shape)
    {
        shape.Check(dOutput.Length, dInput.Length, nameof(dOutput), nameof(dInput));
        Guard.Length(indices, shape.OutputLength);
        for (int i = 0; i < dOutput.Length; i++)
        {
            int at = indices[i];
            if ((uint)at >= (uint)dInput.Length)
            {
                throw new ArgumentException($"indices[{i}] = {at} is outside the input ({dInput.Length} floats): not the forward's indices.", nameof(indices));
            }

            dInput[at] += dOutput[i];
        }
    }
}

/// <summary>
/// <c>nn.AvgPool2d</c> with PyTorch's defaults (<c>count_include_pad=True</c>): each output is the sum of its window divided by
/// <c>Kernel²</c>, padded positions counting as zeros. The plain version is <see cref="Reference.Pool2dReference"/>.
/// </summary>
public static class AvgPool2d
{
    /// <summary>Writes the window means.</summary>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, in Pool2dShape shape)
    {
        shape.Check(output.Length, input.Length, nameof(output), nameof(input));
        int oh = shape.OutHeight, ow = shape.OutWidth, h = shape.Height, w = shape.Width;
        float scale = 1f / (shape.Kernel * shape.Kernel);
        for (int plane = 0; plane < shape.Batch * shape.Channels; plane++)
        {
            int inBase = plane * h * w, outBase = plane * oh * ow;
            for (int oy = 0; oy < oh; oy++)
            {
                int y0 = Math.Max((oy * shape.Stride) - shape.Padding, 0);
                int y1 = Math.Min((oy * shape.Stride) - shape.Padding + shape.Kernel, h);
                for (int ox = 0; ox < ow; ox++)
                {
                    int x0 = Math.Max((ox * shape.Stride) - shape.Padding, 0);
                    int x1 = Math.Min((ox * shape.Stride) - shape.Padding + shape.Kernel, w);
                    float sum = 0f;
                    for (int y = y0; y < y1; y++)
                    {
                        for (int x = x0; x < x1; x++)
                        {
                            sum += input[inBase + (y * w) + x];
                        }
                    }

                    output[outBase + (oy * ow) + ox] = sum * scale;
                }
            }
        }
    }

    /// <summary>Adds <c>dOutput / Kernel²</c> to every input position of each window.</summary>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, in Pool2dShape shape)
    {
        shape.Check(dOutput.Length, dInput.Length, nameof(dOutput), nameof(dInput));
        int oh = shape.OutHeight, ow = shape.OutWidth, h = shape.Height, w = shape.Width;
        float scale = 1f / (shape.Kernel * shape.Kernel);
        for (int plane = 0; plane < shape.Batch * shape.Channels; plane++)
        {
            int inBase = plane * h * w, outBase = plane * oh * ow;
            for (int oy = 0; oy < oh; oy++)
            {
                int y0 = Math.Max((oy * shape.Stride) - shape.Padding, 0);
                int y1 = Math.Min((oy * shape.Stride) - shape.Padding + shape.Kernel, h);
                for (int ox = 0; ox < ow; ox++)
                {
                    int x0 = Math.Max((ox * shape.Stride) - shape.Padding, 0);
                    int x1 = Math.Min((ox * shape.Stride) - shape.Padding + shape.Kernel, w);
                    float g = dOutput[outBase + (oy * ow) + ox] * scale;
                    for (int y = y0; y < y1; y++)
                    {
                        for (int x = x0; x < x1; x++)
                        {
                            dInput[inBase + (y * w) + x] += g;
                        }
                    }
                }
            }
        }
    }
}

/// <summary>
/// Global average pooling: <c>[B, C, H, W]</c> to <c>[B, C]</c>, the mean of each plane (PyTorch's <c>nn.AdaptiveAvgPool2d(1)</c>
/// then <c>flatten(1)</c>). Each plane is summed in order, so results do not depend on threads. The plain version is
/// <see cref="Reference.Pool2dReference.GlobalAverageForward"/>.
/// </summary>
public static class GlobalAvgPool2d
{
    /// <summary>Writes the mean of each of the <paramref name="planes"/> planes of <paramref name="area"/> values.</summary>
    /// <param name="output">Result <c>[planes]</c> (<c>planes = B·C</c>).</param>
    /// <param name="input">Input <c>[planes, area]</c> (<c>area = H·W</c>).</param>
    /// <param name="planes">B·C.</param>
    /// <param name="area">H·W, at least 1.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, int planes, int area)
    {
        Check(output.Length, input.Length, planes, area, nameof(output), nameof(input));
        float scale = 1f / area;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<float> values = input.Slice(plane * area, area);
            float sum = 0f;
            for (int i = 0; i < values.Length; i++)
            {
                sum += values[i];
            }

            output[plane] = sum * scale;
        }
    }

    /// <summary>Adds <c>dOutput / area</c> to every input position of each plane.</summary>
    /// <param name="dInput">Gradient of the input <c>[planes, area]</c>, accumulated.</param>
    /// <param name="dOutput">Gradient of the output <c>[planes]</c>.</param>
    /// <param name="planes">B·C.</param>
    /// <param name="area">H·W, at least 1.</param>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, int planes, int area)
    {
        Check(dOutput.Length, dInput.Length, planes, area, nameof(dOutput), nameof(dInput));
        float scale = 1f / area;
        for (int plane = 0; plane < planes; plane++)
        {
            Span<float> values = dInput.Slice(plane * area, area);
            float g = dOutput[plane] * scale;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] += g;
            }
        }
    }

    private static void Check(int output, int input, int planes, int area, string outputName, string inputName)
    {
        if (planes < 0 || area < 1)
        {
            throw new ArgumentOutOfRangeException(area < 1 ? nameof(area) : nameof(planes), $"planes ({planes}) must be 0 or more and area ({area}) at least 1.");
        }

        if (output != planes)
        {
            throw new ArgumentException($"{outputName} has {output} floats; expected planes = {planes}.", outputName);
        }

        if ((long)planes * area != input)
        {
            throw new ArgumentException($"{inputName} has {input} floats; expected planes·area = {(long)planes * area}.", inputName);
        }
    }
}
