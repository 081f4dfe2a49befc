using System;
using System.Numerics.Tensors;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// The Vision Transformer's patch embedding: an image <c>[B, C, H, W]</c> cut into non-overlapping <c>P×P</c> patches, each
/// projected to <c>D</c> (PyTorch's <c>nn.Conv2d(C, D, P, stride=P)</c>, the same weight <c>[D, C, P, P]</c> and bias <c>[D]</c>),
/// the patches read row by row as a sequence, a learned class token prepended and learned positions added:
/// <c>output[b, 0, :] = classToken + positions[0, :]</c>, <c>output[b, 1 + n, d] = conv(input)[b, d, n] + positions[1 + n, d]</c>,
/// output <c>[B, 1 + (H/P)·(W/P), D]</c>. The projection is <see cref="Convolution"/> (im2col + GEMM) one image at a time.
/// </summary>
/// <remarks>Allocation-free: the column matrix and one image's <c>[D, N]</c> projection live in the caller's scratch.</remarks>
public static class PatchEmbedding
{
    /// <summary>The projection of a patch embedding with patches of side <paramref name="patch"/>, checked (H and W multiples of it).</summary>
    /// <param name="batch">Images B.</param>
    /// <param name="channels">Channels C.</param>
    /// <param name="height">Height H, a multiple of <paramref name="patch"/>.</param>
    /// <param name="width">Width W, a multiple of <paramref name="patch"/>.</param>
    /// <param name="dimension">Embedding width D.</param>
    /// <param name="patch">Side P of the square patches.</param>
    public static ConvolutionShape Shape(int batch, int channels, int height, int width, int dimension, int patch)
    {
        if (patch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(patch), patch, $"patch must be at least 1; got {patch}.");
        }

        if (height % patch != 0 || width % patch != 0)
        {
            throw new ArgumentException($"the image ({height}x{width}) is not cut into whole {patch}x{patch} patches: height and width must be multiples of {patch}.", nameof(patch));
        }

