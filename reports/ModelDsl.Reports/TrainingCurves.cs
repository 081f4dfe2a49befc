using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using ScottPlot;

namespace ModelDsl.Reports;

/// <summary>
/// Training curves as pictures and tables: <see cref="WritePng"/> draws series against the step (ScottPlot, one line
/// per series, a legend), <see cref="WriteCsv"/> writes them as one table with a <c>step</c> column. Files are written
/// atomically (temporary file, then rename); missing folders are created.
/// </summary>
public static partial class TrainingCurves
{
    /// <summary>Above this many points a series is drawn as a plain line; at or below, with a marker at each point.</summary>
    private const int MarkerLimit = 60;

    /// <summary>
    /// Draws <paramref name="curves"/> against the step into a PNG at <paramref name="path"/>: one line per series with a
    /// legend entry, non-finite values left out (a series with no finite value is not drawn).
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="curves">The series, drawn in order (the first one first, under the others).</param>
    /// <param name="title">The picture's title; none when null.</param>
    /// <param name="yLabel">The vertical axis' label, e.g. <c>loss</c>.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="logY">Draw the values on a log scale (base 10); non-positive values are left out.</param>
    public static void WritePng(string path, IReadOnlyList<Curve> curves, string? title = null, string yLabel = "value",
        int width = 800, int height = 480, bool logY = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckCurves(curves);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 100);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 100);

        using var plot = new Plot();
        foreach (Curve curve in curves)
        {
            var xs = new List<double>(curve.Count);
            var ys = new List<double>(curve.Count);
            for (int i = 0; i < curve.Count; i++)
            {
                double y = curve.Values[i];
                if (double.IsFinite(y) && (!logY || y > 0))
                {
                    xs.Add(curve.Steps[i]);
                    ys.Add(logY ? Math.Log10(y) : y);
                }
            }

            if (xs.Count == 0)
            {
                continue; // nothing to draw (a run stopped before its first step, a metric never evaluated)
            }

            var scatter = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            scatter.LegendText = curve.Name;
            scatter.LineWidth = curve.LineWidth;
            scatter.MarkerSize = xs.Count <= MarkerLimit ? 5 : 0;
        }

        if (logY)
        {
            var ticks = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = y => Math.Pow(10, y).ToString("G3", CultureInfo.InvariantCulture) };
            plot.Axes.Left.TickGenerator = ticks;
        }

        plot.Axes.Bottom.Label.Text = "step";
        plot.Axes.Left.Label.Text = yLabel;
        if (title is not null)
        {
            plot.Title(title);
        }

        plot.ShowLegend(Alignment.UpperRight);
        plot.Font.Set(ReportFonts.Sans);
        ReportFiles.WriteAtomically(path, temporary => plot.SavePng(temporary, width, height));
    }

    /// <summary>Writes <see cref="ToCsv"/> of <paramref name="curves"/> to <paramref name="path"/> (UTF-8).</summary>
    /// <param name="path">The CSV file to write.</param>
    /// <param name="curves">The series, one column each.</param>
    public static void WriteCsv(string path, IReadOnlyList<Curve> curves)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ReportFiles.WriteText(path, ToCsv(curves));
    }

    /// <summary>
    /// The series as one CSV table: a header <c>step,name1,name2,...</c>, then one line per step that any series has
    /// (ascending), each series' value at that step or an empty cell. Numbers use the invariant culture and round-trip
    /// (<c>R</c> format); lines end with <c>\n</c>.
    /// </summary>
    /// <param name="curves">The series, one column each; names must differ.</param>
    public static string ToCsv(IReadOnlyList<Curve> curves)
    {
        CheckCurves(curves);
        var steps = new SortedSet<long>();
        foreach (Curve curve in curves)
        {
            steps.UnionWith(curve.Steps);
        }

        var text = new StringBuilder("step");
        foreach (Curve curve in curves)
        {
            text.Append(',').Append(curve.Name);
        }

        text.Append('\n');
        int[] next = new int[curves.Count];
        foreach (long step in steps)
        {
            text.Append(step.ToString(CultureInfo.InvariantCulture));
            for (int c = 0; c < curves.Count; c++)
            {
                text.Append(',');
                Curve curve = curves[c];
                if (next[c] < curve.Count && curve.Steps[next[c]] == step)
                {
                    text.Append(curve.Values[next[c]].ToString("R", CultureInfo.InvariantCulture));
                    next[c]++;
                }
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static void CheckCurves(IReadOnlyList<Curve> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        if (curves.Count == 0)
        {
            throw new ArgumentException("At least one curve is needed.", nameof(curves));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < curves.Count; i++)
        {
            Curve curve = curves[i] ?? throw new ArgumentException($"curves[{i}] is null.", nameof(curves));
            if (!names.Add(curve.Name) || curve.Name == "step")
            {
                throw new ArgumentException($"Curve name '{curve.Name}' (curves[{i}]) is used twice or is 'step'; each series is one CSV column.", nameof(curves));
            }
        }
    }
}
