using System;
using System.Threading;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Threading;

public sealed unsafe class WorkerPoolTests
{
    private struct Squares
    {
        public int* Output;
        public int* Threads;
        public int SpinPerIndex;
    }

    private static void Square(void* context, int index)
    {
        var job = (Squares*)context;
        if (job->SpinPerIndex > 0)
        {
            Thread.SpinWait(job->SpinPerIndex);
        }

        job->Output[index] = index * index;
        job->Threads[index] = Environment.CurrentManagedThreadId;
    }

    private static void Throw(void* context, int index)
    {
        if (index == 7)
        {
            throw new InvalidOperationException("index 7 failed");
        }
    }

    private static void NestedRun(void* context, int index)
    {
        // A loop started inside a loop runs inline instead of deadlocking.
        var pool = (WorkerPool)GCHandleTarget(context);
        int* values = stackalloc int[4];
        int* threads = stackalloc int[4];
        var inner = new Squares { Output = values, Threads = threads };
        pool.Run(4, &Square, &inner);
        Assert.Equal(9, values[3]);
    }

    private static object GCHandleTarget(void* context) => System.Runtime.InteropServices.GCHandle.FromIntPtr((nint)context).Target!;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 100)]
    [InlineData(2, 1)]
    [InlineData(2, 1000)]
    [InlineData(4, 37)]
    public void Run_VisitsEveryIndexExactlyOnce(int threads, int count)
    {
        using var pool = new WorkerPool(threads);
        var output = new int[count];
        var ids = new int[count];
        Array.Fill(output, -1);
        fixed (int* o = output, t = ids)
        {
            var job = new Squares { Output = o, Threads = t };
            for (int repeat = 0; repeat < 20; repeat++)
            {
                pool.Run(count, &Square, &job);
            }
        }

        for (int i = 0; i < count; i++)
        {
            Assert.Equal(i * i, output[i]);
        }
    }

    [Fact]
    public void Run_WithTwoThreads_UsesMoreThanOneThread()
    {
        using var pool = new WorkerPool(2);
        var output = new int[64];
        var ids = new int[64];
        bool sawTwo = false;
        fixed (int* o = output, t = ids)
        {
            // Each index spins long enough (~10 µs) that the caller cannot finish all 64 before a worker wakes.
            var job = new Squares { Output = o, Threads = t, SpinPerIndex = 2000 };
            for (int repeat = 0; repeat < 200 && !sawTwo; repeat++)
            {
                pool.Run(output.Length, &Square, &job);
                sawTwo = Array.Exists(ids, id => id != ids[0]);
            }
        }

        Assert.True(sawTwo, "every index ran on one thread in 200 loops of 64 indices");
    }

    [Fact]
    public void Run_RethrowsTheBodysException()
    {
        using var pool = new WorkerPool(2);
        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(100, &Throw, null));
        Assert.Equal("index 7 failed", error.Message);

        // The pool is still usable afterwards.
        var output = new int[10];
        var ids = new int[10];
        fixed (int* o = output, t = ids)
        {
            var job = new Squares { Output = o, Threads = t };
            pool.Run(10, &Square, &job);
        }

        Assert.Equal(81, output[9]);
    }

    [Fact]
    public void Run_Nested_RunsInline()
    {
        using var pool = new WorkerPool(2);
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(pool);
        try
        {
            pool.Run(8, &NestedRun, (void*)System.Runtime.InteropServices.GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
        }
    }

    [Fact]
    public void Run_AllocatesNothing()
    {
        using var pool = new WorkerPool(2);
        var output = new int[1000];
        var ids = new int[1000];
        long bytes;
        fixed (int* o = output, t = ids)
        {
            var job = new Squares { Output = o, Threads = t };
            var jobPointer = &job;
            bytes = Allocations.Measure(() => pool.Run(1000, &Square, jobPointer), repeats: 100);
        }

        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Constructor_RejectsZeroThreads()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));
        Assert.Contains("threadCount", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParallelRange_CoversTheRangeWithoutGaps()
    {
        for (int total = 0; total < 50; total++)
        {
            for (int parts = 1; parts < 9; parts++)
            {
                int expectedStart = 0;
                for (int p = 0; p < parts; p++)
                {
                    var (start, end) = ParallelRange.Chunk(total, parts, p);
                    Assert.Equal(expectedStart, start);
                    Assert.InRange(end - start, total / parts, total / parts + 1);
                    expectedStart = end;
                }

                Assert.Equal(total, expectedStart);
            }
        }
    }

    [Fact]
    public void Run_ManyConcurrentCallers_AllComplete()
    {
        using var pool = new WorkerPool(2);
        var threads = new Thread[3];
        var failures = 0;
        for (int k = 0; k < threads.Length; k++)
        {
            threads[k] = new Thread(() =>
            {
                var output = new int[257];
                var ids = new int[257];
                fixed (int* o = output, t = ids)
                {
                    var job = new Squares { Output = o, Threads = t };
                    for (int r = 0; r < 200; r++)
                    {
                        pool.Run(output.Length, &Square, &job);
                        if (output[256] != 256 * 256)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                }
            });
            threads[k].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        Assert.Equal(0, failures);
    }
}
