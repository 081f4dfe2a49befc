using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ModelDsl.Benchmarks;

/// <summary>
/// The calling thread's CPU time (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), in nanoseconds: unlike wall-clock time it does not
/// run while the thread waits for a core, so one-thread comparisons on a loaded machine mean something. Falls back to
/// <see cref="Stopwatch"/> (wall clock) elsewhere.
/// </summary>
internal static partial class ThreadClock
{
    private const int ClockThreadCpuTime = 3;

    /// <summary>Whether <see cref="Nanoseconds"/> is CPU time (Linux) rather than wall-clock time.</summary>
    public static bool IsCpuTime { get; } = OperatingSystem.IsLinux();

    /// <summary>Now, in nanoseconds.</summary>
    public static long Nanoseconds()
    {
        if (!IsCpuTime)
        {
            return (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
        }

        ClockGetTime(ClockThreadCpuTime, out TimeSpec now);
        return (now.Seconds * 1_000_000_000L) + now.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
