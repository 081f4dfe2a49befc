using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Kernels;

/// <summary>Small fused element-wise loops (Vector256 with FMA and a scalar tail) shared by the loss and softmax kernels.</summary>
internal static class FusedOps
{
    /// <summary><c>d[i] += a · x[i] + b</c>.</summary>
    public static void AddAxpb(Span<float> d, ReadOnlySpan<float> x, float a, float b)
    {
        ref float pd = ref MemoryMarshal.GetReference(d);
        ref float px = ref MemoryMarshal.GetReference(x);
        int n = d.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var local = Vector256.FusedMultiplyAdd(va, Vector256.LoadUnsafe(ref px, (nuint)i), vb);
                (Vector256.LoadUnsafe(ref pd, (nuint)i) + local).StoreUnsafe(ref pd, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref pd, i) += MathF.FusedMultiplyAdd(a, Unsafe.Add(ref px, i), b);
        }
    }

    /// <summary><c>d[i] += a · x[i] + b · y[i]</c>.</summary>
    public static void AddAxBy(Span<float> d, ReadOnlySpan<float> x, float a, ReadOnlySpan<float> y, float b)
    {
        ref float pd = ref MemoryMarshal.GetReference(d);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = d.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var local = Vector256.FusedMultiplyAdd(va, Vector256.LoadUnsafe(ref px, (nuint)i), vb * Vector256.LoadUnsafe(ref py, (nuint)i));
                (Vector256.LoadUnsafe(ref pd, (nuint)i) + local).StoreUnsafe(ref pd, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref pd, i) += MathF.FusedMultiplyAdd(a, Unsafe.Add(ref px, i), b * Unsafe.Add(ref py, i));
        }
    }

    /// <summary><c>d[i] += s · (x[i] - y[i])</c>.</summary>
    public static void AddScaledDifference(Span<float> d, ReadOnlySpan<float> x, ReadOnlySpan<float> y, float s)
    {
        ref float pd = ref MemoryMarshal.GetReference(d);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = d.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var diff = Vector256.LoadUnsafe(ref px, (nuint)i) - Vector256.LoadUnsafe(ref py, (nuint)i);
                Vector256.FusedMultiplyAdd(vs, diff, Vector256.LoadUnsafe(ref pd, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref pd, i) += s * (Unsafe.Add(ref px, i) - Unsafe.Add(ref py, i));
        }
    }

    /// <summary><c>Σ (x[i] - y[i])²</c> accumulated in double, in a fixed order.</summary>
    public static double SumSquaredDifference(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lo = Vector256<double>.Zero;
            var hi = Vector256<double>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (xl, xh) = Vector256.Widen(Vector256.LoadUnsafe(ref px, (nuint)i));
                var (yl, yh) = Vector256.Widen(Vector256.LoadUnsafe(ref py, (nuint)i));
                var dl = xl - yl;
                var dh = xh - yh;
                lo = Vector256.FusedMultiplyAdd(dl, dl, lo);
                hi = Vector256.FusedMultiplyAdd(dh, dh, hi);
            }

            sum = Vector256.Sum(lo + hi);
        }

        for (; i < n; i++)
        {
            double diff = (double)Unsafe.Add(ref px, i) - Unsafe.Add(ref py, i);
            sum += diff * diff;
        }

        return sum;
    }
}
