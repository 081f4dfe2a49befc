using System;
using System.Numerics;

namespace ModelDsl.Kernels.Reference;

/// <summary>
/// Textbook matrix multiply, generic over the element type: the oracle <see cref="Gemm"/> is tested
/// against. Same argument order and storage conventions as <see cref="Gemm"/>, no pool.
/// </summary>
public static class GemmReference
{
    /// <summary>Computes <c>C = alpha · op(A) · op(B) + beta · C</c>; C is not read when beta is 0.</summary>
    /// <param name="c">Output, <c>m</c> rows of stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="a">Left operand as stored (<c>m×k</c>, or <c>k×m</c> when <paramref name="transposeA"/>).</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="transposeA">Use Aᵀ.</param>
    /// <param name="b">Right operand as stored (<c>k×n</c>, or <c>n×k</c> when <paramref name="transposeB"/>).</param>
    /// <param name="ldb">Row stride of B as stored.</param>
    /// <param name="transposeB">Use Bᵀ.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C.</param>
    public static void Multiply<T>(
        Span<T> c, int ldc,
        ReadOnlySpan<T> a, int lda, bool transposeA,
        ReadOnlySpan<T> b, int ldb, bool transposeB,
        int m, int n, int k, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T aip = transposeA ? a[p * lda + i] : a[i * lda + p];
                    T bpj = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += aip * bpj;
                }

                c[i * ldc + j] = T.IsZero(beta) ? alpha * sum : alpha * sum + beta * c[i * ldc + j];
            }
        }
    }

    /// <summary>Contiguous form: leading dimensions are the natural row lengths.</summary>
    /// <param name="c">Output (m, n).</param>
    /// <param name="a">Left operand as stored.</param>
    /// <param name="transposeA">Use Aᵀ.</param>
    /// <param name="b">Right operand as stored.</param>
    /// <param name="transposeB">Use Bᵀ.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C.</param>
    public static void Multiply<T>(
        Span<T> c, ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB,
        int m, int n, int k, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Multiply(c, n, a, transposeA ? m : k, transposeA, b, transposeB ? k : n, transposeB, m, n, k, alpha, beta);

    /// <summary>Strided batch: product <c>i</c> uses the matrices starting at <c>i · strideX</c>.</summary>
    /// <param name="c">Outputs.</param>
    /// <param name="ldc">Row stride of each C.</param>
    /// <param name="strideC">Distance between consecutive C matrices.</param>
    /// <param name="a">Left operands as stored.</param>
    /// <param name="lda">Row stride of each A.</param>
    /// <param name="strideA">Distance between consecutive A matrices.</param>
    /// <param name="transposeA">Use Aᵀ.</param>
    /// <param name="b">Right operands as stored.</param>
    /// <param name="ldb">Row stride of each B.</param>
    /// <param name="strideB">Distance between consecutive B matrices.</param>
    /// <param name="transposeB">Use Bᵀ.</param>
    /// <param name="batch">Number of products.</param>
    /// <param name="m">Rows of each C.</param>
    /// <param name="n">Columns of each C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C.</param>
    public static void MultiplyBatched<T>(
        Span<T> c, int ldc, long strideC,
        ReadOnlySpan<T> a, int lda, long strideA, bool transposeA,
        ReadOnlySpan<T> b, int ldb, long strideB, bool transposeB,
        int batch, int m, int n, int k, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < batch; i++)
        {
            Multiply(
                c[(int)(i * strideC)..], ldc,
                a[(int)(i * strideA)..], lda, transposeA,
                b[(int)(i * strideB)..], ldb, transposeB,
                m, n, k, alpha, beta);
        }
    }
}
