using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

public sealed class GemmTests : IDisposable
{
    /// <summary>Unit roundoff of float (2^-24).</summary>
    private const double U = 1.0 / (1 << 24);

    private readonly WorkerPool _pool = new(2);

    public void Dispose() => _pool.Dispose();

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 },
        { 1, 7, 3 },
        { 5, 1, 9 },
        { 17, 31, 7 },
        { 6, 32, 256 },    // exactly one register tile and one k block
        { 7, 33, 257 },    // one past tile and block edges
        { 13, 100, 40 },   // small path (rows <= 96, B read in place)
        { 97, 65, 300 },   // packed path, two k blocks
        { 300, 257, 129 },
        { 40, 600, 20 },   // more columns than one NC block
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Multiply_AllTransposes_MatchReferenceWithinRoundingBound(int m, int n, int k)
    {
        int seed = m * 7919 + n * 31 + k;
        foreach (bool transposeA in new[] { false, true })
        {
            foreach (bool transposeB in new[] { false, true })
            {
                var a = TestData.Uniform(m * k, seed + 1);
                var b = TestData.Uniform(k * n, seed + 2);
                var c = TestData.Uniform(m * n, seed + 3);
                var expected = ReferenceInDouble(c, n, a, transposeA ? m : k, transposeA, b, transposeB ? k : n, transposeB, m, n, k, 1.5f, 0f, out var bound);
                Gemm.Multiply(c, a, transposeA, b, transposeB, m, n, k, alpha: 1.5f);
                AssertWithin(expected, bound, c, $"{m}x{n}x{k} tA={transposeA} tB={transposeB}");
            }
        }
    }

    [Theory]
    [InlineData(17, 31, 7, 0.5f, 2f)]
    [InlineData(64, 96, 300, -1f, 1f)]
    [InlineData(120, 70, 33, 2f, -0.25f)]
    public void Multiply_LeadingDimensionsLargerThanRows_AlphaBeta_MatchReferenceAndLeavePaddingAlone(int m, int n, int k, float alpha, float beta)
    {
        foreach (bool transposeA in new[] { false, true })
        {
            foreach (bool transposeB in new[] { false, true })
            {
                int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
                int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
                int lda = aCols + 5, ldb = bCols + 3, ldc = n + 7;
                // Padding holds NaN: any read of it would poison the result.
                var a = Padded(TestData.Uniform(aRows * aCols, 11), aRows, aCols, lda);
                var b = Padded(TestData.Uniform(bRows * bCols, 12), bRows, bCols, ldb);
                var c = Padded(TestData.Uniform(m * n, 13), m, n, ldc);
                var expected = ReferenceInDouble(c, ldc, a, lda, transposeA, b, ldb, transposeB, m, n, k, alpha, beta, out var bound);
                Gemm.Multiply(c, ldc, a, lda, transposeA, b, ldb, transposeB, m, n, k, alpha, beta, _pool);
                for (int i = 0; i < c.Length; i++)
                {
                    if (i % ldc >= n)
                    {
                        Assert.True(float.IsNaN(c[i]), $"padding of C at {i} was written");
                        c[i] = float.NaN;
                    }
                }

                AssertWithin(expected, bound, c, $"padded tA={transposeA} tB={transposeB}");
            }
        }
    }

    [Theory]
    [InlineData(9, 10, 11)]
    [InlineData(130, 70, 40)]
    [InlineData(200, 300, 260)]
    public void Multiply_BetaZero_DoesNotReadC(int m, int n, int k)
    {
        var a = TestData.Uniform(m * k, 21);
        var b = TestData.Uniform(k * n, 22);
        var c = new float[m * n];
        c.AsSpan().Fill(float.NaN);
        var expected = ReferenceInDouble(new float[m * n], n, a, k, false, b, n, false, m, n, k, 1f, 0f, out var bound);
        Gemm.Multiply(c, a, false, b, false, m, n, k, beta: 0f, pool: _pool);
        AssertWithin(expected, bound, c, "beta = 0 over NaN");
    }

    [Fact]
    public void Multiply_EmptyInnerDimension_ScalesC()
    {
        var c = new float[] { 1, 2, 3, float.NaN };
        Gemm.Multiply(c.AsSpan(0, 3), ReadOnlySpan<float>.Empty, false, ReadOnlySpan<float>.Empty, false, 1, 3, 0, beta: 2f);
        Assert.Equal(new float[] { 2, 4, 6 }, c.AsSpan(0, 3).ToArray());
        Gemm.Multiply(c, ReadOnlySpan<float>.Empty, false, ReadOnlySpan<float>.Empty, false, 2, 2, 0, beta: 0f);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, c);
    }

    [Theory]
    [InlineData(300, 257, 129, false, false, nameof(Gemm.Split.Columns))]
    [InlineData(300, 257, 129, true, true, nameof(Gemm.Split.Rows))]
    [InlineData(1024, 40, 64, false, true, nameof(Gemm.Split.Rows))]
    [InlineData(40, 1024, 64, true, false, nameof(Gemm.Split.Columns))]
    [InlineData(1000, 24, 100, true, true, nameof(Gemm.Split.Rows))]      // narrow last panel
    [InlineData(515, 517, 600, false, true, nameof(Gemm.Split.Blocks))]   // two column blocks, three k blocks
    [InlineData(600, 530, 300, false, false, nameof(Gemm.Split.Blocks))]  // last column block 18 wide: a 32-wide edge tile
    [InlineData(700, 200, 400, true, false, nameof(Gemm.Split.Blocks))]   // transposed A packed per strip
    [InlineData(400, 520, 700, true, true, nameof(Gemm.Split.Blocks))]    // last column block 8 wide: the 16-wide kernel
    [InlineData(1021, 96, 1100, false, true, nameof(Gemm.Split.Blocks))]  // five k blocks, last row strip short
    public void Multiply_OneAndTwoThreads_AreBitIdentical(int m, int n, int k, bool transposeA, bool transposeB, string split)
    {
        // The case covers the split it names; if the heuristics move, the case list must move with them.
        Assert.Equal(split, Gemm.SplitFor(m, n, k, transposeA, transposeB, _pool.ThreadCount).ToString());
        var a = TestData.Uniform(m * k, 31);
        var b = TestData.Uniform(k * n, 32);
        var c0 = TestData.Uniform(m * n, 33);
        var one = (float[])c0.Clone();
        var two = (float[])c0.Clone();
        Gemm.Multiply(one, a, transposeA, b, transposeB, m, n, k, 0.75f, 0.5f, pool: null);
        Gemm.Multiply(two, a, transposeA, b, transposeB, m, n, k, 0.75f, 0.5f, pool: _pool);
        for (int i = 0; i < one.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(two[i]), $"element {i}: {one[i]:R} vs {two[i]:R}");
        }

        // And the result is right, not merely reproducible.
        var expected = ReferenceInDouble(c0, n, a, transposeA ? m : k, transposeA, b, transposeB ? k : n, transposeB, m, n, k, 0.75f, 0.5f, out var bound);
        AssertWithin(expected, bound, two, "two threads");
    }

    [Theory]
    [InlineData(8, 64, 64, 16, false, true)]    // scores = Q·Kᵀ per head
    [InlineData(8, 64, 16, 64, false, false)]   // context = P·V per head
    [InlineData(3, 17, 9, 33, true, false)]
    [InlineData(1, 100, 120, 50, true, true)]
    [InlineData(16, 64, 64, 64, false, true)]   // large enough to spread the batch over the pool
    public void MultiplyBatched_HeadsInterleavedInRows_MatchReference(int heads, int m, int n, int k, bool transposeA, bool transposeB)
    {
        // Heads interleaved as [rows, heads·cols]: a head is a column slice, stride = its width.
        int aCols = transposeA ? m : k, aRows = transposeA ? k : m;
        int bCols = transposeB ? k : n, bRows = transposeB ? n : k;
        int lda = heads * aCols, ldb = heads * bCols, ldc = heads * n;
        var a = TestData.Uniform(aRows * lda, 41);
        var b = TestData.Uniform(bRows * ldb, 42);
        var c0 = TestData.Uniform(m * ldc, 43);
        var expected = new float[c0.Length];
        var bounds = new double[c0.Length];
        for (int h = 0; h < heads; h++)
        {
            var one = ReferenceInDouble(c0.AsSpan(h * n).ToArray(), ldc, a.AsSpan(h * aCols).ToArray(), lda, transposeA,
                b.AsSpan(h * bCols).ToArray(), ldb, transposeB, m, n, k, 1f, 0.5f, out var bound);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    expected[i * ldc + h * n + j] = one[i * ldc + j];
                    bounds[i * ldc + h * n + j] = bound[i * ldc + j];
                }
            }
        }

        foreach (var pool in new[] { null, _pool })
        {
            var c = (float[])c0.Clone();
            Gemm.MultiplyBatched(c, ldc, n, a, lda, aCols, transposeA, b, ldb, bCols, transposeB, heads, m, n, k, 1f, 0.5f, pool);
            AssertWithin(expected, bounds, c, $"batched, pool {pool?.ThreadCount ?? 1}");
        }
    }

    [Fact]
    public void MultiplyBatched_ContiguousBatch_MatchesGenericReference()
    {
        const int Batch = 5, M = 19, N = 23, K = 29;
        var a = TestData.Uniform(Batch * M * K, 51);
        var b = TestData.Uniform(Batch * K * N, 52);
        var c = new float[Batch * M * N];
        var expected = new float[c.Length];
        GemmReference.MultiplyBatched<float>(expected, N, M * N, a, K, M * K, false, b, K, K * N, true, Batch, M, N, K, 1f, 0f);
        Gemm.MultiplyBatched(c, N, M * N, a, K, M * K, false, b, K, K * N, true, Batch, M, N, K, pool: _pool);
        // Float reference vs float kernel: each has |error| <= K·u·Σ|ab| <= K·u·K (|a|,|b| <= 1), so 2·K²·u bounds the gap.
        Compare.Close(expected, c, rtol: 0, atol: 2.0 * K * K * U, what: "batched C");
    }

    [Fact]
    public void Multiply_WrongLengths_ThrowNamingTheArgument()
    {
        var ok = new float[12];
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[5], ok, false, ok, false, 3, 4, 3)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Gemm.Multiply(ok, new float[8], false, ok, false, 3, 4, 3)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Gemm.Multiply(ok, ok, false, new float[11], false, 3, 4, 3)).ParamName);
        Assert.Equal("ldc", Assert.Throws<ArgumentException>(() => Gemm.Multiply(ok, 3, ok, 3, false, ok, 4, false, 3, 4, 3)).ParamName);
        Assert.Equal("lda", Assert.Throws<ArgumentException>(() => Gemm.Multiply(ok, 4, ok, 2, false, ok, 4, false, 3, 4, 3)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBatched(new float[23], 4, 12, ok, 3, 0, false, ok, 4, 0, false, 2, 3, 4, 3)).ParamName);
    }

    [Fact]
    public unsafe void MultiplyWithEpilogue_BlockSplit_OneAndTwoThreadsBitIdentical_AndMatchReference()
    {
        // Bias + ReLU through the block-by-block split: the epilogue runs on the last k block of each
        // tile, whichever thread computes it.
        const int M = 520, N = 300, K = 530;
        Assert.Equal(Gemm.Split.Blocks, Gemm.SplitFor(M, N, K, false, true, _pool.ThreadCount));
        var x = TestData.Uniform(M * K, 61);
        var w = TestData.Uniform(N * K, 62);
        var bias = TestData.Uniform(N, 63);
        var one = new float[M * N];
        var two = new float[M * N];
        var preOne = new float[M * N];
        var preTwo = new float[M * N];
        fixed (float* px = x, pw = w, pb = bias, p1 = one, p2 = two, q1 = preOne, q2 = preTwo)
        {
            Gemm.MultiplyWithEpilogue(p1, px, false, pw, true, M, N, K, pb, ActivationKind.ReLU, q1, null);
            Gemm.MultiplyWithEpilogue(p2, px, false, pw, true, M, N, K, pb, ActivationKind.ReLU, q2, _pool);
        }

        for (int i = 0; i < one.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(two[i]), $"C[{i}]: {one[i]:R} vs {two[i]:R}");
            Assert.True(BitConverter.SingleToInt32Bits(preOne[i]) == BitConverter.SingleToInt32Bits(preTwo[i]), $"pre[{i}]: {preOne[i]:R} vs {preTwo[i]:R}");
        }

        // Pre-activation = X·Wᵀ + bias: the GEMM bound plus one rounding of the bias add (|pre|·u, counted
        // by the half ulp AssertWithin allows). ReLU is exact and 1-Lipschitz, so C obeys the same bound.
        var broadcastBias = new float[M * N];
        for (int i = 0; i < M; i++)
        {
            bias.CopyTo(broadcastBias, i * N);
        }

        var expectedPre = ReferenceInDouble(broadcastBias, N, x, K, false, w, K, true, M, N, K, 1f, 1f, out var bound);
        AssertWithin(expectedPre, bound, preTwo, "pre-activation, two threads");
        var expected = Array.ConvertAll(expectedPre, v => Math.Max(0f, v));
        AssertWithin(expected, bound, two, "ReLU output, two threads");
    }

    [Fact]
    public void Multiply_BlockSplit_ConsecutiveCallsWithNewOperands_UseTheNewOperands()
    {
        // Each thread keeps the block it packed; a later call (same shape, new B, or the same B
        // changed in place) must pack again, also after the caller's buffer served a one-thread call.
        const int M = 600, N = 300, K = 260;
        Assert.Equal(Gemm.Split.Blocks, Gemm.SplitFor(M, N, K, false, false, _pool.ThreadCount));
        var a = TestData.Uniform(M * K, 71);
        var b1 = TestData.Uniform(K * N, 72);
        var b2 = TestData.Uniform(K * N, 73);
        var c = new float[M * N];
        var expected2 = ReferenceInDouble(new float[M * N], N, a, K, false, b2, N, false, M, N, K, 1f, 0f, out var bound2);

        Gemm.Multiply(c, a, false, b1, false, M, N, K, pool: _pool);
        Gemm.Multiply(c, a, false, b2, false, M, N, K, pool: _pool);
        AssertWithin(expected2, bound2, c, "second operand after the first");

        Gemm.Multiply(c, a, false, b1, false, M, N, K, pool: null);
        Gemm.Multiply(c, a, false, b2, false, M, N, K, pool: _pool);
        AssertWithin(expected2, bound2, c, "second operand after a one-thread call");

        b1.CopyTo(b2, 0);
        var expected1 = ReferenceInDouble(new float[M * N], N, a, K, false, b1, N, false, M, N, K, 1f, 0f, out var bound1);
        Gemm.Multiply(c, a, false, b2, false, M, N, K, pool: _pool);
        AssertWithin(expected1, bound1, c, "operand changed in place");
    }

    /// <summary>
    /// op(A)·op(B) in double (exact to ~1e-16 relative), and for each element the rigorous bound on a
    /// float computation's error: a k-term dot product in any order, with or without FMA, is within
    /// γ_k·Σ|a·b| of the exact value (γ_k ≈ k·u, Higham, Accuracy and Stability, §3.1); scaling by alpha,
    /// adding beta·C and the final rounding add a few more units: (k + 3)·u·(|alpha|·Σ|a·b| + |beta·c|).
    /// </summary>
    private static float[] ReferenceInDouble(
        float[] c, int ldc, float[] a, int lda, bool transposeA, float[] b, int ldb, bool transposeB,
        int m, int n, int k, float alpha, float beta, out double[] bound)
    {
        var cd = TestData.ToDouble(c);
        GemmReference.Multiply<double>(cd, ldc, TestData.ToDouble(a), lda, transposeA, TestData.ToDouble(b), ldb, transposeB, m, n, k, alpha, beta);
        var absA = Abs(a);
        var absB = Abs(b);
        var magnitude = new double[c.Length];
        GemmReference.Multiply<double>(magnitude, ldc, absA, lda, transposeA, absB, ldb, transposeB, m, n, k, 1.0, 0.0);
        bound = new double[c.Length];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                int index = i * ldc + j;
                double old = beta == 0f ? 0 : Math.Abs(beta * (double)c[index]);
                bound[index] = (k + 3) * U * (Math.Abs(alpha) * magnitude[index] + old) + 1e-30;
            }
        }

        var result = TestData.ToSingle(cd);
        for (int i = 0; i < c.Length; i++)
        {
            if (i % ldc >= n)
            {
                result[i] = float.NaN;
            }
        }

        return result;
    }

    private static double[] Abs(float[] values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = float.IsNaN(values[i]) ? 0 : Math.Abs(values[i]);
        }

        return result;
    }

    private static void AssertWithin(float[] expected, double[] bound, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]))
            {
                continue; // padding, checked by the caller where it matters
            }

            // The expected value was rounded to float once more: allow half an ulp of it too.
            double allowed = bound[i] + Math.Abs(expected[i]) * U;
            double diff = Math.Abs((double)actual[i] - expected[i]);
            Assert.True(diff <= allowed, $"{what}: C[{i}] = {actual[i]:G9}, expected {expected[i]:G9}, |diff| {diff:G3} > bound {allowed:G3}");
        }
    }

    private static float[] Padded(float[] dense, int rows, int cols, int ld)
    {
        var result = new float[rows == 0 ? 0 : (rows - 1) * ld + cols + (ld - cols)];
        result.AsSpan().Fill(float.NaN);
        for (int i = 0; i < rows; i++)
        {
            dense.AsSpan(i * cols, cols).CopyTo(result.AsSpan(i * ld));
        }

        return result;
    }
}

