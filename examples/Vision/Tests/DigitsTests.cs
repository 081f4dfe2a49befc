using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using ModelDsl.Data;

namespace ModelDsl.Examples.Vision.Tests;

/// <summary>The example's data: the shipped file, its parsing, the fixed split and the batches the model trains on.</summary>
public sealed class DigitsTests
{
    private static readonly Lazy<Scan[]> All = new(() => Digits.Load(Digits.DefaultPath));

    [Fact]
    public void The_shipped_file_is_scikit_learns_copy()
    {
        // The SHA-256 of sklearn/datasets/data/digits.csv.gz in Debian's python3-sklearn 1.2.1+dfsg-1 (data/README.md).
        byte[] hash = SHA256.HashData(File.ReadAllBytes(Digits.DefaultPath));
        Assert.Equal("46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a", Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void Every_scan_loads_with_64_pixels_in_0_to_1_and_the_UCI_class_counts()
    {
        Scan[] all = All.Value;
        Assert.Equal(Digits.Count, all.Length);
        Assert.All(all, scan => Assert.Equal(64, scan.Pixels.Length));
        Assert.All(all, scan => Assert.All(scan.Pixels, p => Assert.InRange(p, 0f, 1f)));
        Assert.Contains(all, scan => scan.Pixels.Contains(1f)); // the counts reach 16

        // The test set's class distribution as the UCI data set's description lists it (0: 178, 1: 182, ...).
        int[] counts = [.. Enumerable.Range(0, 10).Select(d => all.Count(scan => scan.Digit == d))];
        Assert.Equal([178, 182, 177, 183, 181, 182, 181, 179, 174, 180], counts);

        // The first line of the file: a 0 (values from the file, divided by 16).
        Assert.Equal(0, all[0].Digit);
        Assert.Equal([0f, 0f, 5 / 16f, 13 / 16f, 9 / 16f, 1 / 16f, 0f, 0f], all[0].Pixels[..8]);
    }

    [Fact]
    public void The_split_is_fixed_80_20_and_disjoint()
    {
        (Scan[] train, Scan[] test) = Digits.Split(All.Value);
        Assert.Equal(1438, train.Length);
        Assert.Equal(359, test.Length);
        Assert.Same(All.Value[4], test[0]);
        Assert.Same(All.Value[9], test[1]);
        Assert.Same(All.Value[0], train[0]);
        Assert.Empty(train.Intersect(test, ReferenceEqualityComparer.Instance));
        Assert.All(Enumerable.Range(0, 10), d => Assert.Contains(test, scan => scan.Digit == d));
    }

    [Theory]
    [InlineData("1,2,3\n", "line 1: 3 fields; expected 64 pixels and a digit.")]
    [InlineData("\n0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,17,3\n", "line 2: pixel 63 is '17'; expected a count from 0 to 16.")]
    [InlineData("0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,x\n", "line 1: the digit is 'x'; expected 0 to 9.")]
    public void A_malformed_line_is_named(string text, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => Digits.Parse(new StringReader(text), "digits.csv"));
        Assert.Equal("digits.csv, " + message, error.Message);
    }

    [Fact]
    public void The_loader_fills_the_generated_batch_with_the_scans_and_digits()
    {
        (Scan[] _, Scan[] test) = Digits.Split(All.Value);
        var loader = new BatchLoader<DigitCnn.Batch, LabeledFeatures>(
            test.Select(Digits.ToExample).ToArray(), RowWriters.FeatureClassification<DigitCnn.Batch>(), new LoaderOptions { Shuffle = false });
        var batch = new DigitCnn.Batch();
        Assert.Equal(DigitCnn.MaxBatch, loader.Fill(batch, 0));
        Assert.Equal(DigitCnn.MaxBatch, batch.Count);
        for (int row = 0; row < batch.Count; row++)
        {
            Assert.Equal(test[row].Pixels, batch.Pixels.AsSpan(row * 64, 64).ToArray());
            Assert.Equal(test[row].Digit, batch.Labels[row]);
        }
    }
}
