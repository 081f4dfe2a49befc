using System;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// The sizes of a 2-D convolution as PyTorch's <c>nn.Conv2d</c> defines them (a 1-D convolution is the case
/// <c>Height = KernelHeight = 1</c>, stride/padding/dilation 1/0/1 along the height): input <c>[B, InChannels, Height, Width]</c>,
/// weight <c>[OutChannels, InChannels / Groups, KernelHeight, KernelWidth]</c>, output <c>[B, OutChannels, OutHeight, OutWidth]</c>
/// with <c>OutHeight = (Height + 2·PadHeight - DilationHeight·(KernelHeight - 1) - 1) / StrideHeight + 1</c> (and the same
/// for the width). <c>Create</c> checks every rule and names the size that breaks it.
/// </summary>
public readonly record struct ConvolutionShape(
    int Batch, int InChannels, int Height, int Width, int OutChannels, int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth, int PadHeight, int PadWidth, int DilationHeight, int DilationWidth, int Groups)
{
    /// <summary>Output rows: <c>(H + 2p - d(k - 1) - 1) / s + 1</c>.</summary>
    public int OutHeight => ((Height + (2 * PadHeight) - (DilationHeight * (KernelHeight - 1)) - 1) / StrideHeight) + 1;

    /// <summary>Output columns.</summary>
    public int OutWidth => ((Width + (2 * PadWidth) - (DilationWidth * (KernelWidth - 1)) - 1) / StrideWidth) + 1;

    /// <summary>Input channels per group.</summary>
    public int GroupInChannels => InChannels / Groups;

    /// <summary>Output channels per group.</summary>
    public int GroupOutChannels => OutChannels / Groups;

    /// <summary>Rows of one group's column matrix: <c>InChannels / Groups · KernelHeight · KernelWidth</c>.</summary>
    public int Patch => GroupInChannels * KernelHeight * KernelWidth;

    /// <summary>Output positions per image: <c>OutHeight · OutWidth</c>.</summary>
    public int Positions => OutHeight * OutWidth;

    /// <summary>Floats of the input, <c>B · InChannels · Height · Width</c>.</summary>
    public long InputLength => (long)Batch * InChannels * Height * Width;

    /// <summary>Floats of the output.</summary>
    public long OutputLength => (long)Batch * OutChannels * Positions;

    /// <summary>Floats of the weight.</summary>
    public long WeightLength => (long)OutChannels * Patch;

    /// <summary>Floats of scratch <see cref="Convolution.Forward"/> and <see cref="Convolution.Backward"/> need: one column matrix, <c>Patch · Positions</c>.</summary>
    public int ScratchLength => Patch * Positions;

    /// <summary>A 2-D convolution's sizes, checked; square kernels, strides, paddings and dilations by default.</summary>
    public static ConvolutionShape Create(int batch, int inChannels, int height, int width, int outChannels, int kernel,
        int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Create(batch, inChannels, height, width, outChannels, kernel, kernel, stride, stride, padding, padding, dilation, dilation, groups);

    /// <summary>A 2-D convolution's sizes, checked, each dimension given.</summary>
    public static ConvolutionShape Create(int batch, int inChannels, int height, int width, int outChannels,
        int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padHeight, int padWidth,
        int dilationHeight, int dilationWidth, int groups)
    {
        Positive(batch, nameof(batch));
        Positive(inChannels, nameof(inChannels));
        Positive(height, nameof(height));
        Positive(width, nameof(width));
        Positive(outChannels, nameof(outChannels));
        Positive(kernelHeight, nameof(kernelHeight));
        Positive(kernelWidth, nameof(kernelWidth));
        Positive(strideHeight, nameof(strideHeight));
        Positive(strideWidth, nameof(strideWidth));
        Positive(dilationHeight, nameof(dilationHeight));
        Positive(dilationWidth, nameof(dilationWidth));
        Positive(groups, nameof(groups));
        if (padHeight < 0 || padWidth < 0)
        {
            throw new ArgumentOutOfRangeException(padHeight < 0 ? nameof(padHeight) : nameof(padWidth), "padding must be 0 or more.");
        }

        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"groups ({groups}) must divide inChannels ({inChannels}) and outChannels ({outChannels}).", nameof(groups));
        }

        var shape = new ConvolutionShape(batch, inChannels, height, width, outChannels, kernelHeight, kernelWidth,
            strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth, groups);
        if (height + (2L * padHeight) - ((long)dilationHeight * (kernelHeight - 1)) - 1 < 0 || width + (2L * padWidth) - ((long)dilationWidth * (kernelWidth - 1)) - 1 < 0)
        {
            throw new ArgumentException(
                $"the dilated kernel ({kernelHeight}x{kernelWidth}, dilation {dilationHeight}x{dilationWidth}) is larger than the padded input "
                + $"({height + (2 * padHeight)}x{width + (2 * padWidth)}): the output would be empty.", nameof(kernelHeight));
        }

        if ((long)shape.Patch * shape.Positions > int.MaxValue || shape.InputLength > int.MaxValue || shape.OutputLength > int.MaxValue)
        {
            throw new ArgumentException("the convolution's tensors exceed int.MaxValue floats.", nameof(batch));
        }

        return shape;
    }

    private static void Positive(int value, string name)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1; got {value}.");
        }
    }
}

