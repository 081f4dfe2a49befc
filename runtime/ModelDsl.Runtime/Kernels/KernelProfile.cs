using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ModelDsl.Kernels;

/// <summary>The kernel families <see cref="KernelProfile"/> attributes time to.</summary>
public enum KernelFamily
{
    /// <summary>Matrix products: <see cref="Gemm"/> and the products inside <see cref="Linear"/> (bias and activation epilogues included).</summary>
    Gemm,

    /// <summary>The attention core: scores, masking, softmax over keys and the weighted sum of values (<see cref="Attention"/>).</summary>
    Attention,

    /// <summary>Row softmax and log-softmax outside attention (<see cref="Softmax"/>).</summary>
    Softmax,

    /// <summary><see cref="LayerNorm"/>, forward and backward.</summary>
    LayerNorm,

    /// <summary>Activation derivatives in <see cref="Linear.Backward"/> and stand-alone <see cref="Activations"/>.</summary>
    Activation,

    /// <summary>Bias gradients: the column sums of <see cref="Linear.Backward"/>.</summary>
    BiasGradient,

    /// <summary>Token embeddings and position tables (<see cref="Embedding"/>, <see cref="SinusoidalPositions"/>, <see cref="LearnedPositions"/>).</summary>
    Embedding,

    /// <summary>Losses (<see cref="CrossEntropy"/>, <see cref="MeanSquaredError"/>).</summary>
    Loss,

    /// <summary>The optimizer's update (<see cref="Optim.Optimizer.Step(Span{float}, ReadOnlySpan{float}, Span{float}, float, long)"/>).</summary>
    Optimizer,

    /// <summary>Element-wise copies and sums: <see cref="Residual"/>, <see cref="Pooling"/>, <see cref="Concat"/>.</summary>
    Copy,

    /// <summary>Recurrent cells and their attention, outside their matrix products (<see cref="Gru"/>, <see cref="Lstm"/>, <see cref="Rnn"/>, <see cref="RecurrentDecoder"/>).</summary>
    Recurrent,
}

/// <summary>
/// Opt-in timing of the runtime's kernels by <see cref="KernelFamily"/>, for finding where a training step's time goes.
/// Off unless the process sets the <see cref="AppContext"/> switch <c>ModelDsl.KernelProfile</c> before it first runs a
/// kernel (<c>AppContext.SetSwitch("ModelDsl.KernelProfile", true)</c>, or a <c>RuntimeHostConfigurationOption</c>).
/// </summary>
/// <remarks>
/// <para>When off, every hook is a test of <see cref="Enabled"/>, a <c>static readonly</c> field that the JIT folds to a
/// constant in optimized code, so the hooks cost nothing.</para>
/// <para>When on, only calls made on the thread that called <see cref="Reset"/> are timed (the thread that runs the model;
/// work a kernel hands to the pool's other threads is inside the caller's wall-clock time). Times are exclusive: while a
/// kernel of one family runs one of another (a recurrent cell's matrix products), that time goes to the inner family.
/// Profiling is for
/// benchmarks and diagnosis, not for production: it is not synchronized across threads that call <see cref="Reset"/>.</para>
/// </remarks>
public static unsafe class KernelProfile
{
    /// <summary>The <see cref="AppContext"/> switch that turns profiling on.</summary>
    public const string SwitchName = "ModelDsl.KernelProfile";

    /// <summary>Whether profiling is on for this process (read once, from the <see cref="SwitchName"/> switch).</summary>
    public static readonly bool Enabled = AppContext.TryGetSwitch(SwitchName, out bool on) && on;

    private static readonly KernelTimeAccumulator Times = new();
    private static int s_owner = -1;
    private static delegate*<long> s_clock = &Stopwatch.GetTimestamp;
    private static long s_frequency = Stopwatch.Frequency;

    /// <summary>Clears every total and makes the calling thread the one whose kernel calls are timed.</summary>
    /// <exception cref="InvalidOperationException">Profiling is off (<see cref="Enabled"/> is false).</exception>
    public static void Reset()
    {
        if (!Enabled)
        {
            throw new InvalidOperationException(
                $"KernelProfile is off: set the AppContext switch '{SwitchName}' to true before the first kernel runs.");
        }

        Times.Clear();
        s_owner = Environment.CurrentManagedThreadId;
    }