        return ConvolutionShape.Create(batch, channels, height, width, dimension, patch, stride: patch);
    }

    /// <summary>Floats of scratch <see cref="Forward"/> and <see cref="Backward"/> need: the column matrix and one image's projection <c>D · N</c>.</summary>
    public static int ScratchLength(in ConvolutionShape shape) => shape.ScratchLength + (shape.OutChannels * shape.Positions);

    /// <summary>Floats of the output, <c>B · (1 + N) · D</c>.</summary>
    public static long OutputLength(in ConvolutionShape shape) => (long)shape.Batch * (1 + shape.Positions) * shape.OutChannels;

    /// <summary>Computes the embedded sequence.</summary>
    /// <param name="output">Result <c>[B, 1 + N, D]</c>, overwritten.</param>
    /// <param name="input">Images <c>[B, C, H, W]</c>.</param>
    /// <param name="weight">Projection <c>[D, C, P, P]</c>.</param>
    /// <param name="bias">Projection bias <c>[D]</c>, or empty for none.</param>
    /// <param name="classToken">The class token <c>[D]</c>.</param>
    /// <param name="positions">Learned positions <c>[1 + N, D]</c>.</param>
    /// <param name="shape">The projection's sizes (<see cref="Shape"/>).</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats.</param>
    /// <param name="pool">Threads; null runs on the calling thread.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> classToken, ReadOnlySpan<float> positions, in ConvolutionShape shape, Span<float> scratch, WorkerPool? pool = null)
    {
        Check(shape, output.Length, input.Length, classToken.Length, positions.Length, scratch.Length, nameof(output));
        int d = shape.OutChannels, n = shape.Positions, image = shape.InChannels * shape.Height * shape.Width, sequence = (1 + n) * d;
        ConvolutionShape one = shape with { Batch = 1 };
        Span<float> columns = scratch[..shape.ScratchLength];
        Span<float> projected = scratch.Slice(shape.ScratchLength, d * n);
        for (int b = 0; b < shape.Batch; b++)
        {
            Convolution.Forward(projected, input.Slice(b * image, image), weight, bias, one, columns, pool);
            Span<float> rows = output.Slice(b * sequence, sequence);
            TensorPrimitives.Add(classToken, positions[..d], rows[..d]);
            for (int p = 0; p < n; p++)
            {
                Span<float> row = rows.Slice((1 + p) * d, d);
                ReadOnlySpan<float> position = positions.Slice((1 + p) * d, d);
                for (int c = 0; c < d; c++)
                {
                    row[c] = projected[(c * n) + p] + position[c];
                }
            }
        }
    }

    /// <summary>
    /// Adds the gradients: <c>dInput</c> (if not empty), <c>dWeight</c>, <c>dBias</c> (if not empty), <c>dClassToken</c> and
    /// <c>dPositions</c> (images summed in order <c>b = 0, 1, ...</c>).
    /// </summary>
    /// <param name="dInput">Gradient of the images, accumulated; empty when the images need none (the batch's pixels).</param>
    /// <param name="dWeight">Gradient of the projection, accumulated.</param>
    /// <param name="dBias">Gradient of the projection bias, accumulated; empty for none.</param>
    /// <param name="dClassToken">Gradient of the class token, accumulated.</param>
    /// <param name="dPositions">Gradient of the positions, accumulated.</param>
    /// <param name="dOutput">Gradient of the output <c>[B, 1 + N, D]</c>.</param>
    /// <param name="input">The forward's images.</param>
    /// <param name="weight">The forward's projection.</param>
    /// <param name="shape">The projection's sizes.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> floats.</param>
    /// <param name="pool">Threads; null runs on the calling thread.</param>
    public static void Backward(Span<float> dInput, Span<float> dWeight, Span<float> dBias, Span<float> dClassToken, Span<float> dPositions,
        ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, in ConvolutionShape shape, Span<float> scratch, WorkerPool? pool = null)
    {
        Check(shape, dOutput.Length, input.Length, dClassToken.Length, dPositions.Length, scratch.Length, nameof(dOutput));
        int d = shape.OutChannels, n = shape.Positions, image = shape.InChannels * shape.Height * shape.Width, sequence = (1 + n) * d;
        ConvolutionShape one = shape with { Batch = 1 };
        Span<float> columns = scratch[..shape.ScratchLength];
        Span<float> projected = scratch.Slice(shape.ScratchLength, d * n);
        for (int b = 0; b < shape.Batch; b++)
        {
            ReadOnlySpan<float> rows = dOutput.Slice(b * sequence, sequence);
            TensorPrimitives.Add(dPositions, rows, dPositions);
            TensorPrimitives.Add(dClassToken, rows[..d], dClassToken);
            for (int p = 0; p < n; p++)
            {
                ReadOnlySpan<float> row = rows.Slice((1 + p) * d, d);
                for (int c = 0; c < d; c++)
                {
                    projected[(c * n) + p] = row[c];
                }
            }

            Convolution.Backward(dInput.IsEmpty ? Span<float>.Empty : dInput.Slice(b * image, image), dWeight, dBias, projected,
                input.Slice(b * image, image), weight, one, columns, pool);
        }
    }

    private static void Check(in ConvolutionShape shape, int output, int input, int classToken, int positions, int scratch, string outputName)
    {
        if (shape.StrideHeight != shape.KernelHeight || shape.StrideWidth != shape.KernelWidth || shape.PadHeight != 0 || shape.PadWidth != 0
            || shape.DilationHeight != 1 || shape.DilationWidth != 1 || shape.Groups != 1 || shape.Height % shape.KernelHeight != 0 || shape.Width % shape.KernelWidth != 0)
        {
            throw new ArgumentException("the shape is not a patch embedding's (PatchEmbedding.Shape): " + shape, nameof(shape));
        }

        int d = shape.OutChannels;
        if (output != OutputLength(shape))
        {
            throw new ArgumentException($"{outputName} has {output} floats; expected B·(1 + N)·D = {OutputLength(shape)}.", outputName);
        }

        if (input != shape.InputLength)
        {
            throw new ArgumentException($"input has {input} floats; expected B·C·H·W = {shape.InputLength}.", nameof(input));
        }

        if (classToken != d)
        {
            throw new ArgumentException($"the class token has {classToken} floats; expected D = {d}.", nameof(classToken));
        }

        if (positions != (1 + shape.Positions) * d)
        {
            throw new ArgumentException($"positions has {positions} floats; expected (1 + N)·D = {(1 + shape.Positions) * d}.", nameof(positions));
        }

        if (scratch < ScratchLength(shape))
        {
            throw new ArgumentException($"scratch has {scratch} floats; expected at least {ScratchLength(shape)} (PatchEmbedding.ScratchLength).", nameof(scratch));
        }
    }
}
