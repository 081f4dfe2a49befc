using System;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// The sizes of PyTorch's <c>nn.Conv1d</c> applied along a sequence stored channels-last, as the DSL's sequences are: input
/// <c>[B, Length, InChannels]</c>, weight <c>[OutChannels, InChannels / Groups, Kernel]</c> (PyTorch's layout), output
/// <c>[B, OutLength, OutChannels]</c> with <c>OutLength = (Length + 2·Padding - Dilation·(Kernel - 1) - 1) / Stride + 1</c>.
/// PyTorch's <c>[B, C, L]</c> tensors are these transposed. <see cref="Create"/> checks every rule and names the size that breaks it.
/// </summary>
public readonly record struct Convolution1dShape(
    int Batch, int Length, int InChannels, int OutChannels, int Kernel, int Stride, int Padding, int Dilation, int Groups)
{
    /// <summary>Output positions: <c>(L + 2p - d(k - 1) - 1) / s + 1</c>.</summary>
    public int OutLength => ((Length + (2 * Padding) - (Dilation * (Kernel - 1)) - 1) / Stride) + 1;

    /// <summary>Input channels per group.</summary>
    public int GroupInChannels => InChannels / Groups;

    /// <summary>Output channels per group.</summary>
    public int GroupOutChannels => OutChannels / Groups;

    /// <summary>Columns of one group's unfolded input (and of its weight rows): <c>InChannels / Groups · Kernel</c>.</summary>
    public int Patch => GroupInChannels * Kernel;

    /// <summary>Floats of the input, <c>B · Length · InChannels</c>.</summary>
    public long InputLength => (long)Batch * Length * InChannels;

    /// <summary>Floats of the output, <c>B · OutLength · OutChannels</c>.</summary>
    public long OutputLength => (long)Batch * OutLength * OutChannels;

    /// <summary>Floats of the weight, <c>OutChannels · InChannels / Groups · Kernel</c>.</summary>
    public long WeightLength => (long)OutChannels * Patch;

    /// <summary>Floats of scratch the kernels need: one unfolded sequence, <c>OutLength · Patch</c>.</summary>
    public int ScratchLength => OutLength * Patch;

    /// <summary>A 1-D convolution's sizes, checked.</summary>
    public static Convolution1dShape Create(int batch, int length, int inChannels, int outChannels, int kernel,
        int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        Positive(batch, nameof(batch));
        Positive(length, nameof(length));
        Positive(inChannels, nameof(inChannels));
        Positive(outChannels, nameof(outChannels));
        Positive(kernel, nameof(kernel));
        Positive(stride, nameof(stride));
        Positive(dilation, nameof(dilation));
        Positive(groups, nameof(groups));
        if (padding < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"padding must be 0 or more; got {padding}.");
        }

        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"groups ({groups}) must divide inChannels ({inChannels}) and outChannels ({outChannels}).", nameof(groups));
        }

        if (length + (2L * padding) - ((long)dilation * (kernel - 1)) - 1 < 0)
        {
            throw new ArgumentException(
                $"the dilated kernel ({kernel}, dilation {dilation}) is longer than the padded length ({length + (2L * padding)}): the output would be empty.", nameof(kernel));
        }

        var shape = new Convolution1dShape(batch, length, inChannels, outChannels, kernel, stride, padding, dilation, groups);
        if ((long)shape.OutLength * shape.Patch > int.MaxValue || shape.InputLength > int.MaxValue || shape.OutputLength > int.MaxValue)
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
/// <c>nn.Conv1d</c> (cross-correlation, zero padding, dilation, groups) along a channels-last sequence <c>[B, L, C]</c>: per
/// sequence and group the input is unfolded into <c>[OutLength, Patch]</c> (row <c>t</c>, column <c>c·Kernel + k</c> holds
/// <c>input[b, t·s - p + k·d, g·Cg + c]</c>, so a row lines up with a row of PyTorch's weight) and multiplied by the group's weight
/// <c>[OutChannels/Groups, Patch]</c> transposed, straight into the group's columns of the output. The backward multiplies the output
/// gradient by the unfolded input (weight gradient) and by the weight (unfolded input gradient, folded back). The plain version is
/// <see cref="Reference.Convolution1dReference"/>.
/// </summary>
/// <remarks>Sequences and groups run in order, each GEMM on the pool; gradients are summed sequence by sequence in that order. Allocation-free.</remarks>
public static class Convolution1d
{
    /// <summary><c>output = conv1d(input, weight) + bias</c>.</summary>
    /// <param name="output">Result <c>[B, OutLength, OutChannels]</c>, overwritten.</param>
    /// <param name="input">Input <c>[B, Length, InChannels]</c>.</param>
    /// <param name="weight">Weight <c>[OutChannels, InChannels/Groups, Kernel]</c>.</param>
    /// <param name="bias">Bias <c>[OutChannels]</c>, or empty for none.</param>
    /// <param name="shape">The sizes.</param>
    /// <param name="scratch">At least <see cref="Convolution1dShape.ScratchLength"/> floats.</param>
    /// <param name="pool">Threads; null runs on the calling thread.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        in Convolution1dShape shape, Span<float> scratch, WorkerPool? pool = null)
    {
        Check(shape, output.Length, input.Length, weight.Length, bias.Length, scratch.Length, nameof(output), nameof(input));
        int patch = shape.Patch, positions = shape.OutLength, outG = shape.GroupOutChannels, outC = shape.OutChannels;
        Span<float> columns = scratch[..(patch * positions)];
        for (int b = 0; b < shape.Batch; b++)
        {
            Span<float> y = output.Slice(b * positions * outC, positions * outC);
            for (int g = 0; g < shape.Groups; g++)
            {
                Unfold(columns, input, shape, b, g);

                // Y[:, g] = columns · W_gᵀ ([positions, patch] × [patch, outG]), written with the output's row stride.
                Gemm.Multiply(y[(g * outG)..], outC, columns, patch, false, weight.Slice(g * outG * patch, outG * patch), patch, true, positions, outG, patch, pool: pool);
            }

            if (!bias.IsEmpty)
            {
                for (int t = 0; t < positions; t++)
                {
                    Span<float> row = y.Slice(t * outC, outC);
                    for (int o = 0; o < outC; o++)
                    {
                        row[o] += bias[o];
                    }
                }
            }
        }
    }

