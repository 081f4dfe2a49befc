using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Kernels;

/// <summary>
/// PyTorch's <c>nn.PReLU</c> over <c>[rows, channels]</c> (channels last): <c>output = input</c> where <c>input &gt; 0</c>, else
/// <c>weight · input</c>, with one shared slope (<c>weight</c> of length 1) or one slope per channel (<c>weight</c> of length
/// <c>channels</c>). The plain version is <see cref="Reference.PReLUReference"/>.
/// </summary>
public static class PReLU
{
    /// <summary>nn.PReLU's initial slope.</summary>
    public const float DefaultSlope = 0.25f;

    /// <summary><c>output = input &gt; 0 ? input : weight[c] · input</c>.</summary>
    /// <param name="output">Result <c>[rows, channels]</c>.</param>
    /// <param name="input">Input <c>[rows, channels]</c>.</param>
    /// <param name="weight">Slopes <c>[1]</c> (shared) or <c>[channels]</c>.</param>
    /// <param name="rows">Rows (B, or B·T for a sequence).</param>
    /// <param name="channels">Channels: the last (feature) dimension.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, int rows, int channels)
    {
        CheckShapes(rows, channels, weight.Length);
        long length = (long)rows * channels;
        Guard.Length(output, length);
        Guard.Length(input, length);
        if (weight.Length == 1)
        {
            ForwardRun(output, input, weight[0]);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            ForwardRun(output.Slice(r * channels, channels), input.Slice(r * channels, channels), weight);
        }
    }

    /// <summary>
    /// Adds the gradients: <c>dInput += input &gt; 0 ? dOutput : weight[c] · dOutput</c> and
    /// <c>dWeight[c] += Σ dOutput · input</c> over the entries with <c>input ≤ 0</c> (rows in order; every entry for a shared slope).
    /// </summary>
    /// <param name="dInput">Gradient of the input <c>[rows, channels]</c>, accumulated.</param>
    /// <param name="dWeight">Gradient of the slopes, as long as <paramref name="weight"/>, accumulated.</param>
    /// <param name="dOutput">Gradient of the output <c>[rows, channels]</c>.</param>
    /// <param name="input">The forward's input.</param>
    /// <param name="weight">The forward's slopes.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="channels">Channels.</param>
    public static void Backward(Span<float> dInput, Span<float> dWeight, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, int rows, int channels)
    {
        CheckShapes(rows, channels, weight.Length);
        long length = (long)rows * channels;
        Guard.Length(dInput, length);
        Guard.Length(dOutput, length);
        Guard.Length(input, length);
        Guard.Length(dWeight, weight.Length);
        if (weight.Length == 1)
        {
            dWeight[0] += BackwardRun(dInput, dOutput, input, weight[0]);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            int start = r * channels;
            BackwardRun(dInput.Slice(start, channels), dWeight, dOutput.Slice(start, channels), input.Slice(start, channels), weight);
        }
    }

    /// <summary>Checks the dimensions and that the slopes are one shared or one per channel.</summary>
    internal static void CheckShapes(int rows, int channels, int weightLength)
    {
        Guard.Positive(rows);
        Guard.Positive(channels);
        if (weightLength != 1 && weightLength != channels)
        {
            throw new ArgumentException("weight has " + weightLength + " slopes; expected 1 (shared) or " + channels + " (one per channel).", "weight");
        }
    }

