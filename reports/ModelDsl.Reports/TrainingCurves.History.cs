using System;
using System.Collections.Generic;
using System.IO;
using ModelDsl.Training;

namespace ModelDsl.Reports;

/// <summary>The curves of a <see cref="History"/>.</summary>
public static partial class TrainingCurves
{
    /// <summary>Weight of the newest step in the drawn moving average of the training loss (about the last 20 steps count).</summary>
    public const double LossSmoothing = 0.05;

    /// <summary>
    /// Writes what a <c>Fit</c> run recorded into <paramref name="folder"/> (created if missing):
    /// <list type="bullet">
    /// <item><c>{name}-loss.png</c>: the training loss of every step (thin), its moving average and the validation loss at each evaluation;</item>
    /// <item><c>{name}-{metric}.png</c>: each other evaluated metric (e.g. <c>training-accuracy.png</c>), one picture each since scales differ;</item>
    /// <item><c>{name}.csv</c>: <see cref="History.ToCsv"/>, one row per step with the evaluations' columns.</item>
    /// </list>
    /// </summary>
    /// <param name="history">The run's history (what <c>Fit</c> returns, or what <see cref="IFitCallback.OnFitEnd"/> gets).</param>
    /// <param name="folder">Where the files go.</param>
    /// <param name="name">The files' common prefix.</param>
    /// <param name="logLoss">Draw the loss picture on a log scale (base 10): a loss that falls by orders of magnitude,
    /// as a seq2seq model's does, stays readable after the first steps.</param>
    /// <returns>The paths written, loss picture first, CSV last.</returns>
    public static IReadOnlyList<string> Write(History history, string folder, string name = "training", bool logLoss = false)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new ArgumentException($"'{name}' cannot start a file name.", nameof(name));
        }

        var written = new List<string>();
        string lossPath = Path.Combine(folder, name + "-loss.png");
        WritePng(lossPath, LossCurves(history), title: logLoss ? "loss (log scale)" : "loss", yLabel: "loss", logY: logLoss);
        written.Add(lossPath);
        foreach (string metric in history.MetricNames)
        {
            if (metric == "loss")
            {
                continue;
            }

            string path = Path.Combine(folder, name + "-" + FileSafe(metric) + ".png");
            WritePng(path, [FromSeries(history.Metric(metric), "val_" + metric)], title: metric, yLabel: metric);
            written.Add(path);
        }

        string csvPath = Path.Combine(folder, name + ".csv");
        history.WriteCsv(csvPath);
        written.Add(csvPath);
        return written;
    }

    /// <summary>
    /// The loss curves of <paramref name="history"/>: <c>train_loss</c> per step, <c>train_loss (avg)</c> (its moving
    /// average, weight <see cref="LossSmoothing"/>) and, when evaluations ran, <c>val_loss</c>.
    /// </summary>
    /// <param name="history">The run's history.</param>
    public static IReadOnlyList<Curve> LossCurves(History history)
    {
        ArgumentNullException.ThrowIfNull(history);
        Curve training = FromSeries(history.TrainingLoss(), "train_loss");
        var curves = new List<Curve>
        {
            new(training.Name, training.Steps, training.Values) { LineWidth = 1 }, // thin: noisy, under its average
            training.Smoothed("train_loss (avg)", LossSmoothing),
        };
        if (Contains(history.MetricNames, "loss") && history.Evaluations.Count > 0)
        {
            curves.Add(FromSeries(history.Metric("loss"), "val_loss"));
        }

        return curves;
    }

    /// <summary>A <see cref="History"/> series as a <see cref="Curve"/> named <paramref name="name"/> (steps are whole numbers).</summary>
    /// <param name="series">The series.</param>
    /// <param name="name">The curve's name; the series' own by default.</param>
    public static Curve FromSeries(HistorySeries series, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        var steps = new long[series.Steps.Length];
        for (int i = 0; i < steps.Length; i++)
        {
            steps[i] = checked((long)series.Steps[i]);
        }

        return new Curve(name ?? series.Name, steps, series.Values);
    }

    private static string FileSafe(string metric)
    {
        char[] characters = metric.ToCharArray();
        for (int i = 0; i < characters.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(characters[i]) && characters[i] is not ('-' or '_' or '.'))
            {
                characters[i] = '_';
            }
        }

        return new string(characters);
    }

    private static bool Contains(IReadOnlyList<string> names, string name)
    {
        foreach (string candidate in names)
        {
            if (string.Equals(candidate, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
