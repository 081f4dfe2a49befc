using System;
using System.Globalization;
using System.Threading;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// Runs a training loop with a progress display: on an interactive console a Spectre.Console progress bar (description,
/// bar, percentage, elapsed, remaining, and the current loss and examples/s, updated every step); when the output is
/// redirected or on CI, a plain line for every tenth of the run (and at least every 10 s), so logs stay readable.
/// </summary>
/// <example>
/// <code>
/// TrainingResult result = TrainingProgress.Run("training", steps, timeLimit, examplesPerStep: 64, (step, progress) =>
/// {
///     data.FillRandom(batch, random);
///     return trainer.Step(modelBatch);
/// });
/// </code>
/// </example>
public sealed class TrainingProgress
{
    // Smoothing of the displayed average: weight of the newest loss (about the last 20 steps count).
    private const double SmoothingWeight = 0.05;
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(10);

    private readonly int _maxSteps;
    private readonly int _examplesPerStep;
    private readonly Clock _clock;
    private double _loss = double.NaN;
    private double _smoothed = double.NaN;
    private int _steps;
    private bool _stopRequested;

    private TrainingProgress(int maxSteps, int examplesPerStep, bool interactive, TimeProvider time)
    {
        _clock = new Clock(time);
        _maxSteps = maxSteps;
        _examplesPerStep = examplesPerStep;
        Interactive = interactive;
    }

    /// <summary>Whether the live progress bar is shown (otherwise plain lines are printed).</summary>
    public bool Interactive { get; }

