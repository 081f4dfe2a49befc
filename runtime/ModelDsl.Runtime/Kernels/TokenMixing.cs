using System;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// The MLP-Mixer's token mixing: a linear map over the token axis of a sequence, <c>output[b] = weight · input[b] + bias</c> with
/// <c>input[b]</c> <c>[Tokens, Width]</c>, <c>weight</c> <c>[Units, Tokens]</c> and <c>bias</c> <c>[Units]</c> added to every
/// column, so <c>output[b]</c> is <c>[Units, Width]</c>. It is PyTorch's <c>nn.Linear(Tokens, Units)</c> applied to
/// <c>x.transpose(1, 2)</c> and transposed back, without the transposes: one GEMM per sequence. The plain version is
/// <see cref="Reference.TokenMixingReference"/>.
/// </summary>
/// <remarks>Sequences run in order, each GEMM on the pool; the weight and bias gradients are summed sequence by sequence in that order. Allocation-free.</remarks>
public static class TokenMixing
{
    /// <summary><c>output[b] = weight · input[b] + bias</c> (bias broadcast along the width).</summary>
    /// <param name="output">Result <c>[batch, units, width]</c>, overwritten.</param>
    /// <param name="input">Input <c>[batch, tokens, width]</c>.</param>
    /// <param name="weight">Weight <c>[units, tokens]</c>.</param>
    /// <param name="bias">Bias <c>[units]</c>, or empty for none.</param>
    /// <param name="batch">Sequences.</param>
    /// <param name="tokens">Input tokens per sequence.</param>
    /// <param name="units">Output tokens per sequence.</param>
    /// <param name="width">Features per token.</param>
    /// <param name="pool">Threads; null runs on the calling thread.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int batch, int tokens, int units, int width, WorkerPool? pool = null)
    {
        Check(output.Length, input.Length, weight.Length, bias.Length, batch, tokens, units, width, nameof(output));
        for (int b = 0; b < batch; b++)
        {
            Span<float> y = output.Slice(b * units * width, units * width);
            Gemm.Multiply(y, weight, false, input.Slice(b * tokens * width, tokens * width), false, units, width, tokens, pool: pool);
            if (!bias.IsEmpty)
            {
                for (int u = 0; u < units; u++)
                {
                    Span<float> row = y.Slice(u * width, width);
                    float value = bias[u];
                    for (int i = 0; i < row.Length; i++)
                    {
                        row[i] += value;
                    }
                }
            }
        }
    }

    /// <summary>Adds the gradients: <c>dInput</c> (if not empty), <c>dWeight</c> and <c>dBias</c> (if not empty).</summary>
    /// <param name="dInput">Gradient of the input <c>[batch, tokens, width]</c>, accumulated; empty for none.</param>
    /// <param name="dWeight">Gradient of the weight, accumulated.</param>
    /// <param name="dBias">Gradient of the bias, accumulated; empty for none.</param>
    /// <param name="dOutput">Gradient of the output <c>[batch, units, width]</c>.</param>
    /// <param name="input">The forward's input.</param>
    /// <param name="weight">The forward's weight.</param>
    /// <param name="batch">Sequences.</param>
    /// <param name="tokens">Input tokens per sequence.</param>
    /// <param name="units">Output tokens per sequence.</param>
    /// <param name="width">Features per token.</param>
    /// <param name="pool">Threads; null runs on the calling thread.</param>
    public static void Backward(Span<float> dInput, Span<float> dWeight, Span<float> dBias, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weight, int batch, int tokens, int units, int width, WorkerPool? pool = null)
    {
        Check(dOutput.Length, input.Length, weight.Length, dBias.Length, batch, tokens, units, width, nameof(dOutput));
        Guard.Length(dWeight, (long)units * tokens);
        if (!dInput.IsEmpty)
        {
            Guard.Length(dInput, (long)batch * tokens * width);
        }

        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> dy = dOutput.Slice(b * units * width, units * width);
            ReadOnlySpan<float> x = input.Slice(b * tokens * width, tokens * width);

            // dW += dY_b · X_bᵀ ([units, width] × [width, tokens]).
            Gemm.Multiply(dWeight, dy, false, x, true, units, tokens, width, beta: 1f, pool: pool);
            if (!dInput.IsEmpty)
            {
                // dX_b += Wᵀ · dY_b ([tokens, units] × [units, width]).
                Gemm.Multiply(dInput.Slice(b * tokens * width, tokens * width), weight, true, dy, false, tokens, width, units, beta: 1f, pool: pool);
            }

            if (!dBias.IsEmpty)
            {
                for (int u = 0; u < units; u++)
                {
                    ReadOnlySpan<float> row = dy.Slice(u * width, width);
                    float sum = 0f;
                    for (int i = 0; i < row.Length; i++)
                    {
                        sum += row[i];
                    }

                    dBias[u] += sum;
                }
            }
        }
    }

    /// <summary>Throws unless the sizes are positive and the spans fit them, naming the one that does not.</summary>
    internal static void Check(int output, int input, int weight, int bias, int batch, int tokens, int units, int width, string outputName)
    {
        if (batch < 1 || tokens < 1 || units < 1 || width < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), $"batch ({batch}), tokens ({tokens}), units ({units}) and width ({width}) must be at least 1.");
        }

        if (output != (long)batch * units * width)
        {
            throw new ArgumentException($"{outputName} must hold batch·units·width = {(long)batch * units * width} floats; got {output}.", outputName);
        }

        if (input != (long)batch * tokens * width)
        {
            throw new ArgumentException($"input must hold batch·tokens·width = {(long)batch * tokens * width} floats; got {input}.", "input");
        }

        if (weight != (long)units * tokens)
        {
            throw new ArgumentException($"weight must hold units·tokens = {(long)units * tokens} floats; got {weight}.", "weight");
        }

        if (bias != 0 && bias != units)
        {
            throw new ArgumentException($"bias must be empty or hold units = {units} floats; got {bias}.", "bias");
        }
    }
}
