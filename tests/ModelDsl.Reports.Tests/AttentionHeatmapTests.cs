using System;
using System.IO;
using ModelDsl.Decoding;
using SkiaSharp;

namespace ModelDsl.Reports.Tests;

public sealed class AttentionHeatmapTests : IDisposable
{
    // Viridis, the colormap of the heatmap: its two ends.
    private static readonly SKColor Low = new(0x44, 0x01, 0x54);
    private static readonly SKColor High = new(0xFD, 0xE7, 0x25);

    private readonly string _folder = Pictures.NewFolder("heatmap");

    public void Dispose() => Pictures.Delete(_folder);

    [Fact]
    public void WritePng_writes_a_png_into_a_new_folder_with_room_for_every_cell()
    {
        string path = Path.Combine(_folder, "nested", "attention.png");
        AttentionHeatmap.WritePng(path, Diagonal(11, 29), 11, 29, "Wednesday, September 27, 2023", "2023-09-27");
        (int width, int height) = Pictures.AssertPng(path);
        // At least 30 pixels per source column and target row, so 29 characters stay readable.
        Assert.True(width >= 29 * 30, $"width {width}");
        Assert.True(height >= 11 * 30, $"height {height}");
    }

    [Fact]
    public void WritePng_takes_word_labels()
    {
        string path = Path.Combine(_folder, "words.png");
        AttentionHeatmap.WritePng(path, Diagonal(3, 4), 3, 4, ["the", "cat", "sat", "down"], ["le", "chat"], title: "words");
        (int width, int height) = Pictures.AssertPng(path);
        Assert.True(width >= 4 * 30 && height >= 3 * 30, $"{width} x {height}");
    }

    [Fact]
    public void WritePng_puts_the_first_target_row_on_top_and_the_first_source_column_on_the_left()
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
    public void WritePng_rejects_a_mismatched_matrix_and_bad_weights_and_writes_nothing()
    {
        string path = Path.Combine(_folder, "bad.png");
        Assert.Contains("weights has 5 values; [targetLength, sourceLength] = [2, 3] needs 6",
            Assert.Throws<ArgumentException>(() => AttentionHeatmap.WritePng(path, new float[5], 2, 3, "ab", "x")).Message, StringComparison.Ordinal);
        float[] weights = [0, 0.5f, 0.5f, 0, float.NaN, 1];
        Assert.Contains("weights[4] (target 1, source 1) is NaN",
            Assert.Throws<ArgumentException>(() => AttentionHeatmap.WritePng(path, weights, 2, 3, "ab", "x")).Message, StringComparison.Ordinal);
        Assert.Contains("4 source labels; the matrix has 3 source columns",
            Assert.Throws<ArgumentException>(() => AttentionHeatmap.WritePng(path, new float[6], 2, 3, "abcd", "x")).Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Collect_reads_rows_step_by_step_and_checks_their_length()
    {
        float[] kept = [0.1f, 0.9f, 0.7f, 0.3f, 0.5f, 0.5f];
        float[] weights = AttentionHeatmap.Collect((row, step) => kept.AsSpan(step * 2, 2), row: 0, steps: 3, sourceLength: 2);
        Assert.Equal(kept, weights);
        Assert.Contains("row 0 at step 0 has 2 weights; sourceLength is 3",
            Assert.Throws<ArgumentException>(() => AttentionHeatmap.Collect((row, step) => kept.AsSpan(0, 2), 0, 1, 3)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_generated_StepDecoder_gives_its_cross_attention_as_a_heatmap()
    {
        const int Bos = 1, Eos = 2;
        var model = new HeatmapCopier(seed: 3);
        var batch = new HeatmapCopier.Batch { Count = 1 };
        int[] source = [3, 4, 5, 6];
        batch.SetSource(0, source);
        using var decoder = model.CreateDecoder(maxRows: 1);
        decoder.Begin(batch);
        var greedy = new GreedySearch(1, HeatmapCopier.TargetLength, HeatmapCopier.Vocab);
        greedy.Run(decoder, 1, Bos, Eos, HeatmapCopier.TargetLength);

        int steps = greedy.Steps;
        Assert.Equal(source.Length, decoder.SourceLength(0));
        float[] weights = AttentionHeatmap.Collect(decoder.CrossAttention, row: 0, steps, decoder.SourceLength(0));
        for (int step = 0; step < steps; step++)
        {
            float sum = 0;
            for (int s = 0; s < source.Length; s++)
            {
                sum += weights[(step * source.Length) + s];
            }

            // Each step's weights are a softmax over the 4 valid positions (mean over heads): they sum to 1 up to float rounding.
            Assert.InRange(sum, 1 - 1e-5f, 1 + 1e-5f);
        }

        string path = Path.Combine(_folder, "decoder.png");
        AttentionHeatmap.WritePng(path, weights, steps, source.Length, ["3", "4", "5", "6"], [], title: "untrained copier");
        Pictures.AssertPng(path);
    }

    private static bool Near(SKColor a, SKColor b) =>
        Math.Abs(a.Red - b.Red) <= 8 && Math.Abs(a.Green - b.Green) <= 8 && Math.Abs(a.Blue - b.Blue) <= 8;

    private static float[] Diagonal(int rows, int columns)
    {
        var weights = new float[rows * columns];
        for (int t = 0; t < rows; t++)
        {
            weights[(t * columns) + (t * (columns - 1) / (rows - 1))] = 1;
        }

        return weights;
    }
}

/// <summary>A small Transformer encoder-decoder whose StepDecoder keeps cross-attention weights.</summary>
[Model(MaxBatch = 4)]
public partial class HeatmapCopier
{
    public const int Vocab = 10, D = 16, SourceLength = 6, TargetLength = SourceLength + 1;

    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [LearnedPositions(SourceLength)] public partial Positions SourcePositions { get; }
    [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 32, Mask = Masks.KeyPadding, Dropout = 0f)]
    public partial EncoderStack Encoder { get; }
    [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [LearnedPositions(TargetLength)] public partial Positions TargetPositions { get; }
    [TransformerDecoder(Layers = 1, Heads = 2, FeedForward = 32, Memory = nameof(Encoder), Dropout = 0f)]
    public partial DecoderStack Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}