    /// <summary>Adds the gradients: <c>dInput</c> (if not empty), <c>dWeight</c> and <c>dBias</c> (if not empty).</summary>
    /// <param name="dInput">Gradient of the input, accumulated; empty when the input needs none (e.g. the batch's features).</param>
    /// <param name="dWeight">Gradient of the weight, accumulated.</param>
    /// <param name="dBias">Gradient of the bias, accumulated; empty for none.</param>
    /// <param name="dOutput">Gradient of the output.</param>
    /// <param name="input">The forward's input.</param>
    /// <param name="weight">The forward's weight.</param>
    /// <param name="shape">The sizes.</param>
    /// <param name="scratch">At least <see cref="Convolution1dShape.ScratchLength"/> floats.</param>
    /// <param name="pool">Threads; null runs on the calling thread.</param>
    public static void Backward(Span<float> dInput, Span<float> dWeight, Span<float> dBias, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weight, in Convolution1dShape shape, Span<float> scratch, WorkerPool? pool = null)
    {
        Check(shape, dOutput.Length, input.Length, weight.Length, dBias.Length, scratch.Length, nameof(dOutput), nameof(input));
        Guard.Length(dWeight, shape.WeightLength);
        if (!dInput.IsEmpty)
        {
            Guard.Length(dInput, shape.InputLength);
        }

        int patch = shape.Patch, positions = shape.OutLength, outG = shape.GroupOutChannels, outC = shape.OutChannels;
        Span<float> columns = scratch[..(patch * positions)];
        for (int b = 0; b < shape.Batch; b++)
        {
            ReadOnlySpan<float> dy = dOutput.Slice(b * positions * outC, positions * outC);
            for (int g = 0; g < shape.Groups; g++)
            {
                ReadOnlySpan<float> dyG = dy[(g * outG)..];
                ReadOnlySpan<float> wG = weight.Slice(g * outG * patch, outG * patch);

                // dW_g += dY_gᵀ · columns ([outG, positions] × [positions, patch]).
                Unfold(columns, input, shape, b, g);
                Gemm.Multiply(dWeight.Slice(g * outG * patch, outG * patch), patch, dyG, outC, true, columns, patch, false, outG, patch, positions, beta: 1f, pool: pool);
                if (!dInput.IsEmpty)
                {
                    // dColumns = dY_g · W_g ([positions, outG] × [outG, patch]), folded back into dInput.
                    Gemm.Multiply(columns, patch, dyG, outC, false, wG, patch, false, positions, patch, outG, pool: pool);
                    Fold(dInput, columns, shape, b, g);
                }
            }

            if (!dBias.IsEmpty)
            {
                for (int t = 0; t < positions; t++)
                {
                    ReadOnlySpan<float> row = dy.Slice(t * outC, outC);
                    for (int o = 0; o < outC; o++)
                    {
                        dBias[o] += row[o];
                    }
                }
            }
        }
    }

