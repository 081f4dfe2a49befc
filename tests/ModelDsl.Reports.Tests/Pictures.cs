using System;
using System.IO;
using SkiaSharp;

namespace ModelDsl.Reports.Tests;

/// <summary>Checks on written pictures, and a temporary folder per test class.</summary>
internal static class Pictures
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Asserts that <paramref name="path"/> is a PNG (signature) that decodes, and returns its size.</summary>
    public static (int Width, int Height) AssertPng(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > PngSignature.Length, path + " is too short for a PNG");
        Assert.Equal(PngSignature, bytes[..PngSignature.Length]);
        using SKBitmap? bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        return (bitmap.Width, bitmap.Height);
    }

    public static string NewFolder(string name) => Path.Combine(Path.GetTempPath(), "modeldsl-reports-" + name + "-" + Guid.NewGuid().ToString("N"));

    public static void Delete(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
