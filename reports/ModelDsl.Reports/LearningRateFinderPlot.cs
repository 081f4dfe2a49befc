using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelDsl.Training;
using ScottPlot;

namespace ModelDsl.Reports;

/// <summary>
/// The learning-rate range test's curve (<see cref="LearningRateFinder.Run"/>) as a picture and a table: the loss of each step and
/// its smoothed value against the rate on a log scale, with the suggested rate marked.
/// </summary>
public static class LearningRateFinderPlot
{
    /// <summary>
    /// Writes <c>{name}.png</c> (loss and smoothed loss against the rate, log-scale x, a vertical line at the suggested rate) and
    /// <c>{name}.csv</c> (<see cref="LearningRateCurve.ToCsv"/>) into <paramref name="folder"/> (created if missing), atomically.
    /// </summary>
    /// <param name="curve">The sweep's result.</param>
    /// <param name="folder">Where the files go.</param>
    /// <param name="name">The files' common name.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <returns>The paths written, the picture first.</returns>
    public static IReadOnlyList<string> Write(LearningRateCurve curve, string folder, string name = "lr-finder", int width = 800, int height = 480)
    {
        ArgumentNullException.ThrowIfNull(curve);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new ArgumentException($"'{name}' cannot start a file name.", nameof(name));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(width, 100);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 100);
        string png = Path.Combine(folder, name + ".png");
        WritePng(png, curve, width, height);
        string csv = Path.Combine(folder, name + ".csv");
        ReportFiles.WriteText(csv, curve.ToCsv());
        return [png, csv];
    }

    private static void WritePng(string path, LearningRateCurve curve, int width, int height)
    {
        using var plot = new Plot();
        AddSeries(plot, curve, curve.Losses.Count, i => curve.Losses[i], "loss", lineWidth: 1);
        AddSeries(plot, curve, curve.SmoothedLosses.Count, i => curve.SmoothedLosses[i], "smoothed loss", lineWidth: 2);
        if (curve.SuggestedLearningRate > 0)
        {
            var line = plot.Add.VerticalLine(Math.Log10(curve.SuggestedLearningRate));
            line.LegendText = "suggested " + curve.SuggestedLearningRate.ToString("G3", CultureInfo.InvariantCulture);
            line.LinePattern = LinePattern.Dashed;
        }

        // The diverged tail can be orders of magnitude above the rest: the view stops at the divergence threshold (4x the best
        // smoothed loss) or the first loss, whichever is higher, so the descent stays readable.
        (double low, double high) = VerticalRange(curve);
        if (low < high)
        {
            plot.Axes.SetLimitsY(low, high);
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = x => Math.Pow(10, x).ToString("G3", CultureInfo.InvariantCulture),
        };
        plot.Axes.Bottom.Label.Text = "learning rate (log scale)";
        plot.Axes.Left.Label.Text = "training loss";
        plot.Title(curve.Diverged ? "learning-rate range test (stopped: the loss diverged)" : "learning-rate range test");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Font.Set(ReportFonts.Sans);
        ReportFiles.WriteAtomically(path, temporary => plot.SavePng(temporary, width, height));
    }

    private static (double Low, double High) VerticalRange(LearningRateCurve curve)
    {
        double low = double.PositiveInfinity, high = double.NegativeInfinity, best = double.PositiveInfinity;
        foreach (double value in curve.Losses.Select(loss => (double)loss).Concat(curve.SmoothedLosses))
        {
            if (double.IsFinite(value))
            {
                low = Math.Min(low, value);
                high = Math.Max(high, value);
            }
        }

        foreach (double value in curve.SmoothedLosses)
        {
            if (double.IsFinite(value))
            {
                best = Math.Min(best, value);
            }
        }

        if (!double.IsFinite(low) || curve.SmoothedLosses.Count == 0)
        {
            return (0, 0);
        }

        double first = double.IsFinite(curve.SmoothedLosses[0]) ? curve.SmoothedLosses[0] : high;
        high = Math.Min(high, Math.Max(first, 4 * best));
        double margin = Math.Max(0.05 * (high - low), 1e-6);
        return (low - margin, high + margin);
    }

    private static void AddSeries(Plot plot, LearningRateCurve curve, int count, Func<int, double> value, string label, float lineWidth)
    {
        var xs = new List<double>(count);
        var ys = new List<double>(count);
        for (int i = 0; i < count; i++)
        {
            double y = value(i);
            if (double.IsFinite(y) && curve.LearningRates[i] > 0)
            {
                xs.Add(Math.Log10(curve.LearningRates[i]));
                ys.Add(y);
            }
        }

        if (xs.Count == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
        scatter.LegendText = label;
        scatter.LineWidth = lineWidth;
        scatter.MarkerSize = 0;
    }
}
