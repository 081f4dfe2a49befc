using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ModelDsl.Randomness;

namespace ModelDsl.Kernels;

/// <summary>
/// Randomized leaky ReLU (<c>nn.RReLU</c>, Xu et al. 2015): in training each element <c>x ≤ 0</c> is multiplied by its own slope
/// drawn uniformly from <c>[lower, upper]</c>; in evaluation every negative element is multiplied by the fixed slope
/// <c>(lower + upper) / 2</c> (PyTorch's <c>F.rrelu(training=False)</c>, which is <c>leaky_relu</c> with that slope). The
/// reference version is <see cref="Reference.RReluReference"/>.
/// </summary>
/// <remarks>
/// <para>The forward saves one slope per element (1 where the input is kept as is), PyTorch's <c>noise</c> tensor, and the
/// backward is <c>dInput += dOutput · slope</c>, so a backward uses the slopes its forward drew. Training follows PyTorch's
/// CPU kernel: an element is scaled when <c>x ≤ 0</c>; evaluation follows <c>leaky_relu</c>: when <c>x &gt; 0</c> fails.</para>
/// <para>Element <c>i</c>'s slope in training is <c>lower + (upper - lower) · CounterRandom.Uniform(seed, stream, offset + i)</c>
/// (float arithmetic, no FMA): it depends only on those integers, never on the thread count, so a run is reproducible
/// from its seed. Give each site its own stream and advance <c>offset</c> every step. Nothing is allocated.</para>
/// </remarks>
[SkipLocalsInit]
public static class RRelu
{
    /// <summary>PyTorch's default lower bound of the slope, 1/8.</summary>
    public const float DefaultLower = 0.125f;

    /// <summary>PyTorch's default upper bound of the slope, 1/3.</summary>
    public const float DefaultUpper = 1f / 3f;

    /// <summary>The evaluation slope <c>(lower + upper) / 2</c>, computed in double as PyTorch does with its scalar arguments.</summary>
    public static float EvaluationSlope(float lower, float upper) => (float)(((double)lower + upper) / 2);

    /// <summary>Applies RReLU to <paramref name="input"/> and saves each element's slope.</summary>
    /// <param name="output">Result, as long as <paramref name="input"/>; may be <paramref name="input"/> itself.</param>
    /// <param name="slopes">Saved slopes, one per element (1 where the element passes unchanged), for <see cref="Backward"/>.</param>
    /// <param name="input">Input values.</param>
    /// <param name="lower">Lower bound of the random slope, 0 or more.</param>
    /// <param name="upper">Upper bound of the random slope, at least <paramref name="lower"/>.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="stream">Random stream, one per RReLU site.</param>
    /// <param name="offset">Counter of element 0; element <c>i</c> uses counter <c>offset + i</c>.</param>
    /// <param name="training">Random slopes when true; the fixed <see cref="EvaluationSlope"/> when false.</param>
    public static void Forward(Span<float> output, Span<float> slopes, ReadOnlySpan<float> input, float lower, float upper,
        ulong seed, ulong stream, ulong offset, bool training)
    {
        using var profile = KernelProfile.Time(KernelFamily.Activation);
        int n = input.Length;
        Guard.Length(output, n);
        Guard.Length(slopes, n);
        CheckBounds(lower, upper);
        if (!training)
        {
            EvaluationSlopes(slopes, input, EvaluationSlope(lower, upper));
        }
        else
        {
            float width = upper - lower;
            for (int i = 0; i < n; i++)
            {
                slopes[i] = input[i] <= 0f ? lower + (width * CounterRandom.Uniform(seed, stream, offset + (ulong)i)) : 1f;
            }
        }

        TensorPrimitives.Multiply(input, slopes, output);
    }

    /// <summary>Adds <c>dOutput · slopes</c> into <paramref name="dInput"/>.</summary>
    /// <param name="dInput">Gradient of the input, accumulated (<c>+=</c>).</param>
    /// <param name="dOutput">Gradient of the output.</param>
    /// <param name="slopes">The slopes <see cref="Forward"/> saved.</param>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> slopes)
    {
        using var profile = KernelProfile.Time(KernelFamily.Activation);
        Guard.Length(dOutput, dInput.Length);
        Guard.Length(slopes, dInput.Length);
        TensorPrimitives.MultiplyAdd(dOutput, slopes, dInput, dInput);
    }

    /// <summary>Throws unless <c>0 ≤ lower ≤ upper</c>, both finite.</summary>
    internal static void CheckBounds(float lower, float upper)
    {
        if (!(lower >= 0f) || !(upper >= lower) || !float.IsFinite(upper))
        {
            throw new ArgumentOutOfRangeException(nameof(lower), FormattableString.Invariant(
                $"RReLU needs 0 <= lower <= upper, both finite; got lower {lower}, upper {upper}."));
        }
    }

    private static void EvaluationSlopes(Span<float> slopes, ReadOnlySpan<float> input, float slope)
    {
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float s = ref MemoryMarshal.GetReference(slopes);
        nuint n = (nuint)input.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1f);
            var negative = Vector256.Create(slope);
            for (; i + 8 <= n; i += 8)
            {
                Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.LoadUnsafe(ref x, i), Vector256<float>.Zero), one, negative).StoreUnsafe(ref s, i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref s, i) = Unsafe.Add(ref x, i) > 0f ? 1f : slope;
        }
    }
}