    /// <summary>Exclusive time spent in <paramref name="family"/> since the last <see cref="Reset"/>.</summary>
    public static TimeSpan Elapsed(KernelFamily family) =>
        TimeSpan.FromTicks((long)(Times.Ticks(family) * ((double)TimeSpan.TicksPerSecond / s_frequency)));

    /// <summary>
    /// Replaces the clock (by default <see cref="Stopwatch.GetTimestamp"/>): a benchmark on a loaded machine passes the calling
    /// thread's CPU-time clock, which does not run while the thread waits for a core. Call before <see cref="Reset"/>.
    /// </summary>
    /// <param name="clock">Returns the current time in units of 1 / <paramref name="frequency"/> seconds.</param>
    /// <param name="frequency">Clock units per second.</param>
    internal static void UseClock(delegate*<long> clock, long frequency)
    {
        s_clock = clock;
        s_frequency = frequency;
    }

    /// <summary>Kernel calls of <paramref name="family"/> since the last <see cref="Reset"/>.</summary>
    public static long Calls(KernelFamily family) => Times.Calls(family);

    /// <summary>
    /// Times the enclosing block as a kernel of <paramref name="family"/>: <c>using var _ = KernelProfile.Time(...)</c>.
    /// When profiling is off this and the region's <c>Dispose</c> fold away, and with them the <c>try/finally</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Region Time(KernelFamily family)
    {
        if (Enabled)
        {
            BeginCore(family);
        }

        return default;
    }

    /// <summary>The timed block of one <see cref="Time"/> call; disposing it stops the timing.</summary>
    internal readonly struct Region : IDisposable
    {
        /// <summary>Stops timing the block.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Dispose()
        {
            if (Enabled)
            {
                EndCore();
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BeginCore(KernelFamily family)
    {
        if (Environment.CurrentManagedThreadId == s_owner)
        {
            Times.Begin(family, s_clock());
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EndCore()
    {
        if (Environment.CurrentManagedThreadId == s_owner)
        {
            Times.End(s_clock());
        }
    }
}

/// <summary>
/// The bookkeeping behind <see cref="KernelProfile"/>: exclusive time and calls per family over nested
/// <see cref="Begin"/>/<see cref="End"/> pairs, from timestamps the caller passes (so it is tested without a clock).
/// </summary>
internal sealed class KernelTimeAccumulator
{
    private const int MaxDepth = 32;
    private static readonly int FamilyCount = Enum.GetValues<KernelFamily>().Length;
    private readonly long[] _ticks = new long[FamilyCount];
    private readonly long[] _calls = new long[FamilyCount];
    private readonly KernelFamily[] _stack = new KernelFamily[MaxDepth];
    private int _depth;
    private long _segmentStart;

    /// <summary>Exclusive ticks of <paramref name="family"/>.</summary>
    public long Ticks(KernelFamily family) => _ticks[(int)family];

    /// <summary>Calls of <paramref name="family"/>.</summary>
    public long Calls(KernelFamily family) => _calls[(int)family];

    /// <summary>Clears the totals and the nesting.</summary>
    public void Clear()
    {
        Array.Clear(_ticks);
        Array.Clear(_calls);
        _depth = 0;
    }

    /// <summary>A kernel of <paramref name="family"/> starts at <paramref name="now"/>; the enclosing one pauses.</summary>
    public void Begin(KernelFamily family, long now)
    {
        int depth = _depth;
        if (depth > 0 && depth <= MaxDepth)
        {
            _ticks[(int)_stack[depth - 1]] += now - _segmentStart;
        }

        if (depth < MaxDepth)
        {
            _stack[depth] = family;
        }

        _calls[(int)family]++;
        _depth = depth + 1;
        _segmentStart = now;
    }

    /// <summary>The innermost kernel ends at <paramref name="now"/>; the enclosing one resumes. Unmatched calls are ignored.</summary>
    public void End(long now)
    {
        int depth = _depth;
        if (depth == 0)
        {
            return;
        }

        if (depth <= MaxDepth)
        {
            _ticks[(int)_stack[depth - 1]] += now - _segmentStart;
        }

        _depth = depth - 1;
        _segmentStart = now;
    }
}
