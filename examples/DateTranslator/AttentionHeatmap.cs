using System;
using System.Globalization;
using System.IO;
using ScottPlot;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// Writes an attention matrix as a PNG heatmap (ScottPlot): one row per target position, one column per source
/// position, source characters under the columns, target characters beside the rows, and a colorbar.
/// </summary>
public static class AttentionHeatmap
{
    private const int CellPixels = 30;
    private const int TitlePixelsPerChar = 11;

    // ScottPlot's Fonts.Sans picks the first installed family when it knows none of its own choices (DejaVu Serif on
    // a plain Linux), so look for a common sans-serif family first.
    private static readonly Lazy<string> SansFont = new(() =>
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

    /// <summary>
    /// Writes <paramref name="weights"/>, <c>[targetLength, sourceLength]</c> row-major (row <c>t</c> is what target
    /// position <c>t</c> attended to), as a heatmap PNG at <paramref name="path"/>; missing folders are created.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="weights">Attention weights, <c>[targetLength, sourceLength]</c>, finite.</param>
    /// <param name="targetLength">Rows: decoder positions.</param>
    /// <param name="sourceLength">Columns: encoder positions.</param>
    /// <param name="sourceText">Labels of the columns, one character each; columns past its end are labeled <c>&lt;/s&gt;</c>.</param>
    /// <param name="targetText">Labels of the rows, one character each; rows past its end are labeled <c>&lt;/s&gt;</c>
    /// (the usual last row: the position that predicted end of sequence).</param>
    /// <param name="title">The title; by default <c>attention: "source" -> "target"</c>.</param>
    /// <remarks>The color scale runs from 0 to the largest weight, the same scale as <see cref="AttentionText"/>.</remarks>
    public static void WritePng(string path, ReadOnlySpan<float> weights, int targetLength, int sourceLength,
        string sourceText, string targetText, string? title = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        float max = AttentionText.CheckAndMax(weights, targetLength, sourceLength, sourceText, targetText);

        var data = new double[targetLength, sourceLength];
        for (int t = 0; t < targetLength; t++)
        {
            for (int s = 0; s < sourceLength; s++)
            {
                data[t, s] = weights[t * sourceLength + s];
            }
        }

        var plot = new Plot();
        try
        {
            var heatmap = plot.Add.Heatmap(data);
            heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
            heatmap.ManualRange = new ScottPlot.Range(0, max > 0 ? max : 1);
            // Cell (t, s) covers x in [s, s + 1] and y in [targetLength - t - 1, targetLength - t]: row 0 on top.
            heatmap.Rectangle = new CoordinateRect(0, sourceLength, 0, targetLength);
            var colorBar = plot.Add.ColorBar(heatmap);
            colorBar.Label = "weight";
            colorBar.LabelStyle.FontName = SansFont.Value;
            colorBar.LabelStyle.Bold = false;
            colorBar.Axis.TickLabelStyle.FontName = SansFont.Value;

            var columns = new double[sourceLength];
            var columnLabels = new string[sourceLength];
            for (int s = 0; s < sourceLength; s++)
            {
                columns[s] = s + 0.5;
                columnLabels[s] = AttentionText.Label(sourceText, s);
            }

            var rows = new double[targetLength];
            var rowLabels = new string[targetLength];
            for (int t = 0; t < targetLength; t++)
            {
                rows[t] = targetLength - t - 0.5;
                rowLabels[t] = AttentionText.Label(targetText, t);
            }

            plot.Axes.Bottom.SetTicks(columns, columnLabels);
            plot.Axes.Left.SetTicks(rows, rowLabels);
            plot.Axes.Bottom.TickLabelStyle.FontSize = 15;
            plot.Axes.Left.TickLabelStyle.FontSize = 15;
            plot.Axes.Bottom.Label.Text = "source";
            plot.Axes.Left.Label.Text = "target";
            plot.Axes.SetLimits(0, sourceLength, 0, targetLength);
            plot.HideGrid();
            title ??= string.Create(CultureInfo.InvariantCulture, $"attention: \"{sourceText}\" -> \"{targetText}\"");
            plot.Title(title);
            plot.Font.Set(SansFont.Value);

            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            // Cells stay roughly square: the data area gets CellPixels per cell, plus room for labels and the colorbar.
            // The title is about TitlePixelsPerChar wide per character and is not wrapped, so it can widen the figure.
            int width = Math.Max(Math.Max(480, sourceLength * CellPixels + 220), title.Length * TitlePixelsPerChar + 60);
            int height = Math.Max(320, targetLength * CellPixels + 160);
            plot.SavePng(path, width, height);
        }
        finally
        {
            plot.Dispose();
        }
    }
}
