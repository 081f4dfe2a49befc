using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// General matrix multiply on row-major float matrices:
/// <c>C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C</c>, where <c>op(X)</c> is X or Xᵀ.
/// Leading dimensions (<c>lda</c>, <c>ldb</c>, <c>ldc</c>) are the distance in floats between
/// consecutive rows as stored, so a head's slice of a <c>[T, H·dh]</c> buffer is addressed directly.
/// </summary>
/// <remarks>
/// <para>
/// Storage: A is <c>m×k</c> (<c>k×m</c> when transposed), B is <c>k×n</c> (<c>n×k</c> when transposed).
/// When <c>beta</c> is 0, C is not read (NaN in C does not propagate), as in BLAS.
/// </para>
/// <para>
/// Algorithm (Goto/BLIS, written for row-major C): the <c>k</c> range is cut into blocks of
/// <see cref="KC"/> and the columns into blocks of <see cref="NC"/>; each <c>KC×NC</c> block of B is
/// packed into <see cref="Nr"/>-wide column panels that stay in L2, each <see cref="MR"/>-row strip of A
/// is packed (or, when A is row-major, read in place) so that it stays in L1, and a register-tiled
/// micro-kernel computes an <c>MR×Nr</c> tile of C with broadcast-FMA (6×32 with
/// <see cref="Vector512{T}"/> when AVX-512F is present, 6×16 with <see cref="Vector256{T}"/> and FMA,
/// scalar otherwise; a last panel at most 16 wide uses the 6×16 kernel). Transposes are handled by
/// the packing routines. Packing buffers are per-thread native memory allocated once, so a call
/// allocates nothing.
/// </para>
/// <para>
/// Small problems (at most 96 rows, one k block, one column block) skip packing a row-major B and
/// read it in place; a row-major A is always read in place, a transposed A is packed per strip.
/// Problems under 2^21 multiply-adds stay on the calling thread. Large ones (op(A) of at least
/// 512 KiB) are split block by block: for each <c>KC×NC</c> block of B the pool hands out parts of
/// the rows of C, and every thread packs the block into its own buffer once, so each thread reads
/// only its own rows of A and C. Smaller ones split C once by columns (when A is read in place and
/// there are enough column panels) or by rows, into up to four parts per thread that the pool hands
/// out dynamically, each part packing its own panels.
/// </para>
/// <para>
/// Determinism: every element of C is accumulated by the same micro-kernel over the same
/// <c>k</c> blocks in the same order, whichever thread computes it and wherever its tile falls
/// (edge tiles run the full kernel on zero-padded panels), so results are bit-identical for any
/// pool size. Threads split the rows or the columns of C, never <c>k</c>.
/// </para>
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>Rows of the register tile.</summary>
    internal const int MR = 6;

    /// <summary>Depth of a packed block (elements of <c>k</c> per pass over C).</summary>
    internal const int KC = 256;

    /// <summary>Columns of a packed B block (a multiple of every <see cref="Nr"/>).</summary>
    internal const int NC = 512;

    /// <summary>Widest register tile, for buffer sizing.</summary>
    private const int MaxNr = 32;

    /// <summary>
    /// Up to this many multiply-adds (128³, about 20 µs on one core) a call runs on one thread: a pool
    /// round trip costs microseconds, far more when the machine is busy.
    /// </summary>
    private const long ParallelThreshold = 1L << 21;

    /// <summary>
    /// Multiply-adds per <c>KC×NC</c> block (2^23, about 40 µs on one core) from which a large problem
    /// is split block by block (<see cref="RunBlocks"/>), paying one pool round trip per block.
    /// </summary>
    private const long MinBlockWork = 1L << 23;

    /// <summary>
    /// Floats of op(A) (2^17, 512 KiB) from which a large problem is split block by block
    /// (<see cref="RunBlocks"/>) rather than by columns, where every thread would read all of A.
    /// </summary>
    private const long MinBlockSplitA = 1L << 17;

    /// <summary>Fewest <see cref="MR"/>-row strips in a row part of <see cref="RunBlocks"/>.</summary>
    private const int MinStripsPerPart = 2;

    /// <summary>Numbers the blocks of <see cref="RunBlocks"/>, so a thread knows which one its buffer holds.</summary>
    private static long s_lastBlock;

    /// <summary>The <see cref="RunBlocks"/> block packed in this thread's buffer; 0 when it holds anything else.</summary>
    [ThreadStatic]
    private static long t_packedBlock;

    /// <summary>Problems with at most this many rows read a non-transposed B in place instead of packing it.</summary>
    private const int SmallRows = 96;

    /// <summary>Columns of the register tile for the instruction set in use.</summary>
    internal static int Nr
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Avx512F.IsSupported ? 32 : 16;
    }

    /// <summary>Computes <c>C = alpha · op(A) · op(B) + beta · C</c>.</summary>
    /// <param name="c">Output, <c>m</c> rows of stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C, at least <paramref name="n"/>.</param>
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
    /// <param name="beta">Scale of the old C; 0 means C is not read.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Multiply(
        Span<float> c, int ldc,
        ReadOnlySpan<float> a, int lda, bool transposeA,
        ReadOnlySpan<float> b, int ldb, bool transposeB,
        int m, int n, int k,
        float alpha = 1f, float beta = 0f, WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Gemm);
        CheckArguments(c, ldc, a, lda, transposeA, b, ldb, transposeB, m, n, k);
        fixed (float* pc = c)
        fixed (float* pa = a)
        fixed (float* pb = b)
        {
            var problem = new Problem
            {
                A = pa, Lda = lda, TransA = transposeA,
                B = pb, Ldb = ldb, TransB = transposeB,
                C = pc, Ldc = ldc,
                M = m, N = n, K = k, Alpha = alpha, Beta = beta,
            };
            Run(ref problem, pool);
        }
    }

    /// <summary>Contiguous form: leading dimensions are the natural row lengths.</summary>
    public static void Multiply(
        Span<float> c, ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB,
        int m, int n, int k, float alpha = 1f, float beta = 0f, WorkerPool? pool = null) =>
        Multiply(c, Math.Max(1, n), a, Math.Max(1, transposeA ? m : k), transposeA, b, Math.Max(1, transposeB ? k : n), transposeB, m, n, k, alpha, beta, pool);

    /// <summary>
    /// Strided batch of independent products: for <c>i</c> in <c>[0, batch)</c>,
    /// <c>C_i = alpha · op(A_i) · op(B_i) + beta · C_i</c> where <c>X_i</c> starts at <c>i · strideX</c>.
    /// Attention heads use it with strides of one head's slice. The batch is spread over the pool;
    /// each product runs on one thread, so results do not depend on the pool size.
    /// </summary>
    /// <param name="c">Outputs; product <c>i</c> starts at <c>i · <paramref name="strideC"/></c>.</param>
    /// <param name="ldc">Row stride of each C.</param>
    /// <param name="strideC">Distance between consecutive C matrices.</param>
    /// <param name="a">Left operands as stored.</param>
    /// <param name="lda">Row stride of each A as stored.</param>
    /// <param name="strideA">Distance between consecutive A matrices.</param>
    /// <param name="transposeA">Use Aᵀ.</param>
    /// <param name="b">Right operands as stored.</param>
    /// <param name="ldb">Row stride of each B as stored.</param>
    /// <param name="strideB">Distance between consecutive B matrices.</param>
    /// <param name="transposeB">Use Bᵀ.</param>
    /// <param name="batch">Number of products.</param>
    /// <param name="m">Rows of each C.</param>
    /// <param name="n">Columns of each C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C; 0 means C is not read.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void MultiplyBatched(
        Span<float> c, int ldc, long strideC,
        ReadOnlySpan<float> a, int lda, long strideA, bool transposeA,
        ReadOnlySpan<float> b, int ldb, long strideB, bool transposeB,
        int batch, int m, int n, int k,
        float alpha = 1f, float beta = 0f, WorkerPool? pool = null)
    {
        using var profile = KernelProfile.Time(KernelFamily.Gemm);
        // Strides may be smaller than a matrix (heads interleaved in a row), so outputs are not
        // checked for overlap: the caller keeps the C matrices disjoint.
        Guard.NonNegative(batch);
        if ((strideA | strideB | strideC) < 0)
        {
            ThrowNegativeStride(strideA, strideB, strideC);
        }

        CheckShape(ldc, lda, transposeA, ldb, transposeB, m, n, k);
        if (batch == 0)
        {
            return;
        }

        long last = batch - 1;
        Guard.AtLeast((ReadOnlySpan<float>)c, last * strideC + Extent(m, n, ldc), nameof(c));
        Guard.AtLeast(a, last * strideA + Extent(transposeA ? k : m, transposeA ? m : k, lda));
        Guard.AtLeast(b, last * strideB + Extent(transposeB ? n : k, transposeB ? k : n, ldb));

        fixed (float* pc = c)
        fixed (float* pa = a)
        fixed (float* pb = b)
        {
            var job = new BatchJob
            {
                Problem = new Problem
                {
                    A = pa, Lda = lda, TransA = transposeA,
                    B = pb, Ldb = ldb, TransB = transposeB,
                    C = pc, Ldc = ldc,
                    M = m, N = n, K = k, Alpha = alpha, Beta = beta,
                },
                StrideA = (nint)strideA, StrideB = (nint)strideB, StrideC = (nint)strideC,
            };
            if (pool is null || pool.ThreadCount == 1 || batch == 1 || (long)batch * m * n * k <= ParallelThreshold)
            {
                if (batch == 1)
                {
                    Run(ref job.Problem, pool);
                    return;
                }

                for (int i = 0; i < batch; i++)
                {
                    BatchBody(&job, i);
                }
            }
            else
            {
                pool.Run(batch, &BatchBody, &job);
            }
        }
    }

    /// <summary>
    /// <c>C = alpha · op(A) · op(B) + beta · C</c> on the calling thread, over raw pointers with leading dimensions, without
    /// argument checks or profiling: for kernels that run many small products inside their own loops (the attention core,
    /// one (batch, head) pair at a time, possibly on a pool worker). Same arithmetic as <see cref="Multiply(Span{float}, int,
    /// ReadOnlySpan{float}, int, bool, ReadOnlySpan{float}, int, bool, int, int, int, float, float, WorkerPool?)"/>.
    /// </summary>
    internal static void MultiplyInline(
        float* c, nint ldc, float* a, nint lda, bool transposeA, float* b, nint ldb, bool transposeB,
        int m, int n, int k, float alpha, float beta)
    {
        if (m <= 0 || n <= 0)
        {
            return;
        }

        var problem = new Problem
        {
            A = a, Lda = lda, TransA = transposeA,
            B = b, Ldb = ldb, TransB = transposeB,
            C = c, Ldc = ldc,
            M = m, N = n, K = k, Alpha = alpha, Beta = beta,
        };
        Compute(ref problem, 0, m, 0, n);
    }

    /// <summary>
    /// <c>C = op(A) · op(B) + bias</c>, then <c>C = f(C)</c> tile by tile while the tile is in cache,
    /// saving the pre-activation values in <paramref name="preActivation"/> when <paramref name="activation"/>
    /// is not <see cref="ActivationKind.None"/>. Contiguous operands; used by <see cref="Linear"/>.
    /// </summary>
    internal static void MultiplyWithEpilogue(
        float* c, float* a, bool transposeA, float* b, bool transposeB, int m, int n, int k,
        float* bias, ActivationKind activation, float* preActivation, WorkerPool? pool)
    {
        using var profile = KernelProfile.Time(KernelFamily.Gemm);
        var problem = new Problem
        {
            A = a, Lda = Math.Max(1, transposeA ? m : k), TransA = transposeA,
            B = b, Ldb = Math.Max(1, transposeB ? k : n), TransB = transposeB,
            C = c, Ldc = n,
            M = m, N = n, K = k, Alpha = 1f, Beta = 0f,
            Bias = bias, Activation = activation, Pre = preActivation,
            HasEpilogue = bias != null || activation != ActivationKind.None,
        };
        Run(ref problem, pool);
    }

    /// <summary>Checks spans and dimensions; every message names the argument.</summary>
    internal static void CheckArguments(
        ReadOnlySpan<float> c, int ldc,
        ReadOnlySpan<float> a, int lda, bool transposeA,
        ReadOnlySpan<float> b, int ldb, bool transposeB,
        int m, int n, int k)
    {
        CheckShape(ldc, lda, transposeA, ldb, transposeB, m, n, k);
        Guard.AtLeast(c, Extent(m, n, ldc));
        Guard.AtLeast(a, Extent(transposeA ? k : m, transposeA ? m : k, lda));
        Guard.AtLeast(b, Extent(transposeB ? n : k, transposeB ? k : n, ldb));
    }

    private static void CheckShape(int ldc, int lda, bool transposeA, int ldb, bool transposeB, int m, int n, int k)
    {
        Guard.NonNegative(m);
        Guard.NonNegative(n);
        Guard.NonNegative(k);
        int aCols = transposeA ? m : k;
        int bCols = transposeB ? k : n;
        if (ldc < Math.Max(1, n) || lda < Math.Max(1, aCols) || ldb < Math.Max(1, bCols))
        {
            ThrowLeadingDimension(ldc, n, lda, aCols, ldb, bCols);
        }
    }

    [DoesNotReturn]
    private static void ThrowLeadingDimension(int ldc, int n, int lda, int aCols, int ldb, int bCols)
    {
        if (ldc < Math.Max(1, n))
        {
            throw new ArgumentException($"ldc ({ldc}) must be at least n ({n}) and at least 1.", nameof(ldc));
        }

        if (lda < Math.Max(1, aCols))
        {
            throw new ArgumentException($"lda ({lda}) must be at least the stored row length of A ({aCols}) and at least 1.", nameof(lda));
        }

        throw new ArgumentException($"ldb ({ldb}) must be at least the stored row length of B ({bCols}) and at least 1.", nameof(ldb));
    }

    [DoesNotReturn]
    private static void ThrowNegativeStride(long strideA, long strideB, long strideC)
    {
        string name = strideA < 0 ? nameof(strideA) : strideB < 0 ? nameof(strideB) : nameof(strideC);
        long value = strideA < 0 ? strideA : strideB < 0 ? strideB : strideC;
        throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero or greater; got {value}.");
    }

    /// <summary>Floats spanned by <paramref name="rows"/> rows of <paramref name="cols"/> at stride <paramref name="ld"/>.</summary>
    private static long Extent(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;

    /// <summary>One multiply, as raw pointers, shared by every thread that works on it.</summary>
    private struct Problem
    {
        public float* A;
        public float* B;
        public float* C;
        public float* Bias;
        public float* Pre;
        public nint Lda;
        public nint Ldb;
        public nint Ldc;
        public int M;
        public int N;
        public int K;
        public float Alpha;
        public float Beta;
        public ActivationKind Activation;
        public bool TransA;
        public bool TransB;
        public bool HasEpilogue;
        public bool SplitColumns;
        public int Parts;

        // Block-by-block split (RunBlocks): the KC×NC block of op(B) in progress, a process-wide
        // unique number for it, and the pool size the row parts are cut for.
        public long Block;
        public int Jc;
        public int Nc;
        public int Pc;
        public int Kc;
        public int Threads;
    }

    private struct BatchJob
    {
        public Problem Problem;
        public nint StrideA;
        public nint StrideB;
        public nint StrideC;
    }

    private static void BatchBody(void* context, int index)
    {
        var job = (BatchJob*)context;
        Problem p = job->Problem;
        p.A += index * job->StrideA;
        p.B += index * job->StrideB;
        p.C += index * job->StrideC;
        Compute(ref p, 0, p.M, 0, p.N);
    }

    private static void PartBody(void* context, int index)
    {
        var p = (Problem*)context;
        if (p->SplitColumns)
        {
            int nr = Nr;
            var (start, end) = ParallelRange.Chunk((p->N + nr - 1) / nr, p->Parts, index);
            Compute(ref *p, 0, p->M, start * nr, Math.Min(p->N, end * nr));
        }
        else
        {
            var (start, end) = ParallelRange.Chunk((p->M + MR - 1) / MR, p->Parts, index);
            Compute(ref *p, start * MR, Math.Min(p->M, end * MR), 0, p->N);
        }
    }

    /// <summary>Runs a whole problem, splitting it over the pool when it is large enough.</summary>
    private static void Run(ref Problem p, WorkerPool? pool)
    {
        if (p.M == 0 || p.N == 0)
        {
            return;
        }

        int threads = pool?.ThreadCount ?? 1;
        switch (ChooseSplit(ref p, threads))
        {
            case Split.Blocks:
                RunBlocks(ref p, pool!, threads);
                break;
            case Split.Columns:
            case Split.Rows:
                fixed (Problem* context = &p)
                {
                    pool!.Run(p.Parts, &PartBody, context);
                }

                break;
            default:
                Compute(ref p, 0, p.M, 0, p.N);
                break;
        }
    }

    /// <summary>How <see cref="Run"/> spreads a problem over <paramref name="threads"/> threads (for tests).</summary>
    internal static Split SplitFor(int m, int n, int k, bool transposeA, bool transposeB, int threads)
    {
        var p = new Problem
        {
            TransA = transposeA, TransB = transposeB, M = m, N = n, K = k,
        };
        return ChooseSplit(ref p, threads);
    }

    /// <summary>Chooses the split, setting <see cref="Problem.SplitColumns"/> and <see cref="Problem.Parts"/> for the single split.</summary>
    private static Split ChooseSplit(ref Problem p, int threads)
    {
        long work = (long)p.M * p.N * p.K;
        if (threads == 1 || work <= ParallelThreshold)
        {
            return Split.None;
        }

        int nr = Nr;
        int rowUnits = (p.M + MR - 1) / MR, colUnits = (p.N + nr - 1) / nr;
        if (p.K > 0 && PacksB(ref p) && (long)p.M * p.K >= MinBlockSplitA && rowUnits >= 4 * MinStripsPerPart * threads
            && (long)p.M * Math.Min(p.N, NC) * Math.Min(p.K, KC) >= MinBlockWork)
        {
            return Split.Blocks;
        }

        // A small A, few rows or little work per block: C is split once and each part packs its own
        // panels. Splitting columns costs nothing extra when A is read in place (row-major A) and the
        // parts are wide enough to reuse each strip of A over several panels; otherwise rows are split
        // and every part packs all of B (k·n, small next to the m·n·k multiply). With a transposed A
        // the split duplicates the packing of the smaller side.
        p.SplitColumns = p.TransA
            ? p.N > p.M && colUnits >= threads
            : colUnits >= 4 * threads || rowUnits < threads;
        int units = p.SplitColumns ? colUnits : rowUnits;
        // Up to four parts per thread, handed out dynamically, so a thread the OS delays does not
        // hold up the call; a multiple of the thread count so an idle machine stays balanced. A row
        // split repacks B per part, so its parts keep at least 256 rows.
        int perThread = p.SplitColumns ? units / (threads * 4) : p.M / (threads * 256);
        p.Parts = Math.Min(units, threads * Math.Clamp(perThread, 1, 4));
        return p.Parts <= 1 ? Split.None : p.SplitColumns ? Split.Columns : Split.Rows;
    }

    /// <summary>
    /// Large problems, block by block as on one thread: for each <c>KC×NC</c> block of op(B), the rows
    /// of C are cut into parts the pool hands out dynamically; a thread packs the block into its own
    /// buffer before its first part of that block and reuses it for the rest. Each thread reads only
    /// its own rows of A and C, each strip of A serves the block's full width, and nothing is packed
    /// more than once per thread. (Splitting columns instead makes every thread stream all of A at the
    /// same time, each strip over only its part's few panels; measured, that scaled 1.1–1.6× on two
    /// threads once A left L2, depending on the host, where this split holds 1.9–2.0×.) The price is
    /// one pool round trip per block, small next to its at least <see cref="MinBlockWork"/> multiply-adds.
    /// </summary>
    private static void RunBlocks(ref Problem p, WorkerPool pool, int threads)
    {
        int rowParts = GuidedParts((p.M + MR - 1) / MR, threads);
        p.Threads = threads;
        fixed (Problem* context = &p)
        {
            for (int jc = 0; jc < p.N; jc += NC)
            {
                context->Jc = jc;
                context->Nc = Math.Min(NC, p.N - jc);
                for (int pc = 0; pc < p.K; pc += KC)
                {
                    context->Pc = pc;
                    context->Kc = Math.Min(KC, p.K - pc);
                    context->Block = Interlocked.Increment(ref s_lastBlock);
                    pool.Run(rowParts, &RowsBody, context);
                }
            }
        }
    }

    /// <summary>Multiplies part <paramref name="index"/> of the rows of C by the current block.</summary>
    private static void RowsBody(void* context, int index)
    {
        var p = (Problem*)context;
        var (start, end) = GuidedPart((p->M + MR - 1) / MR, p->Threads, index);
        Buffers buffers = Buffers.ForThisThread();
        if (t_packedBlock != p->Block)
        {
            PackB(p->B, p->Ldb, p->TransB, p->Pc, p->Kc, p->Jc, p->Nc, buffers.PackedB);
            t_packedBlock = p->Block;
        }

        ComputeBlock(ref *p, buffers, buffers.PackedB, start * MR, Math.Min(p->M, end * MR), p->Jc, p->Nc, p->Pc, p->Kc);
    }

    /// <summary>
    /// Guided cut of <paramref name="total"/> strips: each part takes <c>1/(2·threads)</c> of what is
    /// left, at least <see cref="MinStripsPerPart"/>. Large first parts keep a thread on consecutive
    /// rows; small last parts let the threads finish together when one started late or ran slower.
    /// </summary>
    private static int GuidedParts(int total, int threads)
    {
        int parts = 0;
        for (int start = 0; start < total; parts++)
        {
            start += Math.Max(MinStripsPerPart, (total - start) / (2 * threads));
        }

        return parts;
    }

    /// <summary>The strips <c>[start, end)</c> of part <paramref name="index"/> of <see cref="GuidedParts"/>.</summary>
    private static (int Start, int End) GuidedPart(int total, int threads, int index)
    {
        int start = 0, size = Math.Max(MinStripsPerPart, total / (2 * threads));
        for (int i = 0; i < index; i++)
        {
            start += size;
            size = Math.Max(MinStripsPerPart, (total - start) / (2 * threads));
        }

        return (start, Math.Min(total, start + size));
    }

    /// <summary>Computes the block <c>C[i0..i1, j0..j1]</c> of a problem on the calling thread.</summary>
    private static void Compute(ref Problem p, int i0, int i1, int j0, int j1)
    {
        if (p.K == 0)
        {
            ScaleOnly(ref p, i0, i1, j0, j1);
            return;
        }

        Buffers buffers = Buffers.ForThisThread();
        bool packB = PacksB(ref p);
        for (int jc = j0; jc < j1; jc += NC)
        {
            int nc = Math.Min(NC, j1 - jc);
            for (int pc = 0; pc < p.K; pc += KC)
            {
                int kc = Math.Min(KC, p.K - pc);
                if (packB)
                {
                    t_packedBlock = 0; // the buffer no longer holds a RunBlocks block
                    PackB(p.B, p.Ldb, p.TransB, pc, kc, jc, nc, buffers.PackedB);
                }

                ComputeBlock(ref p, buffers, packB ? buffers.PackedB : null, i0, i1, jc, nc, pc, kc);
            }
        }
    }

    /// <summary>
    /// Whether a problem packs B: small problems read a row-major B in place, since packing costs
    /// k·n, about as much as their multiply. Decided on the whole problem, so every part agrees.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool PacksB(ref Problem p) => p.TransB || p.M > SmallRows || p.K > KC || p.N > NC;

    /// <summary>
    /// Adds the product of rows <c>[i0, i1)</c> of <c>op(A)[:, pc..pc+kc]</c> and the block
    /// <c>op(B)[pc..pc+kc, jc..jc+nc]</c> into C (the block's first k slice applies beta, the last
    /// one the epilogue). The block is read from <paramref name="packedB"/> (panels of
    /// <c>kc×Nr</c>, as <see cref="PackB"/> writes them), or in place when that is null.
    /// </summary>
    private static void ComputeBlock(ref Problem p, Buffers buffers, float* packedB, int i0, int i1, int jc, int nc, int pc, int kc)
    {
        int nr = Nr;
        nint lda = p.Lda, ldb = p.Ldb, ldc = p.Ldc;
        // Row-major A is read in place (each row is contiguous in k); a transposed A is packed.
        bool packA = p.TransA;
        bool last = pc + kc == p.K;
        float beta = pc == 0 ? p.Beta : 1f;
        for (int ir = i0; ir < i1; ir += MR)
        {
            int mr = Math.Min(MR, i1 - ir);
            float* aPanel;
            nint ars, acs;
            if (packA || mr < MR)
            {
                PackA(p.A, lda, p.TransA, ir, mr, pc, kc, buffers.PackedA);
                aPanel = buffers.PackedA;
                ars = 1;
                acs = MR;
            }
            else
            {
                aPanel = p.A + ir * lda + pc;
                ars = lda;
                acs = 1;
            }

            for (int jr = 0; jr < nc; jr += nr)
            {
                int ncr = Math.Min(nr, nc - jr);

                // A last panel at most 16 wide runs the 16-wide kernel instead of wasting half of
                // the 32-wide one. Every element still gets the same FMA sequence, so the same bits.
                bool narrow = Avx512F.IsSupported && Fma.IsSupported && ncr <= 16;
                int width = narrow ? 16 : nr;
                float* bPanel;
                nint bs;
                if (packedB != null)
                {
                    bPanel = packedB + (nint)jr * kc;
                    bs = nr;
                }
                else if (ncr == width)
                {
                    bPanel = p.B + pc * ldb + jc + jr;
                    bs = ldb;
                }
                else
                {
                    PackB(p.B, ldb, false, pc, kc, jc + jr, ncr, buffers.EdgeB);
                    bPanel = buffers.EdgeB;
                    bs = nr;
                }

                float* cTile = p.C + ir * ldc + jc + jr;
                if (mr == MR && ncr == width)
                {
                    if (narrow)
                    {
                        Kernel6x16(aPanel, ars, acs, bPanel, bs, kc, cTile, ldc, p.Alpha, beta);
                    }
                    else
                    {
                        Kernel(aPanel, ars, acs, bPanel, bs, kc, cTile, ldc, p.Alpha, beta);
                    }
                }
                else
                {
                    if (narrow)
                    {
                        Kernel6x16(aPanel, ars, acs, bPanel, bs, kc, buffers.Tile, nr, 1f, 0f);
                    }
                    else
                    {
                        Kernel(aPanel, ars, acs, bPanel, bs, kc, buffers.Tile, nr, 1f, 0f);
                    }

                    CopyTile(buffers.Tile, nr, cTile, ldc, mr, ncr, p.Alpha, beta);
                }

                if (last && p.HasEpilogue)
                {
                    Epilogue(ref p, ir, mr, jc + jr, ncr);
                }
            }
        }
    }

    /// <summary><c>k = 0</c>: the product is empty, so <c>C = beta · C</c> (C not read when beta is 0).</summary>
    private static void ScaleOnly(ref Problem p, int i0, int i1, int j0, int j1)
    {
        for (int i = i0; i < i1; i++)
        {
            float* row = p.C + i * p.Ldc;
            for (int j = j0; j < j1; j++)
            {
                row[j] = p.Beta == 0f ? 0f : p.Beta * row[j];
            }

            if (p.HasEpilogue)
            {
                Epilogue(ref p, i, 1, j0, j1 - j0);
            }
        }
    }

    /// <summary>Bias and activation on a finished tile of C (contiguous, so the pre-activation row stride is N).</summary>
    private static void Epilogue(ref Problem p, int i0, int rows, int j0, int cols)
    {
        for (int i = i0; i < i0 + rows; i++)
        {
            float* row = p.C + i * p.Ldc + j0;
            float* pre = p.Pre == null ? null : p.Pre + (nint)i * p.N + j0;
            LinearActivation.Apply(row, pre, p.Bias == null ? null : p.Bias + j0, cols, p.Activation);
        }
    }

    /// <summary>
    /// <c>c = alpha · tile + beta · c</c> for a partial tile; the same operations, in the same order,
    /// as the micro-kernel's store, so edge and interior elements round alike.
    /// </summary>
    private static void CopyTile(float* tile, nint ldt, float* c, nint ldc, int rows, int cols, float alpha, float beta)
    {
        for (int i = 0; i < rows; i++)
        {
            float* t = tile + i * ldt;
            float* row = c + i * ldc;
            if (beta == 0f)
            {
                for (int j = 0; j < cols; j++)
                {
                    row[j] = alpha * t[j];
                }
            }
            else if (Fma.IsSupported || Avx512F.IsSupported)
            {
                for (int j = 0; j < cols; j++)
                {
                    row[j] = MathF.FusedMultiplyAdd(beta, row[j], alpha * t[j]);
                }
            }
            else
            {
                for (int j = 0; j < cols; j++)
                {
                    row[j] = (beta * row[j]) + (alpha * t[j]);
                }
            }
        }
    }

    /// <summary>
    /// Packs <c>op(A)[i0..i0+rows, p0..p0+kc]</c> as <c>kc</c> groups of <see cref="MR"/> values
    /// (the column of the strip at each k), zero-padding rows past <paramref name="rows"/>.
    /// </summary>
    private static void PackA(float* a, nint lda, bool transposed, int i0, int rows, int p0, int kc, float* dst)
    {
        if (transposed)
        {
            // op(A)(i, p) = a[p·lda + i]: each k step is MR consecutive floats.
            float* src = a + p0 * lda + i0;
            if (rows == MR)
            {
                for (int p = 0; p < kc; p++, src += lda, dst += MR)
                {
                    dst[0] = src[0];
                    dst[1] = src[1];
                    dst[2] = src[2];
                    dst[3] = src[3];
                    dst[4] = src[4];
                    dst[5] = src[5];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++, src += lda, dst += MR)
                {
                    int i = 0;
                    for (; i < rows; i++)
                    {
                        dst[i] = src[i];
                    }

                    for (; i < MR; i++)
                    {
                        dst[i] = 0f;
                    }
                }
            }
        }
        else
        {
            // op(A)(i, p) = a[i·lda + p]: read each row along k, write with stride MR.
            for (int i = 0; i < MR; i++)
            {
                float* d = dst + i;
                if (i < rows)
                {
                    float* src = a + (i0 + i) * lda + p0;
                    for (int p = 0; p < kc; p++)
                    {
                        d[p * MR] = src[p];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        d[p * MR] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs <c>op(B)[p0..p0+kc, j0..j0+cols]</c> into <see cref="Nr"/>-wide panels, each <c>kc</c> rows
    /// of <see cref="Nr"/> contiguous floats, zero-padding the last panel's missing columns.
    /// </summary>
    private static void PackB(float* b, nint ldb, bool transposed, int p0, int kc, int j0, int cols, float* dst)
    {
        int nr = Nr;
        for (int jr = 0; jr < cols; jr += nr, dst += (nint)kc * nr)
        {
            int width = Math.Min(nr, cols - jr);
            if (!transposed)
            {
                // op(B)(p, j) = b[p·ldb + j]: rows are contiguous.
                float* src = b + p0 * ldb + j0 + jr;
                if (width == nr)
                {
                    for (int p = 0; p < kc; p++, src += ldb)
                    {
                        CopyRow(src, dst + (nint)p * nr);
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += ldb)
                    {
                        float* d = dst + (nint)p * nr;
                        int j = 0;
                        for (; j < width; j++)
                        {
                            d[j] = src[j];
                        }

                        for (; j < nr; j++)
                        {
                            d[j] = 0f;
                        }
                    }
                }
            }
            else
            {
                // op(B)(p, j) = b[j·ldb + p]: read each stored row along k, write with stride nr.
                if (width == nr)
                {
                    TransposePanel(b + (j0 + jr) * ldb + p0, ldb, kc, dst, nr);
                    continue;
                }

                for (int j = 0; j < nr; j++)
                {
                    float* d = dst + j;
                    if (j < width)
                    {
                        float* src = b + (j0 + jr + j) * ldb + p0;
                        for (int p = 0; p < kc; p++)
                        {
                            d[(nint)p * nr] = src[p];
                        }
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++)
                        {
                            d[(nint)p * nr] = 0f;
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* src, float* dst)
    {
        if (Avx512F.IsSupported)
        {
            Vector512.Store(Vector512.Load(src), dst);
            Vector512.Store(Vector512.Load(src + 16), dst + 16);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256.Store(Vector256.Load(src), dst);
            Vector256.Store(Vector256.Load(src + 8), dst + 8);
        }
        else
        {
            for (int j = 0; j < 16; j++)
            {
                dst[j] = src[j];
            }
        }
    }

    /// <summary>
    /// Packs <paramref name="nr"/> stored rows of a transposed B (each contiguous along k) into one panel,
    /// four rows at a time: reads stay sequential per row and each k step writes four adjacent floats.
    /// </summary>
    private static void TransposePanel(float* src, nint ldb, int kc, float* dst, int nr)
    {
        for (int j = 0; j < nr; j += 4)
        {
            float* s0 = src + j * ldb, s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb;
            float* d = dst + j;
            for (int p = 0; p < kc; p++, d += nr)
            {
                d[0] = s0[p];
                d[1] = s1[p];
                d[2] = s2[p];
                d[3] = s3[p];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(float* a, nint ars, nint acs, float* b, nint bs, int kc, float* c, nint ldc, float alpha, float beta)
    {
        if (Avx512F.IsSupported)
        {
            Kernel6x32(a, ars, acs, b, bs, kc, c, ldc, alpha, beta);
        }
        else if (Fma.IsSupported)
        {
            Kernel6x16(a, ars, acs, b, bs, kc, c, ldc, alpha, beta);
        }
        else
        {
            KernelScalar(a, ars, acs, b, bs, kc, c, ldc, alpha, beta);
        }
    }

    /// <summary>
    /// 6×32 tile with AVX-512: per k step two 16-float loads of B, six broadcasts of A and twelve FMAs
    /// into twelve accumulators (enough independent chains to cover FMA latency).
    /// <c>A(i, p) = a[i·ars + p·acs]</c>; B row <c>p</c> starts at <c>b + p·bs</c>.
    /// </summary>
    private static void Kernel6x32(float* a, nint ars, nint acs, float* b, nint bs, int kc, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint r2 = ars * 2, r3 = ars * 3, r4 = ars * 4, r5 = ars * 5;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var ai = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(ai, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(a[ars]);
            c10 = Vector512.FusedMultiplyAdd(ai, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(a[r2]);
            c20 = Vector512.FusedMultiplyAdd(ai, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(a[r3]);
            c30 = Vector512.FusedMultiplyAdd(ai, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(a[r4]);
            c40 = Vector512.FusedMultiplyAdd(ai, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(a[r5]);
            c50 = Vector512.FusedMultiplyAdd(ai, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(ai, b1, c51);
            a += acs;
            b += bs;
        }

        var va = Vector512.Create(alpha);
        if (beta == 0f)
        {
            Vector512.Store(c00 * va, c);
            Vector512.Store(c01 * va, c + 16);
            c += ldc;
            Vector512.Store(c10 * va, c);
            Vector512.Store(c11 * va, c + 16);
            c += ldc;
            Vector512.Store(c20 * va, c);
            Vector512.Store(c21 * va, c + 16);
            c += ldc;
            Vector512.Store(c30 * va, c);
            Vector512.Store(c31 * va, c + 16);
            c += ldc;
            Vector512.Store(c40 * va, c);
            Vector512.Store(c41 * va, c + 16);
            c += ldc;
            Vector512.Store(c50 * va, c);
            Vector512.Store(c51 * va, c + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            Update512(c, c00, c01, va, vb);
            Update512(c + ldc, c10, c11, va, vb);
            Update512(c + ldc * 2, c20, c21, va, vb);
            Update512(c + ldc * 3, c30, c31, va, vb);
            Update512(c + ldc * 4, c40, c41, va, vb);
            Update512(c + ldc * 5, c50, c51, va, vb);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update512(float* c, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha, Vector512<float> beta)
    {
        Vector512.Store(Vector512.FusedMultiplyAdd(beta, Vector512.Load(c), lo * alpha), c);
        Vector512.Store(Vector512.FusedMultiplyAdd(beta, Vector512.Load(c + 16), hi * alpha), c + 16);
    }

    /// <summary>6×16 tile with AVX2+FMA: the same scheme as <see cref="Kernel6x32"/> on 8-float vectors.</summary>
    private static void Kernel6x16(float* a, nint ars, nint acs, float* b, nint bs, int kc, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint r2 = ars * 2, r3 = ars * 3, r4 = ars * 4, r5 = ars * 5;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var ai = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(ai, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(a[ars]);
            c10 = Vector256.FusedMultiplyAdd(ai, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(a[r2]);
            c20 = Vector256.FusedMultiplyAdd(ai, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(a[r3]);
            c30 = Vector256.FusedMultiplyAdd(ai, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector256.Create(a[r4]);
            c40 = Vector256.FusedMultiplyAdd(ai, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector256.Create(a[r5]);
            c50 = Vector256.FusedMultiplyAdd(ai, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(ai, b1, c51);
            a += acs;
            b += bs;
        }

        var va = Vector256.Create(alpha);
        if (beta == 0f)
        {
            Vector256.Store(c00 * va, c);
            Vector256.Store(c01 * va, c + 8);
            c += ldc;
            Vector256.Store(c10 * va, c);
            Vector256.Store(c11 * va, c + 8);
            c += ldc;
            Vector256.Store(c20 * va, c);
            Vector256.Store(c21 * va, c + 8);
            c += ldc;
            Vector256.Store(c30 * va, c);
            Vector256.Store(c31 * va, c + 8);
            c += ldc;
            Vector256.Store(c40 * va, c);
            Vector256.Store(c41 * va, c + 8);
            c += ldc;
            Vector256.Store(c50 * va, c);
            Vector256.Store(c51 * va, c + 8);
        }
        else
        {
            var vb = Vector256.Create(beta);
            Update256(c, c00, c01, va, vb);
            Update256(c + ldc, c10, c11, va, vb);
            Update256(c + ldc * 2, c20, c21, va, vb);
            Update256(c + ldc * 3, c30, c31, va, vb);
            Update256(c + ldc * 4, c40, c41, va, vb);
            Update256(c + ldc * 5, c50, c51, va, vb);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update256(float* c, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha, Vector256<float> beta)
    {
        Vector256.Store(Vector256.FusedMultiplyAdd(beta, Vector256.Load(c), lo * alpha), c);
        Vector256.Store(Vector256.FusedMultiplyAdd(beta, Vector256.Load(c + 8), hi * alpha), c + 8);
    }

    /// <summary>Portable 6×16 tile without SIMD intrinsics; the same operation order as <see cref="CopyTile"/>.</summary>
    private static void KernelScalar(float* a, nint ars, nint acs, float* b, nint bs, int kc, float* c, nint ldc, float alpha, float beta)
    {
        const int Width = 16;
        float* acc = stackalloc float[MR * Width];
        new Span<float>(acc, MR * Width).Clear();
        for (int p = 0; p < kc; p++, a += acs, b += bs)
        {
            for (int i = 0; i < MR; i++)
            {
                float ai = a[i * ars];
                float* row = acc + i * Width;
                for (int j = 0; j < Width; j++)
                {
                    row[j] += ai * b[j];
                }
            }
        }

        CopyTile(acc, Width, c, ldc, MR, Width, alpha, beta);
    }

    /// <summary>How a call is spread over a pool.</summary>
    internal enum Split
    {
        /// <summary>On the calling thread.</summary>
        None,

        /// <summary>C cut once by columns, each part packing its own panels of B.</summary>
        Columns,

        /// <summary>C cut once by rows, each part packing all of B.</summary>
        Rows,

        /// <summary>Rows of C cut anew for each <c>KC×NC</c> block of B (<see cref="RunBlocks"/>).</summary>
        Blocks,
    }

    /// <summary>Per-thread packing buffers: native, 64-byte aligned, allocated on a thread's first call.</summary>
    private readonly struct Buffers
    {
        private const int PackedBLength = KC * NC;
        private const int PackedALength = KC * MR;
        private const int EdgeBLength = KC * MaxNr;
        private const int TileLength = MR * MaxNr;

        [ThreadStatic]
        private static float* t_memory;

        private readonly float* _memory;

        private Buffers(float* memory) => _memory = memory;

        public float* PackedB => _memory;

        public float* PackedA => _memory + PackedBLength;

        public float* EdgeB => _memory + PackedBLength + PackedALength;

        public float* Tile => _memory + PackedBLength + PackedALength + EdgeBLength;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Buffers ForThisThread()
        {
            float* memory = t_memory;
            if (memory == null)
            {
                memory = Allocate();
            }

            return new Buffers(memory);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static float* Allocate()
        {
            // Freed only with the process: a thread that ran a multiply keeps its ~0.6 MB for the next one.
            nuint bytes = (nuint)(PackedBLength + PackedALength + EdgeBLength + TileLength) * sizeof(float);
            t_memory = (float*)NativeMemory.AlignedAlloc(bytes, 64);
            return t_memory;
        }
    }
}
