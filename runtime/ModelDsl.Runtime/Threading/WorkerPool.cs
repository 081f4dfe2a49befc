using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace ModelDsl.Threading;

/// <summary>
/// A fixed set of worker threads that run one parallel loop at a time and allocate nothing
/// per call. A loop is a function pointer <c>body(context, index)</c> for
/// <c>index</c> in <c>[0, count)</c>; the caller's thread takes part and <see cref="Run"/>
/// returns when every index has run, so <c>context</c> may point at the caller's stack.
/// </summary>
/// <remarks>
/// Which thread runs which index is up to scheduling, so a body must write only to memory
/// owned by its index: results then do not depend on the schedule (determinism rule of
/// DESIGN.md). A pool of one thread runs every loop inline on the caller. A loop started
/// from inside a worker (nested parallelism) also runs inline, so nesting cannot deadlock.
/// </remarks>
public sealed unsafe class WorkerPool : IDisposable
{
    /// <summary>Spin iterations a worker waits for the next loop before it blocks.</summary>
    private const int SpinIterations = 4000;

    [ThreadStatic]
    private static bool t_insideLoop;

    [ThreadStatic]
    private static long t_workerAllocatedBytes;

    private readonly Thread[] _workers;
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
    private readonly object _runLock = new();

    private delegate*<void*, int, void> _body;
    private void* _context;
    private int _count;
    private int _next;
    private int _activeWorkers;
    private int _generation;
    private long _loopAllocatedBytes;
    private volatile bool _disposed;
    private Exception? _failure;

    /// <summary>Creates a pool that runs loops on <paramref name="threadCount"/> threads, the caller's included.</summary>
    /// <param name="threadCount">Total threads; 1 runs everything on the calling thread.</param>
    public WorkerPool(int threadCount)
    {
        Guard.Positive(threadCount);
        ThreadCount = threadCount;
        _workers = new Thread[threadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop)
            {
                IsBackground = true,
                Name = $"ModelDsl worker {i + 1}",
            };
            _workers[i].Start();
        }
    }

    /// <summary>A pool with one thread per processor, created on first use.</summary>
    public static WorkerPool Shared => SharedHolder.Instance;

    /// <summary>A pool that runs every loop on the calling thread.</summary>
    public static WorkerPool Serial { get; } = new(1);

    /// <summary>Threads that run a loop, the caller's included.</summary>
    public int ThreadCount { get; }

    /// <summary>
    /// Bytes that worker threads of any pool allocated on the managed heap while running loops started by the
    /// current thread, summed since the thread started. Together with <see cref="GC.GetAllocatedBytesForCurrentThread"/>
    /// it counts everything a call on this thread allocated, on whichever thread of a pool its work ran, and nothing
    /// that unrelated threads allocated meanwhile (unlike <see cref="GC.GetTotalAllocatedBytes(bool)"/>).
    /// Loops that run inline allocate on the calling thread and are not counted here.
    /// </summary>
    public static long WorkerAllocatedBytesForCurrentThread => t_workerAllocatedBytes;

    /// <summary>
    /// Runs <paramref name="body"/> for every index in <c>[0, count)</c>, spread over the pool's threads,
    /// and returns when all have finished. An exception thrown by a body is rethrown here.
    /// </summary>
    public void Run(int count, delegate*<void*, int, void> body, void* context)
    {
        Guard.NonNegative(count);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count == 0)
        {
            return;
        }

        if (count == 1 || _workers.Length == 0 || t_insideLoop || !Monitor.TryEnter(_runLock))
        {
            // Inline: trivially small, single-threaded, nested, or another thread owns the pool.
            RunInline(count, body, context);
            return;
        }

        try
        {
            _body = body;
            _context = context;
            _count = count;
            _next = 0;
            _failure = null;
            Volatile.Write(ref _activeWorkers, _workers.Length);
            Interlocked.Increment(ref _generation);
            _wake.Set();

            t_insideLoop = true;
            try
            {
                Drain();
            }
            finally
            {
                t_insideLoop = false;
            }

            var spin = new SpinWait();
            while (Volatile.Read(ref _activeWorkers) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            _wake.Reset();
            _body = null;
            _context = null;
            long workerBytes = Volatile.Read(ref _loopAllocatedBytes);
            if (workerBytes != 0)
            {
                // The workers are idle now: hand what they allocated for this loop to the thread that started it.
                t_workerAllocatedBytes += workerBytes;
                Volatile.Write(ref _loopAllocatedBytes, 0);
            }
            if (_failure is { } failure)
            {
                _failure = null;
                ExceptionDispatchInfo.Throw(failure);
            }
        }
        finally
        {
            Monitor.Exit(_runLock);
        }
    }

    /// <summary>Stops the worker threads.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Interlocked.Increment(ref _generation);
        _wake.Set();
        foreach (var worker in _workers)
        {
            worker.Join();
        }

        _wake.Dispose();
    }

    private static void RunInline(int count, delegate*<void*, int, void> body, void* context)
    {
        bool outer = t_insideLoop;
        t_insideLoop = true;
        try
        {
            for (int i = 0; i < count; i++)
            {
                body(context, i);
            }
        }
        finally
        {
            t_insideLoop = outer;
        }
    }

    private void Drain()
    {
        try
        {
            int index;
            while ((index = Interlocked.Increment(ref _next) - 1) < _count)
            {
                _body(_context, index);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            // Stop handing out indices; other threads finish the one they hold.
            Volatile.Write(ref _next, int.MaxValue / 2);
        }
    }

    private void WorkerLoop()
    {
        t_insideLoop = true;
        int seen = 0;
        while (true)
        {
            int spins = 0;
            var spin = new SpinWait();
            while (Volatile.Read(ref _generation) == seen)
            {
                if (spins++ < SpinIterations)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
                else
                {
                    _wake.Wait();
                }
            }

            seen = Volatile.Read(ref _generation);
            if (_disposed)
            {
                return;
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            Drain();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated != 0)
            {
                Interlocked.Add(ref _loopAllocatedBytes, allocated);
            }

            Interlocked.Decrement(ref _activeWorkers);
        }
    }

    private static class SharedHolder
    {
        internal static readonly WorkerPool Instance = new(Environment.ProcessorCount);
    }
}
