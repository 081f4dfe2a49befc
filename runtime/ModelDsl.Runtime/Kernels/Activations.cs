using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Kernels;

/// <summary>
/// Element-wise activations (<see cref="ActivationKind"/>) and their backward passes, with the
/// formulas PyTorch uses. The reference version is <see cref="Reference.ActivationsReference"/>.
/// </summary>
/// <remarks>
/// <para>Forward may run in place (<c>output</c> the same span as <c>input</c>); partially overlapping
/// spans are not supported. Backward takes the forward's <em>input</em> and adds
/// <c>dOutput · f'(input)</c> into <c>dInput</c>.</para>
/// <para>Derivatives: ReLU and LeakyReLU use <c>x &gt; 0</c> as PyTorch does, so the derivative at exactly
/// 0 is 0 (ReLU) or <c>slope</c> (LeakyReLU). Exact GELU: <c>Φ(x) + x·φ(x)</c>. Tanh GELU:
/// <c>½(1 + t) + ½x(1 - t²)·√(2/π)(1 + 3·0.044715x²)</c> with <c>t = tanh(u)</c>, <c>u = √(2/π)(x + 0.044715x³)</c>,
/// evaluated through <c>s = σ(2u) = ½(1 + t)</c> as <c>x·s</c> and <c>s + 2x·s(1 - s)·√(2/π)(1 + 3·0.044715x²)</c>:
/// the same function without the cancellation of <c>1 + t</c> for negative x.</para>
/// <para>Exact GELU evaluates <c>Φ(x) = ½·erfc(-x/√2)</c> in double with a Chebyshev-fitted erfc
/// (fractional error below 1.2e-7 for every argument), so the float result is within a few
/// float ulps of the true value, including the far negative tail where <c>1 + erf</c> would cancel.</para>
/// </remarks>
[SkipLocalsInit]
public static class Activations
{
    // √(2/π) and the cubic coefficient of PyTorch's tanh approximation.
    private const float TanhScale = 0.7978845608028654f;
    private const float TanhCubic = 0.044715f;
    private const double InvSqrt2 = 0.70710678118654752440;
    private const double InvSqrt2Pi = 0.39894228040143267794;

    // Scratch for activations that go through a TensorPrimitives call per chunk (tanh, sigmoid).
    private const int Chunk = 256;

    /// <summary>Computes <c>output[i] = f(input[i])</c>.</summary>
    /// <param name="output">Activations, same length as <paramref name="input"/>; may be <paramref name="input"/> itself.</param>
    /// <param name="input">Pre-activations.</param>
    /// <param name="kind">The activation.</param>
    /// <param name="slope">Negative slope of <see cref="ActivationKind.LeakyReLU"/> (PyTorch default 0.01); ignored otherwise.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ActivationKind kind, float slope = 0.01f)
    {
        using var profile = KernelProfile.Time(KernelFamily.Activation);
        Guard.Length(output, input.Length);
        switch (kind)
        {
            case ActivationKind.None:
                input.CopyTo(output);
                break;
            case ActivationKind.ReLU:
                TensorPrimitives.Max(input, 0f, output);
                break;
            case ActivationKind.LeakyReLU:
                LeakyReluForward(output, input, slope);
                break;
            case ActivationKind.Gelu:
                GeluForward(output, input);
                break;
            case ActivationKind.GeluTanh:
                GeluTanhForward(output, input);
                break;
            case ActivationKind.Tanh:
                TensorPrimitives.Tanh(input, output);
                break;
            case ActivationKind.Sigmoid:
                TensorPrimitives.Sigmoid(input, output);
                break;
            default:
                throw UnknownKind(kind);
        }
    }

