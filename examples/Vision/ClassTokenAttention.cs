using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using ScottPlot;

namespace ModelDsl.Examples.Vision;

/// <summary>
/// The ViT's attention from the class token over the patches: read from a trainer's saved attention probabilities
/// (<c>[B, heads, 1 + N, 1 + N]</c>, the generated <c>Trainer.Activation("encoder_layers_L_self_attn_probs")</c>), averaged
/// over the heads, laid out on the patch grid, and drawn next to each scan as a PNG.
/// </summary>
public static class ClassTokenAttention
{
    /// <summary>
    /// The class token's attention over the <c>tokens - 1</c> patches for batch row <paramref name="row"/>, averaged over the
    /// heads: <c>mean over h of probs[row, h, 0, 1 + n]</c>, in patch order (row by row of the patch grid). The weight the
    /// class token gives itself (<c>probs[row, h, 0, 0]</c>) is left out, so the patches' weights sum to at most 1.
    /// </summary>
    /// <param name="probs">Attention probabilities <c>[B, heads, tokens, tokens]</c>, row-major, at least <paramref name="row"/> + 1 rows.</param>
    /// <param name="row">The batch row.</param>
    /// <param name="heads">Heads of the layer.</param>
    /// <param name="tokens">Positions: the class token and the patches.</param>
    /// <exception cref="ArgumentException"><paramref name="probs"/> does not hold row <paramref name="row"/>.</exception>
    public static float[] PatchWeights(ReadOnlySpan<float> probs, int row, int heads, int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 2);
        int perRow = heads * tokens * tokens;
        if (probs.Length < (row + 1) * perRow)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{probs.Length} probabilities hold {probs.Length / perRow} rows of {heads} x {tokens} x {tokens}; row {row} is not among them."), nameof(probs));
        }

        var weights = new float[tokens - 1];
        for (int h = 0; h < heads; h++)
        {
            ReadOnlySpan<float> classRow = probs.Slice((row * perRow) + (h * tokens * tokens), tokens); // query 0: the class token
            for (int n = 1; n < tokens; n++)
            {
                weights[n - 1] += classRow[n] / heads;
            }
        }

        return weights;
    }

    /// <summary>
    /// Writes one panel pair per scan, <paramref name="columns"/> pairs per row: the scan (grey) and, right of it, the class
    /// token's attention over its <c>gridSide x gridSide</c> patches (Viridis, each map scaled to its own largest weight), with
    /// the predicted and true digit above. Atomic (a temporary file, then a rename); missing folders are created.
    /// </summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="digits">The scans.</param>
    /// <param name="weights">Per scan, <c>gridSide²</c> patch weights (<see cref="PatchWeights"/>), finite and non-negative.</param>
    /// <param name="predictions">The model's digit for each scan.</param>
    /// <param name="gridSide">Patches per side of the grid (4 for 2x2 patches of an 8x8 scan).</param>
    /// <param name="columns">Scans per row of the picture.</param>
    /// <param name="title">The title.</param>
    /// <exception cref="ArgumentException">Counts that do not match, or a weight that is negative or not finite (named).</exception>
    public static void WritePng(string path, IReadOnlyList<Scan> digits, IReadOnlyList<float[]> weights, IReadOnlyList<int> predictions,
        int gridSide, int columns, string title)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(gridSide);
        if (digits.Count == 0 || digits.Count != weights.Count || digits.Count != predictions.Count || columns < 1)
        {
            throw new ArgumentException($"{digits.Count} scans, {weights.Count} attention maps, {predictions.Count} predictions, {columns} columns: need one map and one prediction per scan (at least one) and a column.", nameof(weights));
        }

        for (int n = 0; n < weights.Count; n++)
        {
            if (weights[n].Length != gridSide * gridSide)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Attention map {n} has {weights[n].Length} weights; a {gridSide}x{gridSide} grid needs {gridSide * gridSide}."), nameof(weights));
            }

            for (int i = 0; i < weights[n].Length; i++)
            {
                if (!float.IsFinite(weights[n][i]) || weights[n][i] < 0)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Attention map {n}, patch {i}: weight {weights[n][i]} is not a finite non-negative number."), nameof(weights));
                }
            }
        }

        const int Side = 8, Pair = (2 * Side) + 1, Cell = Pair + 2, RowHeight = Side + 4;
        int rows = (digits.Count + columns - 1) / columns;
        var plot = new Plot();
        try
        {
            for (int n = 0; n < digits.Count; n++)
            {
                double left = (n % columns) * Cell, top = (rows - (n / columns)) * RowHeight;
                var scan = new double[Side, Side];
                for (int y = 0; y < Side; y++)
                {
                    for (int x = 0; x < Side; x++)
                    {
                        scan[y, x] = digits[n].Pixels[(y * Side) + x];
                    }
                }

                var image = plot.Add.Heatmap(scan);
                image.Colormap = new ScottPlot.Colormaps.Grayscale();
                image.ManualRange = new ScottPlot.Range(0, 1);
                image.Rectangle = new CoordinateRect(left, left + Side, top - Side, top);

                var map = new double[gridSide, gridSide];
                float largest = 0;
                for (int i = 0; i < gridSide * gridSide; i++)
                {
                    map[i / gridSide, i % gridSide] = weights[n][i];
                    largest = Math.Max(largest, weights[n][i]);
                }

                var attention = plot.Add.Heatmap(map);
                attention.Colormap = new ScottPlot.Colormaps.Viridis();
                attention.ManualRange = new ScottPlot.Range(0, largest > 0 ? largest : 1);
                attention.Rectangle = new CoordinateRect(left + Side + 1, left + Pair, top - Side, top);

                bool right = predictions[n] == digits[n].Digit;
                var label = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"{predictions[n]} ({digits[n].Digit})"), left + (Pair / 2.0), top + 1.6);
                label.LabelFontSize = 14;
                label.LabelFontName = PredictionGrid.SansFont.Value;
                label.LabelFontColor = right ? Colors.Black : Colors.Red;
                label.LabelAlignment = Alignment.MiddleCenter;
            }

            double height = rows * RowHeight;
            var heading = plot.Add.Text(title, ((columns * Cell) - 2) / 2.0, height + 5);
            heading.LabelFontSize = 16;
            heading.LabelFontName = PredictionGrid.SansFont.Value;
            heading.LabelAlignment = Alignment.MiddleCenter;
            plot.HideGrid();
            plot.Axes.Frameless();
            plot.Axes.SetLimits(-1, (columns * Cell) - 1, 3, height + 7);
            string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(folder);
            string temporary = Path.Combine(folder, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp.png");
            try
            {
                plot.SavePng(temporary, 170 * columns, (120 * rows) + 50);
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