/// <summary>
/// 2-D (and 1-D) convolution, PyTorch's <c>nn.Conv2d</c> / <c>nn.Conv1d</c> in NCHW with cross-correlation: per image and group,
/// the input patches are unfolded into a column matrix <c>[Patch, Positions]</c> (im2col, zero padding) and multiplied by the
/// group's weight <c>[OutChannels/Groups, Patch]</c> with the project's GEMM; the backward multiplies the output gradient by the
/// columns (weight gradient) and by the weight (column gradient, folded back with col2im). The plain version is
/// <see cref="Reference.ConvolutionReference"/>.
/// </summary>
/// <remarks>
/// Images and groups run in order, each GEMM on the pool; the weight and bias gradients are summed image by image in that order.
/// Allocation-free: the one column matrix lives in the caller's scratch.
/// </remarks>
public static class Convolution
{
    /// <summary><c>output = conv(input, weight) + bias</c>.</summary>
    /// <param name="output">Result <c>[B, OutChannels, OutHeight, OutWidth]</c>, overwritten.</param>
    /// <param name="input">Input <c>[B, InChannels, Height, Width]</c>.</param>
    /// <param name="weight">Weight <c>[OutChannels, InChannels/Groups, KernelHeight, KernelWidth]</c>.</param>
    /// <param name="bias">Bias <c>[OutChannels]</c>, or empty for none.</param>
    /// <param name="shape">The sizes (<see cref="ConvolutionShape.Create(int, int, int, int, int, int, int, int, int, int)"/>).</param>
    /// <param name="scratch">At least <see cref="ConvolutionShape.ScratchLength"/> floats.</param>
    /// <param name="pool">Threads; null runs on the calling thread.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        in ConvolutionShape shape, Span<float> scratch, WorkerPool? pool = null)
    {
        Check(shape, output.Length, input.Length, weight.Length, bias.Length, scratch.Length, nameof(output), nameof(input));
        int patch = shape.Patch, positions = shape.Positions, outG = shape.GroupOutChannels;
        for (int b = 0; b < shape.Batch; b++)
        {
            Span<float> columns = scratch[..(patch * positions)];
            for (int g = 0; g < shape.Groups; g++)
            {
                Unfold(columns, input, shape, b, g);
                Span<float> y = output.Slice(((b * shape.OutChannels) + (g * outG)) * positions, outG * positions);
                Gemm.Multiply(y, weight.Slice(g * outG * patch, outG * patch), false, columns, false, outG, positions, patch, pool: pool);
            }

            if (!bias.IsEmpty)
            {
                for (int c = 0; c < shape.OutChannels; c++)
                {
                    Span<float> plane = output.Slice(((b * shape.OutChannels) + c) * positions, positions);
                    float value = bias[c];
                    for (int i = 0; i < plane.Length; i++)
                    {
                        plane[i] += value;
                    }
                }
            }
        }
    }