    /// <summary>
    /// True when a live display can be drawn: Spectre.Console finds the console interactive, standard output is not
    /// redirected, and the <c>CI</c> environment variable is not set.
    /// </summary>
    public static bool ConsoleIsInteractive =>
        AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>
    /// Calls <paramref name="step"/> for steps 1, 2, ... until <paramref name="maxSteps"/> ran, the time limit passed or
    /// the step asked to stop, and shows progress after each step.
    /// </summary>
    /// <param name="description">What is running, e.g. "training".</param>
    /// <param name="maxSteps">Steps to run.</param>
    /// <param name="timeLimit">Stop after this much time (checked after each step); null for no limit.</param>
    /// <param name="examplesPerStep">Examples one step trains on, for the examples/s figure.</param>
    /// <param name="step">Runs one step (its 1-based number is the first argument) and returns its loss.</param>
    /// <param name="interactive">Force the live display on or off; by default <see cref="ConsoleIsInteractive"/>.</param>
    /// <param name="time">The clock for the time limit and the rates; by default the system's (tests pass their own).</param>
    public static TrainingResult Run(string description, int maxSteps, TimeSpan? timeLimit, int examplesPerStep,
        Func<int, TrainingProgress, float> step, bool? interactive = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(step);
        Guard.Positive(maxSteps);
        Guard.Positive(examplesPerStep);
        if (timeLimit is { } limit && limit <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeLimit), limit, "The time limit must be positive.");
        }

        var progress = new TrainingProgress(maxSteps, examplesPerStep, interactive ?? ConsoleIsInteractive, time ?? TimeProvider.System);
        TrainingStopReason reason = progress.Interactive
            ? progress.RunLive(description, timeLimit, step)
            : progress.RunPlain(description, timeLimit, step);
        TimeSpan elapsed = progress._clock.Elapsed;
        return new TrainingResult(progress._steps, elapsed, (float)progress._loss, progress._smoothed,
            progress.ExamplesPerSecond(elapsed), reason);
    }

    /// <summary>Asks the loop to end after the current step.</summary>
    public void Stop() => _stopRequested = true;

    /// <summary>Prints a line (e.g. a validation result) without breaking the progress display.</summary>
    public void Log(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (Interactive)
        {
            AnsiConsole.MarkupLine(Markup.Escape(line));
        }
        else
        {
            Console.WriteLine(line);
        }
    }

    private TrainingStopReason RunLive(string description, TimeSpan? timeLimit, Func<int, TrainingProgress, float> step) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(
                new TaskDescriptionColumn(), new ProgressBarColumn { Width = 20 }, new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new StatusColumn(this))
            .Start(context =>
            {
                ProgressTask task = context.AddTask(Markup.Escape(description), maxValue: _maxSteps);
                TrainingStopReason reason = Loop(timeLimit, step, (_, fraction) => task.Value = fraction * _maxSteps);
                task.Value = task.MaxValue;
                task.StopTask();
                return reason;
            });

    private TrainingStopReason RunPlain(string description, TimeSpan? timeLimit, Func<int, TrainingProgress, float> step)
    {
        // A line each time another tenth of the run is done (by steps or time), and at least every PlainInterval.
        int tenthsShown = 0, lastShown = 0;
        TimeSpan lastPrint = TimeSpan.Zero;
        TrainingStopReason reason = Loop(timeLimit, step, (stepNumber, fraction) =>
        {
            TimeSpan elapsed = _clock.Elapsed;
            int tenths = (int)(fraction * 10);
            if (tenths > tenthsShown || elapsed - lastPrint >= PlainInterval)
            {
                tenthsShown = tenths;
                lastPrint = elapsed;
                lastShown = stepNumber;
                Console.WriteLine(PlainLine(description, stepNumber, fraction, elapsed));
            }
        });
        if (lastShown != _steps)
        {
            Console.WriteLine(PlainLine(description, _steps, 1, _clock.Elapsed));
        }

        return reason;
    }

    // Runs the steps; after each one records the loss and reports the fraction done (by steps or by time, whichever is further).
    private TrainingStopReason Loop(TimeSpan? timeLimit, Func<int, TrainingProgress, float> step, Action<int, double> report)
    {
        _clock.Restart();
        for (int stepNumber = 1; stepNumber <= _maxSteps; stepNumber++)
        {
            float loss = step(stepNumber, this);
            Volatile.Write(ref _loss, loss);
            Volatile.Write(ref _smoothed, double.IsNaN(_smoothed) ? loss : _smoothed + SmoothingWeight * (loss - _smoothed));
            Volatile.Write(ref _steps, stepNumber);
            TimeSpan elapsed = _clock.Elapsed;
            double fraction = stepNumber / (double)_maxSteps;
            if (timeLimit is { } limit)
            {
                fraction = Math.Max(fraction, Math.Min(1, elapsed / limit));
            }

            report(stepNumber, fraction);
            if (_stopRequested)
            {
                return TrainingStopReason.Requested;
            }

            if (stepNumber < _maxSteps && elapsed >= timeLimit)
            {
                return TrainingStopReason.TimeLimit;
            }
        }

        return TrainingStopReason.Steps;
    }

    private double ExamplesPerSecond(TimeSpan elapsed) =>
        elapsed > TimeSpan.Zero ? Volatile.Read(ref _steps) * (double)_examplesPerStep / elapsed.TotalSeconds : 0;

    // Short enough that the whole live row fits 80 columns with a short description.
    private string Status() => string.Create(CultureInfo.InvariantCulture,
        $"loss {Volatile.Read(ref _loss):F4}  {ExamplesPerSecond(_clock.Elapsed):N0} ex/s");

    private string PlainLine(string description, int step, double fraction, TimeSpan elapsed)
    {
        string remaining = fraction > 0 && fraction < 1
            ? FormatTime(TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - fraction) / fraction))
            : "0:00";
        return string.Create(CultureInfo.InvariantCulture,
            $"{description} step {step}/{_maxSteps} ({100 * fraction,3:F0}%)  loss {Volatile.Read(ref _loss):F4} (avg {Volatile.Read(ref _smoothed):F4})  {ExamplesPerSecond(elapsed):N0} ex/s  elapsed {FormatTime(elapsed)}  remaining {remaining}");
    }

    private static string FormatTime(TimeSpan time) => time.TotalHours >= 1
        ? time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : time.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    // A restartable stopwatch over a TimeProvider.
    private sealed class Clock(TimeProvider time)
    {
        private long _start = time.GetTimestamp();

        public TimeSpan Elapsed => time.GetElapsedTime(_start);

        public void Restart() => _start = time.GetTimestamp();
    }

    // The custom column: the current loss and examples/s, read from the running loop.
    private sealed class StatusColumn(TrainingProgress owner) : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(owner.Status(), new Style(Color.Grey));
    }
}
