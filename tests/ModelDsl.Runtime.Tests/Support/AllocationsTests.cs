using System;
using System.Threading;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Support;

/// <summary>The allocation counter sees the code under test, wherever a pool runs it, and nothing else.</summary>
public sealed unsafe class AllocationsTests
{
    private const int ChunkBytes = 1024;

    private static object? s_sink;

    [Fact]
    public void Measure_SeesAnAllocationOnTheCallingThread()
    {
        // The counter must be able to fail: an action that allocates 1 KB per call is reported.
        long bytes = Allocations.Measure(() => s_sink = new byte[ChunkBytes]);
        Assert.True(bytes >= 5 * ChunkBytes, $"measured {bytes} bytes for five 1 KB allocations");
        GC.KeepAlive(s_sink);
    }

    [Fact]
    public void Measure_SeesAnAllocationOnAPoolWorker()
    {
        using var pool = new WorkerPool(2);
        var meeting = new Meeting();
        Meeting* m = &meeting;
        long workerBefore = WorkerPool.WorkerAllocatedBytesForCurrentThread;

        // Each loop has two indices that wait for each other, so one of them runs on the pool's worker thread.
        long bytes = Allocations.Measure(() =>
        {
            m->Started = 0;
            pool.Run(2, &AllocateAfterMeeting, m);
        });

        long workerBytes = WorkerPool.WorkerAllocatedBytesForCurrentThread - workerBefore;
        Assert.True(bytes >= 5 * 2 * ChunkBytes, $"measured {bytes} bytes for ten 1 KB allocations, half of them on a worker");
        Assert.True(workerBytes >= 140 * ChunkBytes, $"the worker's 140 allocations of 1 KB were counted as {workerBytes} bytes");
    }

    [Fact]
    public void Measure_IgnoresAnUnrelatedThreadAllocatingAtTheSameTime()
    {
        using var stop = new ManualResetEventSlim();
        using var running = new ManualResetEventSlim();
        long allocatedElsewhere = 0;
        var other = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            running.Set();
            while (!stop.IsSet)
            {
                s_sink = new byte[ChunkBytes];
            }

            allocatedElsewhere = GC.GetAllocatedBytesForCurrentThread() - before;
        })
        { IsBackground = true };
        other.Start();
        running.Wait();

        using var pool = new WorkerPool(2);
        var values = new float[4096];
        long bytes;
        fixed (float* v = values)
        {
            var job = new Scale { Values = v, Length = values.Length };
            var jobPointer = &job;
            bytes = Allocations.Measure(() => pool.Run(8, &ScaleChunk, jobPointer));
        }

        stop.Set();
        other.Join();
        Assert.Equal(0, bytes);
        Assert.True(allocatedElsewhere > 0, "the unrelated thread allocated while the measurement ran");
    }

    private static void AllocateAfterMeeting(void* context, int index)
    {
        var meeting = (Meeting*)context;
        Interlocked.Increment(ref meeting->Started);
        var spin = new SpinWait();
        while (Volatile.Read(ref meeting->Started) < 2)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        s_sink = new byte[ChunkBytes];
    }

    private static void ScaleChunk(void* context, int index)
    {
        var job = (Scale*)context;
        int chunk = job->Length / 8;
        for (int i = index * chunk; i < (index + 1) * chunk; i++)
        {
            job->Values[i] *= 0.5f;
        }
    }

    private struct Meeting
    {
        public int Started;
    }

    private struct Scale
    {
        public float* Values;
        public int Length;
    }
}
