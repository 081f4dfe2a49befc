using System;

namespace ModelDsl.Threading;

/// <summary>Clears a float buffer (a trainer's gradients, its activation gradients) in fixed chunks spread over a pool.</summary>
public static unsafe class ParallelClear
{
    /// <summary>Floats per chunk (256 KiB): fixed, so no chunk depends on the thread count; below two chunks the caller clears alone.</summary>
    internal const int ChunkLength = 65536;

    /// <summary>Sets every element of <paramref name="buffer"/> to zero; with a pool of two or more threads, in chunks over the pool.</summary>
    /// <param name="buffer">The floats to clear.</param>
    /// <param name="pool">Threads to use; null clears on the calling thread.</param>
    public static void Clear(Span<float> buffer, WorkerPool? pool)
    {
        int chunks = (int)(((long)buffer.Length + ChunkLength - 1) / ChunkLength);
        if (pool is null || pool.ThreadCount == 1 || chunks < 2)
        {
            buffer.Clear();
            return;
        }

        fixed (float* start = buffer)
        {
            var job = new Job { Start = start, Length = buffer.Length };
            pool.Run(chunks, &ClearChunk, &job);
        }
    }

    private static void ClearChunk(void* context, int chunk)
    {
        var job = (Job*)context;
        int start = chunk * ChunkLength;
        new Span<float>(job->Start + start, Math.Min(ChunkLength, job->Length - start)).Clear();
    }

    private struct Job
    {
        public float* Start;
        public int Length;
    }
}