    /// <summary>Adds <c>dOutput[i] · f'(input[i])</c> into <c>dInput[i]</c>.</summary>
    /// <param name="dInput">Gradient with respect to the forward's input; accumulated (<c>+=</c>).</param>
    /// <param name="dOutput">Gradient with respect to the forward's output.</param>
    /// <param name="input">The forward's input (saved pre-activations).</param>
    /// <param name="kind">The activation.</param>
    /// <param name="slope">Negative slope of <see cref="ActivationKind.LeakyReLU"/>; ignored otherwise.</param>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ActivationKind kind, float slope = 0.01f)
    {
        using var profile = KernelProfile.Time(KernelFamily.Activation);
        Guard.Length(dInput, input.Length);
        Guard.Length(dOutput, input.Length);
        switch (kind)
        {
            case ActivationKind.None:
                TensorPrimitives.Add(dInput, dOutput, dInput);
                break;
            case ActivationKind.ReLU:
                LeakyReluBackward(dInput, dOutput, input, 0f);
                break;
            case ActivationKind.LeakyReLU:
                LeakyReluBackward(dInput, dOutput, input, slope);
                break;
            case ActivationKind.Gelu:
                GeluBackward(dInput, dOutput, input);
                break;
            case ActivationKind.GeluTanh:
                GeluTanhBackward(dInput, dOutput, input);
                break;
            case ActivationKind.Tanh:
                TanhBackward(dInput, dOutput, input);
                break;
            case ActivationKind.Sigmoid:
                SigmoidBackward(dInput, dOutput, input);
                break;
            default:
                throw UnknownKind(kind);
        }
    }

    private static ArgumentOutOfRangeException UnknownKind(ActivationKind kind) =>
        new(nameof(kind), kind, $"kind {kind} is not a known activation.");