public sealed class GemmAllocationTests : IDisposable
{
    private readonly WorkerPool _pool = new(2);

    public void Dispose() => _pool.Dispose();

    [Theory]
    [InlineData(200, 300, 260, false, true)]   // packed path, split over two threads
    [InlineData(600, 300, 260, true, true)]    // block-by-block split
    [InlineData(32, 48, 40, false, false)]     // small path, B read in place
    [InlineData(64, 64, 16, false, true)]      // attention-sized, B packed
    public void Multiply_AllocatesNothing(int m, int n, int k, bool transposeA, bool transposeB)
    {
        var a = TestData.Uniform(m * k, 1);
        var b = TestData.Uniform(k * n, 2);
        var c = new float[m * n];
        var pool = _pool;
        long bytes = Allocations.Measure(() => Gemm.Multiply(c, a, transposeA, b, transposeB, m, n, k, 1f, 0.5f, pool));
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void MultiplyBatched_AllocatesNothing()
    {
        const int Heads = 8, T = 96, Dh = 64; // 4.7M multiply-adds: spread over the pool
        var q = TestData.Uniform(T * Heads * Dh, 3);
        var scores = new float[Heads * T * T];
        var pool = _pool;
        long bytes = Allocations.Measure(() =>
            Gemm.MultiplyBatched(scores, T, T * T, q, Heads * Dh, Dh, false, q, Heads * Dh, Dh, true, Heads, T, T, Dh, 0.25f, 0f, pool));
        Assert.Equal(0, bytes);
    }
}