    /// <summary>Adds the gradients: <c>dInput</c> (if not empty), <c>dWeight</c> and <c>dBias</c> (if not empty).</summary>
    /// <param name="dInput">Gradient of the input, accumulated; empty when the input needs none (e.g. the batch's images).</param>
    /// <param name="dWeight">Gradient of the weight, accumulated.</param>
    /// <param name="dBias">Gradient of the bias, accumulated; empty for none.</param>
    /// <param name="dOutput">Gradient of the output.</param>
    /// <param name="input">The forward's input.</param>
    /// <param name="weight">The forward's weight.</param>
    /// <param name="shape">The sizes.</param>
    /// <param name="scratch">At least <see cref="ConvolutionShape.ScratchLength"/> floats.</param>
    /// <param name="pool">Threads; null runs on the calling thread.</param>
    public static void Backward(Span<float> dInput, Span<float> dWeight, Span<float> dBias, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weight, in ConvolutionShape shape, Span<float> scratch, WorkerPool? pool = null)
    {
        Check(shape, dOutput.Length, input.Length, weight.Length, dBias.Length, scratch.Length, nameof(dOutput), nameof(input));
        Guard.Length(dWeight, shape.WeightLength);
        if (!dInput.IsEmpty)
        {
            Guard.Length(dInput, shape.InputLength);
        }

        int patch = shape.Patch, positions = shape.Positions, outG = shape.GroupOutChannels;
        Span<float> columns = scratch[..(patch * positions)];
        for (int b = 0; b < shape.Batch; b++)
        {
            for (int g = 0; g < shape.Groups; g++)
            {
                ReadOnlySpan<float> dy = dOutput.Slice(((b * shape.OutChannels) + (g * outG)) * positions, outG * positions);

                // dW_g += dY_g · columnsᵀ ([outG, positions] × [positions, patch]).
                Unfold(columns, input, shape, b, g);
                Gemm.Multiply(dWeight.Slice(g * outG * patch, outG * patch), dy, false, columns, true, outG, patch, positions, beta: 1f, pool: pool);
                if (!dInput.IsEmpty)
                {
                    // dColumns = W_gᵀ · dY_g ([patch, outG] × [outG, positions]), folded back into dInput.
                    Gemm.Multiply(columns, weight.Slice(g * outG * patch, outG * patch), true, dy, false, patch, positions, outG, pool: pool);
                    Fold(dInput, columns, shape, b, g);
                }
            }

            if (!dBias.IsEmpty)
            {
                for (int c = 0; c < shape.OutChannels; c++)
                {
                    ReadOnlySpan<float> plane = dOutput.Slice(((b * shape.OutChannels) + c) * positions, positions);
                    float sum = 0f;
                    for (int i = 0; i < plane.Length; i++)
                    {
                        sum += plane[i];
                    }

                    dBias[c] += sum;
                }
            }
        }
    }

