using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using ModelDsl.Data;

namespace ModelDsl.Examples.Vision;

/// <summary>One 8x8 scan: 64 pixels scaled to [0, 1] (row by row) and its digit.</summary>
/// <param name="Pixels">The 64 pixel counts / 16.</param>
/// <param name="Digit">0 to 9.</param>
public sealed record Scan(float[] Pixels, int Digit);

/// <summary>
/// The UCI optical-digits test set (1,797 scans by 13 writers) as scikit-learn ships it, <c>data/digits.csv.gz</c>: one line
/// per scan, 64 pixel counts 0..16 then the digit, comma-separated, no header (data/README.md).
/// </summary>
public static class Digits
{
    /// <summary>Scans in the file.</summary>
    public const int Count = 1797;

    /// <summary>The file beside the program.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");

    /// <summary>Reads every scan; a malformed line is an exception naming its line number and what is wrong.</summary>
    /// <param name="path">The gzip-compressed CSV.</param>
    public static Scan[] Load(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return Parse(reader, path);
    }

    /// <summary>Parses the CSV text of <paramref name="reader"/> (<paramref name="source"/> names it in errors).</summary>
    public static Scan[] Parse(TextReader reader, string source)
    {
        var digits = new List<Scan>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            string[] fields = line.Split(',');
            if (fields.Length != 65)
            {
                throw new InvalidDataException($"{source}, line {lineNumber}: {fields.Length} fields; expected 64 pixels and a digit.");
            }

            var pixels = new float[64];
            for (int i = 0; i < 64; i++)
            {
                if (!int.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count > 16)
                {
                    throw new InvalidDataException($"{source}, line {lineNumber}: pixel {i} is '{fields[i]}'; expected a count from 0 to 16.");
                }

                pixels[i] = count / 16f;
            }

            if (!int.TryParse(fields[64], NumberStyles.None, CultureInfo.InvariantCulture, out int digit) || digit > 9)
            {
                throw new InvalidDataException($"{source}, line {lineNumber}: the digit is '{fields[64]}'; expected 0 to 9.");
            }

            digits.Add(new Scan(pixels, digit));
        }

        return [.. digits];
    }

    /// <summary>The fixed 80/20 split: every fifth scan (file positions 4, 9, 14, ...) is held out for testing.</summary>
    public static (Scan[] Train, Scan[] Test) Split(IReadOnlyList<Scan> digits)
    {
        var train = new List<Scan>();
        var test = new List<Scan>();
        for (int i = 0; i < digits.Count; i++)
        {
            (i % 5 == 4 ? test : train).Add(digits[i]);
        }

        return ([.. train], [.. test]);
    }

    /// <summary>The scan as a classification example for the batch loaders.</summary>
    public static LabeledFeatures ToExample(Scan digit) => new(digit.Pixels, digit.Digit);
}
