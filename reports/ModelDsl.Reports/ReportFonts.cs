using System;
using ScottPlot;

namespace ModelDsl.Reports;

/// <summary>The font family of every picture.</summary>
internal static class ReportFonts
{
    // ScottPlot's Fonts.Sans picks the first installed family when it knows none of its own choices (DejaVu Serif on
    // a plain Linux), so look for a common sans-serif family first.
    private static readonly Lazy<string> LazySans = new(() =>
    {
        foreach (string family in (string[])["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica"])
        {
            if (string.Equals(Fonts.GetTypeface(family, bold: false, italic: false).FamilyName, family, StringComparison.OrdinalIgnoreCase))
            {
                return family;
            }
        }

        return Fonts.Sans;
    });

    /// <summary>An installed sans-serif family (DejaVu Sans on most Linux machines).</summary>
    public static string Sans => LazySans.Value;
}
