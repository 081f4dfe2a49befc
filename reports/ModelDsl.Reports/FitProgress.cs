using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using ModelDsl.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ModelDsl.Reports;

/// <summary>
/// A <c>Fit</c> callback that shows how training goes. On an interactive console: a live Spectre.Console progress bar
/// (description, bar, percentage, remaining time) with the current step, smoothed loss, last metric and examples/s, redrawn by
/// a thread of its own while the steps run. When output is redirected (CI logs, files) or a <see cref="TextWriter"/> is
/// given: a plain line each time another tenth of the run is done and at least every <see cref="PlainInterval"/>, a line
/// per evaluation and a closing line.
/// <code>
/// History history = trainer.Fit(train, validation, options with { Callbacks = [new FitProgress("sentiment")] });
/// </code>
/// A plain line reads:
/// <code>
/// sentiment step 300/1000 (30%)  epoch 2  loss 0.4127 (avg 0.4410)  val accuracy 0.8125  1,920 ex/s  elapsed 0:05  remaining 0:11
/// </code>
/// With several losses the loss is followed by each one's value of the step, <c>[Mlm 2.4110, Nsp 0.6452]</c>.
/// </summary>
/// <remarks>
/// <see cref="OnStepEnd"/> allocates nothing unless it prints a line, so the step loop stays at 0 bytes between lines.
/// Time comes from the <see cref="TimeProvider"/> given (the system's by default), so tests can drive the clock.
/// </remarks>
public sealed class FitProgress : IFitCallback, IDisposable
{
    /// <summary>Weight of the newest loss in the displayed average (about the last 20 steps count).</summary>
    public const double SmoothingWeight = 0.05;

    /// <summary>How often the live display is redrawn.</summary>
    private static readonly TimeSpan LiveRefresh = TimeSpan.FromMilliseconds(100);

    private readonly string _description;
    private readonly TextWriter? _output;
    private readonly TimeProvider _time;
    private readonly string? _metric;
    private readonly ConcurrentQueue<string> _liveLines = new();

    private long _begin;
    private long _total;
    private long _startStep;
    private long _step;
    private long _epoch;
    private double _loss = double.NaN;
    private double _smoothed = double.NaN;
    private bool _sawStep;
    private long _firstStepTime;
    private long _firstStepExamples;
    private long _examples;
    private string _shownMetric = "loss";
    private double _metricValue = double.NaN;
    private string[] _lossNames = [];
    private float[] _lossValues = [];

    // Plain lines: the tenths of the run already announced, when the last line was printed and for which step.
    private int _tenthsShown;
    private TimeSpan _lastPrint;
    private long _lastPrintedStep;

    // Live display: its thread, and the events that start and end it.
    private Thread? _liveThread;
    private ManualResetEventSlim? _liveDone;

    /// <summary>Creates the callback.</summary>
    /// <param name="description">What runs, shown at the start of every line, e.g. the model's name.</param>
    /// <param name="output">Where plain lines go. Given: always plain lines there (a log file, a test's writer). Null:
    /// the console, live when <see cref="ConsoleIsInteractive"/>, plain lines otherwise.</param>
    /// <param name="interactive">Force the live display on (true) or off (false); by default it is on exactly when
    /// <paramref name="output"/> is null and <see cref="ConsoleIsInteractive"/>.</param>
    /// <param name="metric">The evaluated metric to show (without <c>val_</c>); by default the first one that is not
    /// <c>loss</c>, else <c>loss</c>.</param>
    /// <param name="plainInterval">Longest time between plain lines; 10 s by default.</param>
    /// <param name="time">The clock for rates and times; the system's by default.</param>
    public FitProgress(string description = "training", TextWriter? output = null, bool? interactive = null, string? metric = null,
        TimeSpan? plainInterval = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (plainInterval is { } interval && interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(plainInterval), interval, "The interval between plain lines must be positive.");
        }

