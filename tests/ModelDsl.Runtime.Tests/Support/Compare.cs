using System;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace ModelDsl.Tests.Support;

/// <summary>Element-wise comparison with a mixed absolute/relative tolerance, reporting the worst entry.</summary>
public static class Compare
{
    /// <summary>Asserts <c>|actual - expected| &lt;= atol + rtol * |expected|</c> for every entry.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what = "values",
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}.");
        int worst = -1;
        double worstExcess = 0;
        double worstFraction = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - expected[i]);
            double allowed = atol + rtol * Math.Abs(expected[i]);
            worstFraction = Math.Max(worstFraction, Fraction(diff, allowed));
            bool bad = !(diff <= allowed) || float.IsNaN(actual[i]) != float.IsNaN(expected[i]);
            if (bad && (worst < 0 || diff - allowed > worstExcess || double.IsNaN(diff)))
            {
                worst = i;
                worstExcess = double.IsNaN(diff) ? double.PositiveInfinity : diff - allowed;
            }
        }

        ToleranceLog.Record(file, line, what, worstFraction);
        if (worst >= 0)
        {
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{what}[{worst}] = {actual[worst]:G9}, expected {expected[worst]:G9} (rtol {rtol}, atol {atol})."));
        }
    }

    /// <summary>Double-precision variant of <see cref="Close(ReadOnlySpan{float}, ReadOnlySpan{float}, double, double, string)"/>.</summary>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rtol, double atol, string what = "values",
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}.");
        double worstFraction = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            worstFraction = Math.Max(worstFraction, Fraction(diff, atol + rtol * Math.Abs(expected[i])));
            if (!(diff <= atol + rtol * Math.Abs(expected[i])))
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}] = {actual[i]:G17}, expected {expected[i]:G17} (rtol {rtol}, atol {atol})."));
            }
        }

        ToleranceLog.Record(file, line, what, worstFraction);
    }

    // The error as a fraction of the allowed error, for ToleranceLog (an exact match is 0 even when nothing is allowed).
    private static double Fraction(double diff, double allowed) =>
        diff == 0 ? 0 : double.IsNaN(diff) ? double.PositiveInfinity : diff / allowed;
}
