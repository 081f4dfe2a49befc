using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;

namespace ModelDsl.Reports;

/// <summary>
/// One row of attention weights, e.g. a generated <c>StepDecoder</c>'s <c>CrossAttention(row, step)</c>: the weights over
/// the source positions when decoder row <paramref name="row"/> was fed its token at <paramref name="step"/>.
/// </summary>
/// <param name="row">The decoder row (hypothesis).</param>
/// <param name="step">The decoding step.</param>
/// <returns>One weight per valid source position.</returns>
public delegate ReadOnlySpan<float> AttentionRow(int row, int step);

/// <summary>
/// Writes an attention matrix as a PNG heatmap (ScottPlot): one row per target position, one column per source
/// position, the source tokens under the columns, the target tokens beside the rows, a colorbar from 0 to the largest
/// weight (Viridis). Works for any model whose generated <c>StepDecoder</c> keeps cross-attention weights
/// (<see cref="Collect"/> reads them), and for any matrix a user computes.
/// </summary>
public static class AttentionHeatmap
{
    private const int CellPixels = 30;
    private const int TitlePixelsPerChar = 11;

    /// <summary>
    /// Reads the attention of decoder row <paramref name="row"/> over <paramref name="steps"/> steps into a
    /// <c>[steps, sourceLength]</c> row-major matrix, e.g. after a greedy decode:
    /// <code>
    /// float[] weights = AttentionHeatmap.Collect(decoder.CrossAttention, row: 0, steps: outputLength + 1, decoder.SourceLength(0));
    /// </code>
    /// </summary>
    /// <param name="attention">The decoder's kept weights (the generated <c>StepDecoder.CrossAttention</c> method).</param>
    /// <param name="row">The decoder row whose attention to read.</param>
    /// <param name="steps">Steps to read, from step 0: the target rows of the matrix.</param>
    /// <param name="sourceLength">Source positions: the length of every weight row.</param>
    /// <exception cref="ArgumentException">A step's row does not hold <paramref name="sourceLength"/> weights.</exception>
    public static float[] Collect(AttentionRow attention, int row, int steps, int sourceLength)
    {
        ArgumentNullException.ThrowIfNull(attention);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceLength);
        var weights = new float[steps * sourceLength];
        for (int step = 0; step < steps; step++)
        {
            ReadOnlySpan<float> weightsAtStep = attention(row, step);
            if (weightsAtStep.Length != sourceLength)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"The attention of row {row} at step {step} has {weightsAtStep.Length} weights; sourceLength is {sourceLength}."), nameof(sourceLength));
            }

            weightsAtStep.CopyTo(weights.AsSpan(step * sourceLength, sourceLength));
        }

        return weights;
    }

    /// <summary>
    /// Writes <paramref name="weights"/>, <c>[targetLength, sourceLength]</c> row-major (row <c>t</c> is what target
    /// position <c>t</c> attended to), as a heatmap PNG at <paramref name="path"/>, labeled with one character per position.
    /// </summary>
    /// <param name="path">The PNG file to write (atomically; missing folders are created).</param>
    /// <param name="weights">Attention weights, <c>[targetLength, sourceLength]</c>, finite and non-negative.</param>
    /// <param name="targetLength">Rows: decoder positions.</param>
    /// <param name="sourceLength">Columns: encoder positions.</param>
    /// <param name="sourceText">Column labels, one character each; columns past its end are labeled <c>&lt;/s&gt;</c>.</param>
    /// <param name="targetText">Row labels, one character each; rows past its end are labeled <c>&lt;/s&gt;</c> (the usual
    /// last row: the position that predicted the end of the sequence).</param>
    /// <param name="title">The title; by default <c>attention: "source" -> "target"</c>.</param>
    public static void WritePng(string path, ReadOnlySpan<float> weights, int targetLength, int sourceLength,
        string sourceText, string targetText, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(sourceText);
        ArgumentNullException.ThrowIfNull(targetText);
        title ??= string.Create(CultureInfo.InvariantCulture, $"attention: \"{sourceText}\" -> \"{targetText}\"");
        WritePng(path, weights, targetLength, sourceLength, Characters(sourceText), Characters(targetText), title);
    }

    /// <summary>
    /// Writes <paramref name="weights"/>, <c>[targetLength, sourceLength]</c> row-major, as a heatmap PNG at
    /// <paramref name="path"/>, labeled with tokens (words, subwords, characters).
    /// </summary>
    /// <param name="path">The PNG file to write (atomically; missing folders are created).</param>
    /// <param name="weights">Attention weights, <c>[targetLength, sourceLength]</c>, finite and non-negative.</param>
    /// <param name="targetLength">Rows: decoder positions.</param>
    /// <param name="sourceLength">Columns: encoder positions.</param>
    /// <param name="sourceTokens">Column labels; columns past its end are labeled <c>&lt;/s&gt;</c>.</param>
    /// <param name="targetTokens">Row labels; rows past its end are labeled <c>&lt;/s&gt;</c>.</param>
    /// <param name="title">The title; none when null.</param>
    /// <remarks>The color scale runs from 0 to the largest weight, so the strongest link is always the brightest cell.</remarks>
    public static void WritePng(string path, ReadOnlySpan<float> weights, int targetLength, int sourceLength,
        IReadOnlyList<string> sourceTokens, IReadOnlyList<string> targetTokens, string? title = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        float max = CheckAndMax(weights, targetLength, sourceLength, sourceTokens, targetTokens);

        var data = new double[targetLength, sourceLength];
        for (int t = 0; t < targetLength; t++)
        {
            for (int s = 0; s < sourceLength; s++)
            {
                data[t, s] = weights[(t * sourceLength) + s];
            }
        }

        using var plot = new Plot();
        var heatmap = plot.Add.Heatmap(data);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, max > 0 ? max : 1);
        // Cell (t, s) covers x in [s, s + 1] and y in [targetLength - t - 1, targetLength - t]: row 0 on top.
        heatmap.Rectangle = new CoordinateRect(0, sourceLength, 0, targetLength);
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "weight";
        colorBar.LabelStyle.FontName = ReportFonts.Sans;
        colorBar.LabelStyle.Bold = false;
        colorBar.Axis.TickLabelStyle.FontName = ReportFonts.Sans;

        var columns = new double[sourceLength];
        var columnLabels = new string[sourceLength];
        int longestColumnLabel = 1;
        for (int s = 0; s < sourceLength; s++)
        {
            columns[s] = s + 0.5;
            columnLabels[s] = Label(sourceTokens, s);
            longestColumnLabel = Math.Max(longestColumnLabel, columnLabels[s].Length);
        }

        var rows = new double[targetLength];
        var rowLabels = new string[targetLength];
        for (int t = 0; t < targetLength; t++)
        {
            rows[t] = targetLength - t - 0.5;
            rowLabels[t] = Label(targetTokens, t);
        }

        plot.Axes.Bottom.SetTicks(columns, columnLabels);
        plot.Axes.Left.SetTicks(rows, rowLabels);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 15;
        plot.Axes.Left.TickLabelStyle.FontSize = 15;
        if (longestColumnLabel > 2)
        {
            // Words do not fit under a 30-pixel column: turn them.
            plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        }

        plot.Axes.Bottom.Label.Text = "source";
        plot.Axes.Left.Label.Text = "target";
        plot.Axes.SetLimits(0, sourceLength, 0, targetLength);
        plot.HideGrid();
        if (title is not null)
        {
            plot.Title(title);
        }

        plot.Font.Set(ReportFonts.Sans);

        // Cells stay roughly square: the data area gets CellPixels per cell, plus room for labels and the colorbar.
        // The title is about TitlePixelsPerChar wide per character and is not wrapped, so it can widen the figure.
        int width = Math.Max(Math.Max(480, (sourceLength * CellPixels) + 220), ((title?.Length ?? 0) * TitlePixelsPerChar) + 60);
        int height = Math.Max(320, (targetLength * CellPixels) + 160 + (longestColumnLabel > 2 ? Math.Min(longestColumnLabel, 20) * 9 : 0));
        ReportFiles.WriteAtomically(path, temporary => plot.SavePng(temporary, width, height));
    }

    /// <summary>The label of position <paramref name="index"/>: the token (a space shown as '␣'), or <c>&lt;/s&gt;</c> past the end.</summary>
    internal static string Label(IReadOnlyList<string> tokens, int index) =>
        index >= tokens.Count ? "</s>" : tokens[index] == " " ? "␣" : tokens[index];

    private static string[] Characters(string text)
    {
        var characters = new string[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            characters[i] = text[i].ToString();
        }

        return characters;
    }

    /// <summary>Checks the arguments and returns the largest weight.</summary>
    private static float CheckAndMax(ReadOnlySpan<float> weights, int targetLength, int sourceLength,
        IReadOnlyList<string> sourceTokens, IReadOnlyList<string> targetTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceLength);
        ArgumentNullException.ThrowIfNull(sourceTokens);
        ArgumentNullException.ThrowIfNull(targetTokens);
        if (weights.Length != (long)targetLength * sourceLength)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"weights has {weights.Length} values; [targetLength, sourceLength] = [{targetLength}, {sourceLength}] needs {(long)targetLength * sourceLength}."), nameof(weights));
        }

        if (sourceTokens.Count > sourceLength)
        {
            throw new ArgumentException($"There are {sourceTokens.Count} source labels; the matrix has {sourceLength} source columns.", nameof(sourceTokens));
        }

        if (targetTokens.Count > targetLength)
        {
            throw new ArgumentException($"There are {targetTokens.Count} target labels; the matrix has {targetLength} target rows.", nameof(targetTokens));
        }

        float max = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            if (!float.IsFinite(w) || w < 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"weights[{i}] (target {i / sourceLength}, source {i % sourceLength}) is {w}; attention weights are finite and non-negative."), nameof(weights));
            }

            max = Math.Max(max, w);
        }

        return max;
    }
}