    private static void LeakyReluForward(Span<float> output, ReadOnlySpan<float> input, float slope)
    {
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float y = ref MemoryMarshal.GetReference(output);
        int n = input.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vSlope = Vector256.Create(slope);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref x, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * vSlope).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref x, i);
            Unsafe.Add(ref y, i) = v > 0f ? v : v * slope;
        }
    }

    // ReLU is the slope-0 case: x > 0 passes the gradient, x <= 0 (0 included) passes slope · gradient.
    private static void LeakyReluBackward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, float slope)
    {
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float g = ref MemoryMarshal.GetReference(dOutput);
        ref float d = ref MemoryMarshal.GetReference(dInput);
        int n = input.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vSlope = Vector256.Create(slope);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var vx = Vector256.LoadUnsafe(ref x, (nuint)i);
                var vg = Vector256.LoadUnsafe(ref g, (nuint)i);
                var local = Vector256.ConditionalSelect(Vector256.GreaterThan(vx, Vector256<float>.Zero), vg, vg * vSlope);
                (Vector256.LoadUnsafe(ref d, (nuint)i) + local).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float vg = Unsafe.Add(ref g, i);
            Unsafe.Add(ref d, i) += Unsafe.Add(ref x, i) > 0f ? vg : vg * slope;
        }
    }

    private static void GeluForward(Span<float> output, ReadOnlySpan<float> input)
    {
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float y = ref MemoryMarshal.GetReference(output);
        int n = input.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref x, (nuint)i));
                var ylo = lo * NormalCdf(lo);
                var yhi = hi * NormalCdf(hi);
                Vector256.Narrow(ylo, yhi).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            double v = Unsafe.Add(ref x, i);
            Unsafe.Add(ref y, i) = (float)(v * NormalCdf(v));
        }
    }

    private static void GeluBackward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input)
    {
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float g = ref MemoryMarshal.GetReference(dOutput);
        ref float d = ref MemoryMarshal.GetReference(dInput);
        int n = input.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var half = Vector256.Create(-0.5);
            var density = Vector256.Create(InvSqrt2Pi);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref x, (nuint)i));
                var dlo = NormalCdf(lo) + lo * density * Vector256.Exp(half * lo * lo);
                var dhi = NormalCdf(hi) + hi * density * Vector256.Exp(half * hi * hi);
                var local = Vector256.Narrow(dlo, dhi) * Vector256.LoadUnsafe(ref g, (nuint)i);
                (Vector256.LoadUnsafe(ref d, (nuint)i) + local).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            double v = Unsafe.Add(ref x, i);
            double derivative = NormalCdf(v) + v * InvSqrt2Pi * Math.Exp(-0.5 * v * v);
            Unsafe.Add(ref d, i) += (float)derivative * Unsafe.Add(ref g, i);
        }
    }

    private static void GeluTanhForward(Span<float> output, ReadOnlySpan<float> input)
    {
        Span<float> t = stackalloc float[Chunk];
        for (int start = 0; start < input.Length; start += Chunk)
        {
            int count = Math.Min(Chunk, input.Length - start);
            var x = input.Slice(start, count);
            var y = output.Slice(start, count);
            var tc = t[..count];
            TanhArgument(tc, x);
            TensorPrimitives.Sigmoid(tc, tc);
            TensorPrimitives.Multiply(x, tc, y);
        }
    }

    private static void GeluTanhBackward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input)
    {
        Span<float> t = stackalloc float[Chunk];
        for (int start = 0; start < input.Length; start += Chunk)
        {
            int count = Math.Min(Chunk, input.Length - start);
            var x = input.Slice(start, count);
            var g = dOutput.Slice(start, count);
            var d = dInput.Slice(start, count);
            var tc = t[..count];
            TanhArgument(tc, x);
            TensorPrimitives.Sigmoid(tc, tc);
            for (int i = 0; i < count; i++)
            {
                float v = x[i], sv = tc[i];
                float inner = 2f * TanhScale * (1f + 3f * TanhCubic * v * v);
                float derivative = sv + v * sv * (1f - sv) * inner;
                d[i] += g[i] * derivative;
            }
        }
    }

    // 2u = 2√(2/π)(x + 0.044715 x³), twice the argument of tanh in the approximate GELU: with
    // s = σ(2u), ½(1 + tanh u) = s and 1 - tanh²u = 4s(1 - s), which keep their relative accuracy
    // where 1 + tanh u would cancel (x ≪ 0).
    private static void TanhArgument(Span<float> u, ReadOnlySpan<float> x)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pu = ref MemoryMarshal.GetReference(u);
        int n = x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(2f * TanhScale);
            var cubic = Vector256.Create(TanhCubic);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref px, (nuint)i);
                (scale * Vector256.FusedMultiplyAdd(cubic * v * v, v, v)).StoreUnsafe(ref pu, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref px, i);
            Unsafe.Add(ref pu, i) = 2f * TanhScale * MathF.FusedMultiplyAdd(TanhCubic * v * v, v, v);
        }
    }

    private static void TanhBackward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input)
    {
        Span<float> t = stackalloc float[Chunk];
        for (int start = 0; start < input.Length; start += Chunk)
        {
            int count = Math.Min(Chunk, input.Length - start);
            var tc = t[..count];
            TensorPrimitives.Tanh(input.Slice(start, count), tc);
            var g = dOutput.Slice(start, count);
            var d = dInput.Slice(start, count);
            for (int i = 0; i < count; i++)
            {
                d[i] += g[i] * (1f - tc[i] * tc[i]);
            }
        }
    }

    private static void SigmoidBackward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input)
    {
        Span<float> s = stackalloc float[Chunk];
        for (int start = 0; start < input.Length; start += Chunk)
        {
            int count = Math.Min(Chunk, input.Length - start);
            var sc = s[..count];
            TensorPrimitives.Sigmoid(input.Slice(start, count), sc);
            var g = dOutput.Slice(start, count);
            var d = dInput.Slice(start, count);
            for (int i = 0; i < count; i++)
            {
                d[i] += g[i] * sc[i] * (1f - sc[i]);
            }
        }
    }

    // Φ(x) = ½·erfc(-x/√2). erfc(z) for z ≥ 0 is t·exp(-z² + P(t)) with t = 1/(1 + z/2) and P the
    // Chebyshev-fitted degree-9 polynomial below (Numerical Recipes' erfcc; fractional error < 1.2e-7);
    // for z < 0, erfc(z) = 2 - erfc(-z).
    private static double NormalCdf(double x)
    {
        double z = -x * InvSqrt2;
        double a = Math.Abs(z);
        double t = 1.0 / (1.0 + 0.5 * a);
        double r = t * Math.Exp(-a * a + ErfcPolynomial(t));
        return 0.5 * (z >= 0 ? r : 2.0 - r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> NormalCdf(Vector256<double> x)
    {
        var z = x * Vector256.Create(-InvSqrt2);
        var a = Vector256.Abs(z);
        var t = Vector256<double>.One / (Vector256<double>.One + Vector256.Create(0.5) * a);
        var r = t * Vector256.Exp(ErfcPolynomial(t) - a * a);
        var erfc = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<double>.Zero), r, Vector256.Create(2.0) - r);
        return Vector256.Create(0.5) * erfc;
    }

    private static double ErfcPolynomial(double t) =>
        -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
        + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ErfcPolynomial(Vector256<double> t)
    {
        var p = Vector256.Create(0.17087277);
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-0.82215223));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(1.48851587));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-1.13520398));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.27886807));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-0.18628806));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.09678418));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.37409196));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(1.00002368));
        return Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-1.26551223));
    }
}