    /// <summary>im2col: <c>columns[(ci·kH + i)·kW + j, oy·OW + ox] = input[b, g·Cg + ci, oy·s - p + i·d, ox·s - p + j·d]</c>, 0 outside.</summary>
    private static void Unfold(Span<float> columns, ReadOnlySpan<float> input, in ConvolutionShape s, int b, int g)
    {
        int oh = s.OutHeight, ow = s.OutWidth;
        int row = 0;
        for (int ci = 0; ci < s.GroupInChannels; ci++)
        {
            ReadOnlySpan<float> plane = input.Slice(((b * s.InChannels) + (g * s.GroupInChannels) + ci) * s.Height * s.Width, s.Height * s.Width);
            for (int i = 0; i < s.KernelHeight; i++)
            {
                for (int j = 0; j < s.KernelWidth; j++, row++)
                {
                    Span<float> target = columns.Slice(row * oh * ow, oh * ow);
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int y = (oy * s.StrideHeight) - s.PadHeight + (i * s.DilationHeight);
                        Span<float> line = target.Slice(oy * ow, ow);
                        if ((uint)y >= (uint)s.Height)
                        {
                            line.Clear();
                            continue;
                        }

                        ReadOnlySpan<float> source = plane.Slice(y * s.Width, s.Width);
                        int x0 = (j * s.DilationWidth) - s.PadWidth;
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int x = (ox * s.StrideWidth) + x0;
                            line[ox] = (uint)x < (uint)s.Width ? source[x] : 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>col2im: adds each column entry back to the input position it was read from (entries from the padding are dropped).</summary>
    private static void Fold(Span<float> dInput, ReadOnlySpan<float> columns, in ConvolutionShape s, int b, int g)
    {
        int oh = s.OutHeight, ow = s.OutWidth;
        int row = 0;
        for (int ci = 0; ci < s.GroupInChannels; ci++)
        {
            Span<float> plane = dInput.Slice(((b * s.InChannels) + (g * s.GroupInChannels) + ci) * s.Height * s.Width, s.Height * s.Width);
            for (int i = 0; i < s.KernelHeight; i++)
            {
                for (int j = 0; j < s.KernelWidth; j++, row++)
                {
                    ReadOnlySpan<float> source = columns.Slice(row * oh * ow, oh * ow);
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int y = (oy * s.StrideHeight) - s.PadHeight + (i * s.DilationHeight);
                        if ((uint)y >= (uint)s.Height)
                        {
                            continue;
                        }

                        Span<float> target = plane.Slice(y * s.Width, s.Width);
                        ReadOnlySpan<float> line = source.Slice(oy * ow, ow);
                        int x0 = (j * s.DilationWidth) - s.PadWidth;
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int x = (ox * s.StrideWidth) + x0;
                            if ((uint)x < (uint)s.Width)
                            {
                                target[x] += line[ox];
                            }
                        }
                    }
                }
            }
        }
    }

    internal static void Check(in ConvolutionShape shape, int output, int input, int weight, int bias, int scratch, string outputName, string inputName)
    {
        if (shape.Batch < 1 || shape.Groups < 1 || shape.InChannels % shape.Groups != 0 || shape.OutChannels % shape.Groups != 0 || shape.OutHeight < 1 || shape.OutWidth < 1)
        {
            throw new ArgumentException("the shape was not made by ConvolutionShape.Create (or breaks its rules): " + shape, nameof(shape));
        }

        if (output != shape.OutputLength)
        {
            throw new ArgumentException($"{outputName} has {output} floats; expected B·OutChannels·OutHeight·OutWidth = {shape.OutputLength}.", outputName);
        }

        if (input != shape.InputLength)
        {
            throw new ArgumentException($"{inputName} has {input} floats; expected B·InChannels·Height·Width = {shape.InputLength}.", inputName);
        }

        if (weight != shape.WeightLength)
        {
            throw new ArgumentException($"weight has {weight} floats; expected OutChannels·InChannels/Groups·KernelHeight·KernelWidth = {shape.WeightLength}.", "weight");
        }

        if (bias != 0 && bias != shape.OutChannels)
        {
            throw new ArgumentException($"bias has {bias} floats; expected OutChannels = {shape.OutChannels} (or none).", "bias");
        }

        if (scratch < (long)shape.Patch * shape.Positions)
        {
            throw new ArgumentException($"scratch has {scratch} floats; expected at least {shape.ScratchLength} (ConvolutionShape.ScratchLength).", "scratch");
        }
    }
}
