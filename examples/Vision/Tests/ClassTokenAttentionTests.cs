using System;
using System.IO;
using SkiaSharp;

namespace ModelDsl.Examples.Vision.Tests;

/// <summary>The ViT attention picture: the class token's row averaged over heads, and the PNG it is drawn in.</summary>
public sealed class ClassTokenAttentionTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "vision-attention-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void PatchWeights_averages_the_class_tokens_row_over_the_heads_and_leaves_out_the_class_token()
    {
        // [B = 2, heads = 2, tokens = 3, tokens = 3]; every entry distinct, so a wrong row, head or column shows.
        const int heads = 2, tokens = 3;
        var probs = new float[2 * heads * tokens * tokens];
        for (int i = 0; i < probs.Length; i++)
        {
            probs[i] = i;
        }

        // Row 1 starts at 18; head 0's class-token row is [18, 19, 20], head 1's is [27, 28, 29]:
        // patches (19 + 28) / 2 = 23.5 and (20 + 29) / 2 = 24.5.
        Assert.Equal([23.5f, 24.5f], ClassTokenAttention.PatchWeights(probs, row: 1, heads, tokens));
        Assert.Equal([5.5f, 6.5f], ClassTokenAttention.PatchWeights(probs, row: 0, heads, tokens)); // (1 + 10) / 2, (2 + 11) / 2
        var missing = Assert.Throws<ArgumentException>(() => ClassTokenAttention.PatchWeights(probs, row: 2, heads, tokens));
        Assert.Contains("row 2", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WritePng_writes_a_picture_that_decodes_at_the_planned_size()
    {
        Scan[] scans = [Scan(3), Scan(7), Scan(1)];
        float[][] maps = [Map(0), Map(5), Map(15)];
        string path = Path.Combine(_folder, "nested", "attention.png");
        ClassTokenAttention.WritePng(path, scans, maps, [3, 7, 2], gridSide: 4, columns: 2, "test");

        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal(2 * 170, bitmap.Width); // 170 pixels per scan and its map
        Assert.Equal((2 * 120) + 50, bitmap.Height); // two rows of 120 and the title
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left
    }

    [Fact]
    public void WritePng_refuses_a_map_of_the_wrong_size_or_a_negative_weight_and_names_it()
    {
        string path = Path.Combine(_folder, "refused.png");
        float[] negative = Map(2);
        negative[9] = -0.5f;
        var size = Assert.Throws<ArgumentException>(() => ClassTokenAttention.WritePng(path, [Scan(1), Scan(2)], [Map(0), new float[15]], [1, 2], 4, 2, "t"));
        Assert.Contains("Attention map 1 has 15 weights; a 4x4 grid needs 16.", size.Message, StringComparison.Ordinal);
        var sign = Assert.Throws<ArgumentException>(() => ClassTokenAttention.WritePng(path, [Scan(1)], [negative], [1], 4, 1, "t"));
        Assert.Contains("Attention map 0, patch 9: weight -0.5", sign.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    private static Scan Scan(int digit)
    {
        var pixels = new float[64];
        for (int i = 0; i < 64; i++)
        {
            pixels[i] = ((i * 7) + digit) % 17 / 16f;
        }

        return new Scan(pixels, digit);
    }

    // One patch holds most of the weight, the others share the rest.
    private static float[] Map(int peak)
    {
        var map = new float[16];
        Array.Fill(map, 0.02f);
        map[peak] = 0.7f;
        return map;
    }
}
