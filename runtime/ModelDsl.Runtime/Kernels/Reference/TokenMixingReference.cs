using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>Textbook token mixing (<c>nn.Linear(Tokens, Units)</c> over the transposed token axis), generic over the element type: the loops <see cref="TokenMixing"/> is tested against.</summary>
public static class TokenMixingReference
{
    /// <summary><c>output[b, u, i] = bias[u] + Σ_t weight[u, t] · input[b, t, i]</c>.</summary>
    public static void Forward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int batch, int tokens, int units, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TokenMixing.Check(output.Length, input.Length, weight.Length, bias.Length, batch, tokens, units, width, nameof(output));
        for (int b = 0; b < batch; b++)
        {
            for (int u = 0; u < units; u++)
            {
                for (int i = 0; i < width; i++)
                {
                    T sum = bias.IsEmpty ? T.Zero : bias[u];
                    for (int t = 0; t < tokens; t++)
                    {
                        sum += weight[(u * tokens) + t] * input[(((b * tokens) + t) * width) + i];
                    }

                    output[(((b * units) + u) * width) + i] = sum;
                }
            }
        }
    }

    /// <summary>Adds the gradients of the input (if not empty), the weight and the bias (if not empty).</summary>
    public static void Backward<T>(Span<T> dInput, Span<T> dWeight, Span<T> dBias, ReadOnlySpan<T> dOutput, ReadOnlySpan<T> input, ReadOnlySpan<T> weight,
        int batch, int tokens, int units, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TokenMixing.Check(dOutput.Length, input.Length, weight.Length, dBias.Length, batch, tokens, units, width, nameof(dOutput));
        for (int b = 0; b < batch; b++)
        {
            for (int u = 0; u < units; u++)
            {
                for (int i = 0; i < width; i++)
                {
                    T dy = dOutput[(((b * units) + u) * width) + i];
                    if (!dBias.IsEmpty)
                    {
                        dBias[u] += dy;
                    }

                    for (int t = 0; t < tokens; t++)
                    {
                        int x = (((b * tokens) + t) * width) + i;
                        dWeight[(u * tokens) + t] += dy * input[x];
                        if (!dInput.IsEmpty)
                        {
                            dInput[x] += dy * weight[(u * tokens) + t];
                        }
                    }
                }
            }
        }
    }
}
