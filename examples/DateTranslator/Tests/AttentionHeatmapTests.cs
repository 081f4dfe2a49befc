using System;
using System.IO;
using SkiaSharp;

namespace ModelDsl.Examples.DateTranslator.Tests;

public sealed class AttentionHeatmapTests : IDisposable
{
    // Viridis, the colormap of the heatmap: its two ends.
    private static readonly SKColor Low = new(0x44, 0x01, 0x54);
    private static readonly SKColor High = new(0xFD, 0xE7, 0x25);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "attention-heatmap-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void WritePng_WritesAPngIntoANewFolder()
    {
        string path = Path.Combine(_folder, "nested", "attention.png");
        AttentionHeatmap.WritePng(path, Diagonal(11, 29), 11, 29, "Wednesday, September 27, 2023", "2023-09-27");
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], bytes[..8]);
        using var bitmap = SKBitmap.Decode(path);
        // At least 30 pixels per source column and target row, so 29 characters stay readable.
        Assert.True(bitmap.Width >= 29 * 30, $"width {bitmap.Width}");
        Assert.True(bitmap.Height >= 11 * 30, $"height {bitmap.Height}");
    }

    [Fact]
    public void WritePng_FirstTargetRowOnTop_FirstSourceColumnOnTheLeft()
    {
        // One weight of 1 at (target 0, source 0), the rest 0: the bright cell must be the heatmap's top-left cell.
        const int rows = 3, columns = 4;
        var weights = new float[rows * columns];
        weights[0] = 1;
        string path = Path.Combine(_folder, "corner.png");
        AttentionHeatmap.WritePng(path, weights, rows, columns, "abcd", "xyz");
        using var bitmap = SKBitmap.Decode(path);

        // The heatmap is the leftmost run of columns holding the low color (the colorbar, further right, also does).
        int left = -1, right = -1;
        for (int x = 0; x < bitmap.Width; x++)
        {
            bool any = false;
            for (int y = 0; y < bitmap.Height && !any; y++)
            {
                any = Near(bitmap.GetPixel(x, y), Low);
            }

            if (any && left < 0)
            {
                left = x;
            }
            else if (!any && left >= 0)
            {
                right = x - 1;
                break;
            }
        }

        Assert.True(left >= 0 && right > left, "no heatmap found");
        int top = int.MaxValue, bottom = -1;
        int highLeft = int.MaxValue, highRight = -1, highTop = int.MaxValue, highBottom = -1;
        for (int x = left; x <= right; x++)
        {
            for (int y = 0; y < bitmap.Height; y++)
            {
                SKColor pixel = bitmap.GetPixel(x, y);
                if (Near(pixel, Low) || Near(pixel, High))
                {
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }

                if (Near(pixel, High))
                {
                    (highLeft, highRight) = (Math.Min(highLeft, x), Math.Max(highRight, x));
                    (highTop, highBottom) = (Math.Min(highTop, y), Math.Max(highBottom, y));
                }
            }
        }

        double cellWidth = (right - left + 1) / (double)columns, cellHeight = (bottom - top + 1) / (double)rows;
        Assert.True(highRight >= 0, "no bright cell");
        // Within 2 pixels of the top-left cell's edges (anti-aliasing at the borders), and about one cell in size.
        Assert.InRange(highLeft, left, left + 2);
        Assert.InRange(highTop, top, top + 2);
        Assert.InRange(highRight - highLeft + 1, cellWidth - 2, cellWidth + 2);
        Assert.InRange(highBottom - highTop + 1, cellHeight - 2, cellHeight + 2);
    }

    [Fact]
    public void WritePng_RejectsAMismatchedMatrix()
    {
        string path = Path.Combine(_folder, "bad.png");
        Assert.Throws<ArgumentException>(() => AttentionHeatmap.WritePng(path, new float[5], 2, 3, "ab", "x"));
        Assert.False(File.Exists(path));
    }

    private static bool Near(SKColor a, SKColor b) =>
        Math.Abs(a.Red - b.Red) <= 8 && Math.Abs(a.Green - b.Green) <= 8 && Math.Abs(a.Blue - b.Blue) <= 8;

    private static float[] Diagonal(int rows, int columns)
    {
        var weights = new float[rows * columns];
        for (int t = 0; t < rows; t++)
        {
            weights[t * columns + t * (columns - 1) / (rows - 1)] = 1;
        }

        return weights;
    }
}