    // One slope for the whole run.
    private static void ForwardRun(Span<float> y, ReadOnlySpan<float> x, float a)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(a);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref xr, (nuint)i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, v * va).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(a);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * va).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xr, i);
            Unsafe.Add(ref yr, i) = v > 0f ? v : a * v;
        }
    }

    // One slope per entry of the run (a row of channels).
    private static void ForwardRun(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> a)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float ar = ref MemoryMarshal.GetReference(a);
        int n = x.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref xr, (nuint)i);
                Vector512<float> va = Vector512.LoadUnsafe(ref ar, (nuint)i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, v * va).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                Vector256<float> va = Vector256.LoadUnsafe(ref ar, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * va).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xr, i);
            Unsafe.Add(ref yr, i) = v > 0f ? v : Unsafe.Add(ref ar, i) * v;
        }
    }

    // One slope for the whole run; returns the run's slope gradient (lanes summed in a fixed order).
    private static float BackwardRun(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float a)
    {
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float xr = ref MemoryMarshal.GetReference(x);
        int n = x.Length;
        int i = 0;
        float slope = 0f;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(a);
            Vector512<float> sum = Vector512<float>.Zero;
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref xr, (nuint)i);
                Vector512<float> g = Vector512.LoadUnsafe(ref dyr, (nuint)i);
                Vector512<float> positive = Vector512.GreaterThan(v, Vector512<float>.Zero);
                (Vector512.LoadUnsafe(ref dxr, (nuint)i) + Vector512.ConditionalSelect(positive, g, g * va)).StoreUnsafe(ref dxr, (nuint)i);
                sum += Vector512.ConditionalSelect(positive, Vector512<float>.Zero, g * v);
            }

            slope += Vector512.Sum(sum);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(a);
            Vector256<float> sum = Vector256<float>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                Vector256<float> g = Vector256.LoadUnsafe(ref dyr, (nuint)i);
                Vector256<float> positive = Vector256.GreaterThan(v, Vector256<float>.Zero);
                (Vector256.LoadUnsafe(ref dxr, (nuint)i) + Vector256.ConditionalSelect(positive, g, g * va)).StoreUnsafe(ref dxr, (nuint)i);
                sum += Vector256.ConditionalSelect(positive, Vector256<float>.Zero, g * v);
            }

            slope += Vector256.Sum(sum);
        }

        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xr, i);
            float g = Unsafe.Add(ref dyr, i);
            if (v > 0f)
            {
                Unsafe.Add(ref dxr, i) += g;
            }
            else
            {
                Unsafe.Add(ref dxr, i) += a * g;
                slope += g * v;
            }
        }

        return slope;
    }

    // One slope per entry of the run (a row of channels); adds each entry's slope gradient into da.
    private static void BackwardRun(Span<float> dx, Span<float> da, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> a)
    {
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        ref float dar = ref MemoryMarshal.GetReference(da);
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float ar = ref MemoryMarshal.GetReference(a);
        int n = x.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref xr, (nuint)i);
                Vector512<float> g = Vector512.LoadUnsafe(ref dyr, (nuint)i);
                Vector512<float> positive = Vector512.GreaterThan(v, Vector512<float>.Zero);
                (Vector512.LoadUnsafe(ref dxr, (nuint)i) + Vector512.ConditionalSelect(positive, g, g * Vector512.LoadUnsafe(ref ar, (nuint)i))).StoreUnsafe(ref dxr, (nuint)i);
                (Vector512.LoadUnsafe(ref dar, (nuint)i) + Vector512.ConditionalSelect(positive, Vector512<float>.Zero, g * v)).StoreUnsafe(ref dar, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref xr, (nuint)i);
                Vector256<float> g = Vector256.LoadUnsafe(ref dyr, (nuint)i);
                Vector256<float> positive = Vector256.GreaterThan(v, Vector256<float>.Zero);
                (Vector256.LoadUnsafe(ref dxr, (nuint)i) + Vector256.ConditionalSelect(positive, g, g * Vector256.LoadUnsafe(ref ar, (nuint)i))).StoreUnsafe(ref dxr, (nuint)i);
                (Vector256.LoadUnsafe(ref dar, (nuint)i) + Vector256.ConditionalSelect(positive, Vector256<float>.Zero, g * v)).StoreUnsafe(ref dar, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xr, i);
            float g = Unsafe.Add(ref dyr, i);
            if (v > 0f)
            {
                Unsafe.Add(ref dxr, i) += g;
            }
            else
            {
                Unsafe.Add(ref dxr, i) += Unsafe.Add(ref ar, i) * g;
                Unsafe.Add(ref dar, i) += g * v;
            }
        }
    }
}
