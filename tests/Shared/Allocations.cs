using System;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Support;

/// <summary>
/// Counts the bytes that the code under test allocates: on the calling thread, and on the worker threads of any
/// <see cref="WorkerPool"/> while they run loops that the calling thread started. Allocations made meanwhile by
/// unrelated threads (the test runner, other tests running in parallel, the runtime's background JIT and timers)
/// are not counted, so an allocation test cannot fail because of what else the process is doing.
/// </summary>
/// <remarks>
/// Shared by every test project (runtime, generator, examples) as a linked source file.
/// </remarks>
public static class Allocations
{
    /// <summary>
    /// Runs <paramref name="action"/> 40 times to warm up (JIT, lazy statics, first use of each pool worker), then
    /// measures <paramref name="windows"/> windows of <paramref name="repeats"/> calls each and returns the smallest
    /// window's count of bytes allocated by the calling thread and by the pool workers it used.
    /// </summary>
    /// <remarks>
    /// Why the minimum: one-time work that the warm-up did not reach (a lazily created object on a rarely taken
    /// path) should not count as a per-call allocation. An allocation the code under test makes on every call
    /// shows in every window, so the minimum is still non-zero.
    /// </remarks>
    public static long Measure(Action action, int repeats = 5, int windows = 20)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repeats);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windows);
        for (int i = 0; i < 40; i++)
        {
            action();
        }

        long smallest = long.MaxValue;
        for (int w = 0; w < windows; w++)
        {
            long before = CountedBytes();
            for (int i = 0; i < repeats; i++)
            {
                action();
            }

            smallest = Math.Min(smallest, CountedBytes() - before);
        }

        return smallest;
    }

    /// <summary>Bytes allocated so far by this thread and by pool workers on its behalf.</summary>
    public static long CountedBytes() =>
        GC.GetAllocatedBytesForCurrentThread() + WorkerPool.WorkerAllocatedBytesForCurrentThread;
}
