using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using ScottPlot;

namespace ModelDsl.Examples.Vision;

/// <summary>Draws scans as a grid of grey images, each with its predicted and true digit above it (red when wrong), as a PNG.</summary>
public static class PredictionGrid
{
    // ScottPlot's Fonts.Sans picks the first installed family when it knows none of its own choices (a serif on a plain
    // Linux), so look for a common sans-serif family first (as examples/DateTranslator does).
    internal static readonly Lazy<string> SansFont = new(() =>
    {
        foreach (string family in (string[])["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica"])
        {
            if (string.Equals(Fonts.GetTypeface(family, bold: false, italic: false).FamilyName, family, StringComparison.OrdinalIgnoreCase))
            {
                return family;
            }
        }

        return Fonts.Sans;
    });

    /// <summary>Writes the PNG atomically (a temporary file, then a rename); missing folders are created.</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="digits">The scans shown, row by row, <paramref name="columns"/> per row.</param>
    /// <param name="predictions">The model's digit for each scan.</param>
    /// <param name="columns">Scans per row of the grid.</param>
    /// <param name="title">The title.</param>
    public static void WritePng(string path, IReadOnlyList<Scan> digits, IReadOnlyList<int> predictions, int columns, string title)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (digits.Count == 0 || digits.Count != predictions.Count || columns < 1)
        {
            throw new ArgumentException($"{digits.Count} scans, {predictions.Count} predictions, {columns} columns: need as many predictions as scans (at least one) and a column.", nameof(predictions));
        }

        const int Side = 8, Cell = Side + 2; // one pixel of background around each scan, two rows for its label
        int rows = (digits.Count + columns - 1) / columns;
        var plot = new Plot();
        try
        {
            for (int n = 0; n < digits.Count; n++)
            {
                int gridRow = n / columns, gridColumn = n % columns;
                var data = new double[Side, Side];
                for (int y = 0; y < Side; y++)
                {
                    for (int x = 0; x < Side; x++)
                    {
                        data[y, x] = digits[n].Pixels[(y * Side) + x];
                    }
                }

                var heatmap = plot.Add.Heatmap(data);
                heatmap.Colormap = new ScottPlot.Colormaps.Grayscale();
                heatmap.ManualRange = new ScottPlot.Range(0, 1);
                double left = gridColumn * Cell, top = (rows - gridRow) * (Cell + 2);
                heatmap.Rectangle = new CoordinateRect(left, left + Side, top - Side, top);

                bool right = predictions[n] == digits[n].Digit;
                var label = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"{predictions[n]} ({digits[n].Digit})"), left + (Side / 2.0), top + 1.6);
                label.LabelFontSize = 14;
                label.LabelFontName = SansFont.Value;
                label.LabelFontColor = right ? Colors.Black : Colors.Red;
                label.LabelAlignment = Alignment.MiddleCenter;
            }

            double height = rows * (Cell + 2);
            var heading = plot.Add.Text(title, ((columns * Cell) - 2) / 2.0, height + 5);
            heading.LabelFontSize = 16;
            heading.LabelFontName = SansFont.Value;
            heading.LabelAlignment = Alignment.MiddleCenter;
            plot.HideGrid();
            plot.Axes.Frameless();
            plot.Axes.SetLimits(-1, (columns * Cell) - 1, 3, height + 7);
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            Directory.CreateDirectory(folder!);
            string temporary = Path.Combine(folder!, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp.png");
            try
            {
                plot.SavePng(temporary, 90 * columns, (110 * rows) + 50);
                File.Move(temporary, path, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
        }
        finally
        {
            plot.Dispose();
        }
    }
}
