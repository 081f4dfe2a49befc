using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ModelDsl.Optim;

/// <summary>Gradient clipping over one flat gradient block.</summary>
public static class GradientClipping
{
    private const double NormEpsilon = 1e-6;

    /// <summary>
    /// Rescales <paramref name="gradients"/> in place so that their L2 norm is at most
    /// <paramref name="maxNorm"/>, as <c>torch.nn.utils.clip_grad_norm_</c>:
    /// <code>
    /// norm  = sqrt(sum g²)
    /// scale = maxNorm / (norm + 1e-6)
    /// g     = g * scale          only when scale &lt; 1
    /// </code>
    /// </summary>
    /// <remarks>
    /// The sum of squares is accumulated in double in a fixed order: element <c>i</c> of the
    /// largest multiple of 8 goes to partial sum <c>i mod 8</c> (in index order), the 8 partial sums
    /// are added 0 to 7, then the remaining elements in index order. The same gradients give the same
    /// bits with or without vector hardware. A non-finite norm (a NaN or infinite gradient, or an
    /// overflow of the sum) throws when <paramref name="errorIfNonfinite"/> is set; otherwise it is
    /// handled like PyTorch: a NaN scale (NaN norm) or a zero scale (infinite norm) is still applied.
    /// Allocates nothing unless it throws.
    /// </remarks>
    /// <param name="gradients">The gradient block, scaled in place.</param>
    /// <param name="maxNorm">The largest allowed norm, zero or greater.</param>
    /// <param name="errorIfNonfinite">Throw <see cref="InvalidOperationException"/> when the norm is NaN or infinite.</param>
    /// <returns>The norm of the gradients before clipping.</returns>
    public static float ClipByGlobalNorm(Span<float> gradients, float maxNorm, bool errorIfNonfinite = false)
    {
        if (!(maxNorm >= 0) || !float.IsFinite(maxNorm))
        {
            Hyper.Throw(nameof(maxNorm), maxNorm, "must be finite and zero or greater");
        }

        double norm = Math.Sqrt(SumOfSquares(gradients, vectorized: true));
        if (!double.IsFinite(norm) && errorIfNonfinite)
        {
            ThrowNonfinite(norm);
        }

        double scale = maxNorm / (norm + NormEpsilon);
        if (scale < 1 || double.IsNaN(scale))
        {
            TensorPrimitives.Multiply(gradients, (float)scale, gradients);
        }

        return (float)norm;
    }

    /// <summary>The L2 norm of <paramref name="values"/>, accumulated in double in the fixed order of <see cref="ClipByGlobalNorm"/>.</summary>
    public static double GlobalNorm(ReadOnlySpan<float> values) => Math.Sqrt(SumOfSquares(values, vectorized: true));

    /// <summary>Sum of squares in double: 8 interleaved partial sums, added in order, then the tail.</summary>
    internal static double SumOfSquares(ReadOnlySpan<float> values, bool vectorized)
    {
        ref float x = ref MemoryMarshal.GetReference(values);
        nuint n = (nuint)values.Length;
        nuint body = n & ~(nuint)7;
        nuint i = 0;
        double total = 0;
        if (vectorized && Vector256.IsHardwareAccelerated)
        {
            // Lanes 0-3 of `low` are partial sums 0-3, lanes of `high` are partial sums 4-7.
            var low = Vector256<double>.Zero;
            var high = Vector256<double>.Zero;
            for (; i < body; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref x, i);
                var (lo, hi) = Vector256.Widen(v);
                low = Vector256.FusedMultiplyAdd(lo, lo, low);
                high = Vector256.FusedMultiplyAdd(hi, hi, high);
            }

            total = low[0] + low[1] + low[2] + low[3] + high[0] + high[1] + high[2] + high[3];
        }
        else
        {
            Span<double> partial = stackalloc double[8];
            partial.Clear();
            for (; i < body; i += 8)
            {
                for (int lane = 0; lane < 8; lane++)
                {
                    double e = Unsafe.Add(ref x, i + (nuint)lane);
                    partial[lane] = Math.FusedMultiplyAdd(e, e, partial[lane]);
                }
            }

            total = partial[0] + partial[1] + partial[2] + partial[3] + partial[4] + partial[5] + partial[6] + partial[7];
        }

        for (; i < n; i++)
        {
            double e = Unsafe.Add(ref x, i);
            total = Math.FusedMultiplyAdd(e, e, total);
        }

        return total;
    }

    private static void ThrowNonfinite(double norm) =>
        throw new InvalidOperationException(FormattableString.Invariant(
            $"The total norm of the gradients is non-finite ({norm}), so they cannot be clipped; a gradient is NaN or infinite. Pass errorIfNonfinite: false to clip anyway."));
}
