using System;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Splits a row-wise kernel into contiguous row ranges over a <see cref="WorkerPool"/>. Each range
/// writes only its own rows, so results do not depend on scheduling. Small problems run inline.
/// </summary>
internal static unsafe class RowParallel
{
    /// <summary>Below this many elements a loop runs on the calling thread: waking workers costs more.</summary>
    internal const int MinimumParallelElements = 16 * 1024;

    private struct Job
    {
        public delegate*<void*, int, int, void> Body;
        public void* Context;
        public int Rows;
        public int Parts;
    }

    /// <summary>Runs <c>body(context, start, end)</c> over row ranges covering <c>[0, rows)</c>.</summary>
    public static void Run(WorkerPool? pool, int rows, long elements, delegate*<void*, int, int, void> body, void* context)
    {
        int parts = pool is null ? 1 : (int)Math.Min(pool.ThreadCount, Math.Min(rows, elements / MinimumParallelElements));
        if (parts <= 1)
        {
            body(context, 0, rows);
            return;
        }

        var job = new Job { Body = body, Context = context, Rows = rows, Parts = parts };
        pool!.Run(parts, &RunPart, &job);
    }

    private static void RunPart(void* context, int part)
    {
        var job = (Job*)context;
        var (start, end) = ParallelRange.Chunk(job->Rows, job->Parts, part);
        job->Body(job->Context, start, end);
    }
}
