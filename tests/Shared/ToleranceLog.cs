using System;
using System.Globalization;
using System.IO;

namespace ModelDsl.Tests.Support;

/// <summary>
/// How close each tolerance-based assertion runs to its bound. When the environment variable
/// <c>MODELDSL_TOLERANCE_LOG</c> names a file, every comparison helper (Compare.Close, Tolerance.Close,
/// GradientCheck) appends one line to it: the assertion's source location, what it compared, and its worst entry's
/// error as a fraction of the allowed error (1 = exactly at the bound). <c>.ci/tolerance-report</c> runs the suite
/// with it and lists the assertions above half their bound. Unset (the default, and on CI), nothing is written.
/// </summary>
public static class ToleranceLog
{
    private static readonly string? s_path = Environment.GetEnvironmentVariable("MODELDSL_TOLERANCE_LOG");
    private static readonly object s_gate = new();

    /// <summary>Records <paramref name="fraction"/> = worst error / allowed error for one assertion.</summary>
    public static void Record(string file, int line, string what, double fraction)
    {
        if (s_path is null)
        {
            return;
        }

        string text = string.Create(CultureInfo.InvariantCulture,
            $"{fraction:F4}\t{Path.GetFileName(file)}:{line}\t{what.Replace('\t', ' ').Replace('\n', ' ')}\n");
        lock (s_gate)
        {
            File.AppendAllText(s_path, text);
        }
    }
}
