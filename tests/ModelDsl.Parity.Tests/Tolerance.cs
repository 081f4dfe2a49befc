using System;
using System.Globalization;
using System.Runtime.CompilerServices;
using ModelDsl.Tests.Support;

namespace ModelDsl.Parity;

/// <summary>Comparisons with <c>torch.testing.assert_close</c>'s float32 defaults unless a test says otherwise.</summary>
public static class Tolerance
{
    /// <summary>assert_close's float32 relative tolerance.</summary>
    public const double Rtol = 1.3e-6;

    /// <summary>assert_close's float32 absolute tolerance.</summary>
    public const double Atol = 1e-5;

    /// <summary>Asserts <c>|actual - expected| &lt;= atol + rtol·|expected|</c> everywhere, naming the worst entry.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, double rtol = Rtol, double atol = Atol,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}.");
        int worst = -1;
        double worstRatio = 1;
        double largest = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - expected[i]);
            double ratio = diff / (atol + rtol * Math.Abs(expected[i]));
            largest = Math.Max(largest, double.IsNaN(ratio) ? double.PositiveInfinity : ratio);
            if (double.IsNaN(ratio) || ratio > worstRatio)
            {
                worst = i;
                worstRatio = double.IsNaN(ratio) ? double.PositiveInfinity : ratio;
            }
        }

        ToleranceLog.Record(file, line, what, largest);
        if (worst >= 0)
        {
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{what}[{worst}] = {actual[worst]:G9}, PyTorch {expected[worst]:G9}: {worstRatio:F1}x the tolerance (rtol {rtol}, atol {atol})."));
        }
    }
}