        _description = description;
        _output = output;
        _metric = metric;
        _time = time ?? TimeProvider.System;
        PlainInterval = plainInterval ?? TimeSpan.FromSeconds(10);
        Interactive = interactive ?? (output is null && ConsoleIsInteractive);
    }

    /// <summary>
    /// True when a live display can be drawn: Spectre.Console finds the console interactive, standard output is not
    /// redirected, and the <c>CI</c> environment variable is not set.
    /// </summary>
    public static bool ConsoleIsInteractive =>
        AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>Whether the live display is shown (otherwise plain lines are written).</summary>
    public bool Interactive { get; }

    /// <summary>Longest time between two plain lines.</summary>
    public TimeSpan PlainInterval { get; }

    private TextWriter Plain => _output ?? Console.Out;

    /// <inheritdoc/>
    public void OnFitBegin(FitStart start)
    {
        ArgumentNullException.ThrowIfNull(start);
        StopLive();
        _begin = _time.GetTimestamp();
        _total = start.TotalSteps;
        _startStep = start.StartStep;
        _step = start.StartStep;
        _loss = _smoothed = _metricValue = double.NaN;
        _sawStep = false;
        _firstStepTime = 0;
        _examples = _firstStepExamples = 0;
        _tenthsShown = 0;
        _lastPrint = TimeSpan.Zero;
        _lastPrintedStep = start.StartStep;
        _shownMetric = _metric ?? FirstMetric(start.MetricNames);
        _lossNames = [.. start.LossNames];
        _lossValues = new float[_lossNames.Length];
        string resumed = start.StartStep > 0 ? string.Create(CultureInfo.InvariantCulture, $", resuming after step {start.StartStep}") : string.Empty;
        string begin = string.Create(CultureInfo.InvariantCulture,
            $"{_description}: {_total - _startStep} steps ({start.StepsPerEpoch} per epoch{resumed}); metrics {string.Join(", ", start.MetricNames)}");
        if (Interactive)
        {
            AnsiConsole.MarkupLine(Markup.Escape(begin));
            StartLive();
        }
        else
        {
            Plain.WriteLine(begin);
        }
    }

    /// <inheritdoc/>
    public void OnStepEnd(in FitStep step)
    {
        long now = _time.GetTimestamp();
        if (!_sawStep)
        {
            _firstStepTime = now;
            _firstStepExamples = step.Examples;
            Volatile.Write(ref _sawStep, true);
        }

        Volatile.Write(ref _epoch, step.Epoch);
        Volatile.Write(ref _examples, step.Examples);
        Volatile.Write(ref _loss, step.Loss);
        if (step.Losses.Length == _lossValues.Length)
        {
            step.Losses.Span.CopyTo(_lossValues); // several losses: each one's value of this step, shown after the total
        }

        Volatile.Write(ref _smoothed, double.IsNaN(_smoothed) ? step.Loss : _smoothed + (SmoothingWeight * (step.Loss - _smoothed)));
        Volatile.Write(ref _step, step.Step);
        if (Interactive)
        {
            return; // the live thread redraws
        }

        TimeSpan elapsed = _time.GetElapsedTime(_begin, now);
        int tenths = (int)(Fraction(step.Step) * 10);
        if (tenths > _tenthsShown || elapsed - _lastPrint >= PlainInterval)
        {
            _tenthsShown = tenths;
            _lastPrint = elapsed;
            _lastPrintedStep = step.Step;
            Plain.WriteLine(StepLine(step.Step, elapsed));
        }
    }

    /// <inheritdoc/>
    public void OnEvaluation(FitEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        if (evaluation.Metrics.TryGetValue(_shownMetric, out double value))
        {
            Volatile.Write(ref _metricValue, value);
        }

        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"{_description} evaluation at step {evaluation.Step} (epoch {evaluation.Epoch}):");
        var names = new List<string>(evaluation.Metrics.Keys);
        names.Sort(StringComparer.Ordinal);
        names.Remove("loss");
        if (evaluation.Metrics.ContainsKey("loss"))
        {
            names.Insert(0, "loss");
        }

        for (int i = 0; i < names.Count; i++)
        {
            line.Append(i == 0 ? " val " : ", val ").Append(names[i]).Append(' ').Append(FormatValue(evaluation.Metrics[names[i]]));
        }

        if (evaluation.IsBest)
        {
            line.Append(" (best)");
        }

        WriteLine(line.ToString());
    }

    /// <inheritdoc/>
    public void OnFitEnd(History history)
    {
        ArgumentNullException.ThrowIfNull(history);
        TimeSpan elapsed = _time.GetElapsedTime(_begin);
        long step = Volatile.Read(ref _step);
        if (!Interactive && step != _lastPrintedStep)
        {
            Plain.WriteLine(StepLine(step, elapsed));
        }

        StopLive();
        string best = double.IsNaN(history.BestValue)
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $"; best {FormatValue(history.BestValue)} at step {history.BestStep}");
        WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{_description}: {StopText(history.StopReason)} after step {step} in {FormatTime(elapsed)}{best}"));
    }

    /// <summary>Ends the live display if a run left it on (an exception out of <c>Fit</c> skips <see cref="OnFitEnd"/>).</summary>
    public void Dispose() => StopLive();

    /// <summary>The plain line for <paramref name="step"/>: progress, loss and its average, the shown metric, rate and times.</summary>
    internal string StepLine(long step, TimeSpan elapsed)
    {
        double fraction = Fraction(step);
        string remaining = fraction > 0 && fraction < 1 ? FormatTime(elapsed * ((1 - fraction) / fraction)) : "0:00";
        return string.Create(CultureInfo.InvariantCulture,
            $"{_description} step {step}/{_total} ({100 * fraction,3:F0}%)  epoch {Volatile.Read(ref _epoch)}  loss {Volatile.Read(ref _loss):F4} (avg {Volatile.Read(ref _smoothed):F4}){LossText()}"
            + $"{MetricText()}  {ExamplesPerSecond(_time.GetTimestamp()):N0} ex/s  elapsed {FormatTime(elapsed)}  remaining {remaining}");
    }

    private static string FirstMetric(IReadOnlyList<string> names)
    {
        foreach (string name in names)
        {
            if (name != "loss")
            {
                return name;
            }
        }

        return "loss";
    }

    /// <summary>With several losses, each one's value of the last step: <c>  [Mlm 2.4110, Nsp 0.6452]</c>; empty otherwise.</summary>
    private string LossText()
    {
        if (_lossNames.Length == 0)
        {
            return string.Empty;
        }

        var text = new StringBuilder("  [");
        for (int i = 0; i < _lossNames.Length; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(_lossNames[i]).Append(' ').Append(_lossValues[i].ToString("F4", CultureInfo.InvariantCulture));
        }

        return text.Append(']').ToString();
    }

    private double Fraction(long step) => _total > _startStep ? Math.Clamp((step - _startStep) / (double)(_total - _startStep), 0, 1) : 1;

    private string MetricText()
    {
        double value = Volatile.Read(ref _metricValue);
        return double.IsNaN(value) ? string.Empty : "  val " + _shownMetric + " " + FormatValue(value);
    }

    // Examples per second since the first step ended (the first step's own time includes warm-up and is left out).
    private double ExamplesPerSecond(long now)
    {
        if (!Volatile.Read(ref _sawStep))
        {
            return 0;
        }

        double seconds = _time.GetElapsedTime(_firstStepTime, now).TotalSeconds;
        return seconds > 0 ? (Volatile.Read(ref _examples) - _firstStepExamples) / seconds : 0;
    }

    private void WriteLine(string line)
    {
        if (!Interactive)
        {
            Plain.WriteLine(line);
        }
        else if (_liveThread is not null)
        {
            _liveLines.Enqueue(line); // printed by the live thread, above the bar
        }
        else
        {
            AnsiConsole.MarkupLine(Markup.Escape(line));
        }
    }

    private static string StopText(FitStopReason reason) => reason switch
    {
        FitStopReason.EarlyStopping => "stopped early (no improvement)",
        FitStopReason.Callback => "stopped by a callback",
        _ => "done",
    };

    private static string FormatValue(double value) => Math.Abs(value) >= 1000
        ? value.ToString("N1", CultureInfo.InvariantCulture)
        : value.ToString("F4", CultureInfo.InvariantCulture);

    private static string FormatTime(TimeSpan time) => time.TotalHours >= 1
        ? time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : time.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    // The live display runs Spectre's progress loop on a thread of its own, so Fit keeps the calling thread.
    private void StartLive()
    {
        var ready = new ManualResetEventSlim();
        var done = new ManualResetEventSlim();
        _liveDone = done;
        _liveThread = new Thread(() => AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn { Width = 12 }, new PercentageColumn(),
                new RemainingTimeColumn(), new StatusColumn(this))
            .Start(context =>
            {
                ProgressTask task = context.AddTask(Markup.Escape(_description), maxValue: Math.Max(1, _total - _startStep));
                ready.Set();
                bool finished = false;
                while (!finished)
                {
                    finished = done.Wait(LiveRefresh);
                    task.Value = Volatile.Read(ref _step) - _startStep;
                    while (_liveLines.TryDequeue(out string? line))
                    {
                        AnsiConsole.MarkupLine(Markup.Escape(line));
                    }
                }

                task.StopTask();
            }))
        {
            IsBackground = true,
            Name = "ModelDsl.Reports.FitProgress",
        };
        _liveThread.Start();
        ready.Wait();
        ready.Dispose();
    }

    private void StopLive()
    {
        if (_liveThread is null)
        {
            return;
        }

        _liveDone!.Set();
        _liveThread.Join();
        _liveDone.Dispose();
        _liveThread = null;
        _liveDone = null;
    }

    // Short enough that the whole live row fits 80 columns with a short description (the closing line gives the elapsed time).
    private string Status()
    {
        double metric = Volatile.Read(ref _metricValue);
        string metricText = double.IsNaN(metric) ? string.Empty : " " + _shownMetric + " " + FormatValue(metric);
        return string.Create(CultureInfo.InvariantCulture,
            $"step {Volatile.Read(ref _step)} loss {Volatile.Read(ref _smoothed):F4}{metricText} {ExamplesPerSecond(_time.GetTimestamp()):N0} ex/s");
    }

    // The custom column: step, smoothed loss, the metric and examples/s, read from the running fit.
    private sealed class StatusColumn(FitProgress owner) : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(owner.Status(), new Style(Color.Grey));
    }
}
