using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// General matrix multiply on row-major float matrices:
/// <c>C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C</c>, where <c>op(X)</c> is X or Xᵀ.
/// Leading dimensions (<c>lda</c>, <c>ldb</c>, <c>ldc</c>) are the distance in floats between
/// consecutive rows as stored, so a head's slice of a <c>[T, H·dh]</c> buffer is addressed directly.
/// </summary>
/// <remarks>
/// Storage: A is <c>m×k</c> (<c>k×m</c> when transposed), B is <c>k×n</c> (<c>n×k</c> when transposed).
/// When <c>beta</c> is 0, C is not read (NaN in C does not propagate), as in BLAS.
/// </remarks>
public static class Gemm
{
    /// <summary>Computes <c>C = alpha · op(A) · op(B) + beta · C</c>.</summary>
    public static void Multiply(
        Span<float> c, int ldc,
        ReadOnlySpan<float> a, int lda, bool transposeA,
        ReadOnlySpan<float> b, int ldb, bool transposeB,
        int m, int n, int k,
        float alpha = 1f, float beta = 0f, WorkerPool? pool = null)
    {
        CheckArguments(c, ldc, a, lda, transposeA, b, ldb, transposeB, m, n, k);
        _ = pool;
        ref float cRef = ref MemoryMarshal.GetReference(c);
        for (int i = 0; i < m; i++)
        {
            ref float row = ref Unsafe.Add(ref cRef, i * ldc);
            ScaleRow(ref row, n, beta);
            for (int p = 0; p < k; p++)
            {
                float aip = alpha * (transposeA ? a[p * lda + i] : a[i * lda + p]);
                if (transposeB)
                {
                    for (int j = 0; j < n; j++)
                    {
                        Unsafe.Add(ref row, j) += aip * b[j * ldb + p];
                    }
                }
                else
                {
                    Axpy(ref row, ref MemoryMarshal.GetReference(b.Slice(p * ldb, n)), n, aip);
                }
            }
        }
    }

    /// <summary>Contiguous form: leading dimensions are the natural row lengths.</summary>
    public static void Multiply(
        Span<float> c, ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB,
        int m, int n, int k, float alpha = 1f, float beta = 0f, WorkerPool? pool = null) =>
        Multiply(c, n, a, transposeA ? m : k, transposeA, b, transposeB ? k : n, transposeB, m, n, k, alpha, beta, pool);

    /// <summary>Checks spans and dimensions; every message names the argument.</summary>
    internal static void CheckArguments(
        ReadOnlySpan<float> c, int ldc,
        ReadOnlySpan<float> a, int lda, bool transposeA,
        ReadOnlySpan<float> b, int ldb, bool transposeB,
        int m, int n, int k)
    {
        Guard.NonNegative(m);
        Guard.NonNegative(n);
        Guard.NonNegative(k);
        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        Guard.That(ldc >= Math.Max(1, n), $"ldc ({ldc}) must be at least n ({n}).");
        Guard.That(lda >= Math.Max(1, aCols), $"lda ({lda}) must be at least the stored row length of A ({aCols}).");
        Guard.That(ldb >= Math.Max(1, bCols), $"ldb ({ldb}) must be at least the stored row length of B ({bCols}).");
        Guard.AtLeast(c, m == 0 ? 0 : (long)(m - 1) * ldc + n);
        Guard.AtLeast(a, aRows == 0 || aCols == 0 ? 0 : (long)(aRows - 1) * lda + aCols);
        Guard.AtLeast(b, bRows == 0 || bCols == 0 ? 0 : (long)(bRows - 1) * ldb + bCols);
    }

    private static void ScaleRow(ref float row, int n, float beta)
    {
        if (beta == 0f)
        {
            MemoryMarshal.CreateSpan(ref row, n).Clear();
        }
        else if (beta != 1f)
        {
            for (int j = 0; j < n; j++)
            {
                Unsafe.Add(ref row, j) *= beta;
            }
        }
    }

    private static void Axpy(ref float y, ref float x, int n, float alpha)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = new Vector<float>(alpha);
            for (; j <= n - Vector<float>.Count; j += Vector<float>.Count)
            {
                var vy = Vector.LoadUnsafe(ref y, (nuint)j);
                var vx = Vector.LoadUnsafe(ref x, (nuint)j);
                (vy + (va * vx)).StoreUnsafe(ref y, (nuint)j);
            }
        }

        for (; j < n; j++)
        {
            Unsafe.Add(ref y, j) += alpha * Unsafe.Add(ref x, j);
        }
    }
}