    /// <summary>Throws unless the spans fit <paramref name="shape"/>, naming the one that does not.</summary>
    internal static void Check(in Convolution1dShape shape, int output, int input, int weight, int bias, int scratch, string outputName, string inputName)
    {
        if (output != shape.OutputLength)
        {
            throw new ArgumentException($"{outputName} must hold B·OutLength·OutChannels = {shape.OutputLength} floats; got {output}.", outputName);
        }

        if (input != shape.InputLength)
        {
            throw new ArgumentException($"{inputName} must hold B·Length·InChannels = {shape.InputLength} floats; got {input}.", inputName);
        }

        if (weight != shape.WeightLength)
        {
            throw new ArgumentException($"weight must hold OutChannels·InChannels/Groups·Kernel = {shape.WeightLength} floats; got {weight}.", "weight");
        }

        if (bias != 0 && bias != shape.OutChannels)
        {
            throw new ArgumentException($"bias must be empty or hold OutChannels = {shape.OutChannels} floats; got {bias}.", "bias");
        }

        if (scratch < shape.ScratchLength)
        {
            throw new ArgumentException($"scratch must hold at least OutLength·Patch = {shape.ScratchLength} floats; got {scratch}.", "scratch");
        }
    }

    /// <summary><c>columns[t, c·K + k] = input[b, t·s - p + k·d, g·Cg + c]</c>, 0 outside the sequence.</summary>
    private static void Unfold(Span<float> columns, ReadOnlySpan<float> input, in Convolution1dShape s, int b, int g)
    {
        int patch = s.Patch, channels = s.InChannels, cg = s.GroupInChannels, first = g * cg;
        ReadOnlySpan<float> sequence = input.Slice(b * s.Length * channels, s.Length * channels);
        for (int t = 0; t < s.OutLength; t++)
        {
            Span<float> row = columns.Slice(t * patch, patch);
            int start = (t * s.Stride) - s.Padding;
            for (int k = 0; k < s.Kernel; k++)
            {
                int position = start + (k * s.Dilation);
                if ((uint)position >= (uint)s.Length)
                {
                    for (int c = 0; c < cg; c++)
                    {
                        row[(c * s.Kernel) + k] = 0f;
                    }

                    continue;
                }

                ReadOnlySpan<float> source = sequence.Slice((position * channels) + first, cg);
                for (int c = 0; c < cg; c++)
                {
                    row[(c * s.Kernel) + k] = source[c];
                }
            }
        }
    }

    /// <summary>Adds each unfolded entry back to the input position it was read from (entries from the padding are dropped).</summary>
    private static void Fold(Span<float> dInput, ReadOnlySpan<float> columns, in Convolution1dShape s, int b, int g)
    {
        int patch = s.Patch, channels = s.InChannels, cg = s.GroupInChannels, first = g * cg;
        Span<float> sequence = dInput.Slice(b * s.Length * channels, s.Length * channels);
        for (int t = 0; t < s.OutLength; t++)
        {
            ReadOnlySpan<float> row = columns.Slice(t * patch, patch);
            int start = (t * s.Stride) - s.Padding;
            for (int k = 0; k < s.Kernel; k++)
            {
                int position = start + (k * s.Dilation);
                if ((uint)position >= (uint)s.Length)
                {
                    continue;
                }

                Span<float> target = sequence.Slice((position * channels) + first, cg);
                for (int c = 0; c < cg; c++)
                {
                    target[c] += row[(c * s.Kernel) + k];
                }
            }
        }
    }
}
