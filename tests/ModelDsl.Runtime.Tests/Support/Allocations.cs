using System;

namespace ModelDsl.Tests.Support;

/// <summary>Counts bytes allocated on every thread while an action runs.</summary>
public static class Allocations
{
    /// <summary>
    /// Runs <paramref name="action"/> 40 times to warm up (JIT, lazy statics, thread start), then
    /// measures <paramref name="windows"/> windows of <paramref name="repeats"/> calls each with
    /// <c>GC.GetTotalAllocatedBytes(precise: true)</c>, which counts all threads, and returns the
    /// smallest window's count.
    /// </summary>
    /// <remarks>
    /// Why the minimum: the test host's own threads (result reporting) allocate now and then
    /// while a window is open. An allocation made by the code under test happens on every call,
    /// so it shows in every window and the minimum is still non-zero; the host's sporadic
    /// allocations do not survive the minimum.
    /// </remarks>
    public static long Measure(Action action, int repeats = 5, int windows = 20)
    {
        ArgumentNullException.ThrowIfNull(action);
        for (int i = 0; i < 40; i++)
        {
            action();
        }

        long smallest = long.MaxValue;
        for (int w = 0; w < windows; w++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < repeats; i++)
            {
                action();
            }

            smallest = Math.Min(smallest, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        return smallest;
    }
}
