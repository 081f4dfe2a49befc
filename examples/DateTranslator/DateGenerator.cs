using System;
using System.Globalization;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>A human-written date and its ISO 8601 form.</summary>
public sealed record DatePair(string Source, string Target, DateOnly Date);

/// <summary>
/// Generates dates written the way people write them ("23 Nov 2026", "Monday, November 23, 2026",
/// "11/23/26", "23.11.2026", ...) paired with the ISO form ("2026-11-23"). Dates are uniform over
/// 1950–2049 so every day, month and century appears; the same seed gives the same pairs.
/// </summary>
public sealed class DateGenerator
{
    private static readonly DateOnly First = new(1950, 1, 1);
    private static readonly int Days = new DateOnly(2049, 12, 31).DayNumber - First.DayNumber + 1;

    /// <summary>The formats, in .NET custom format syntax, written with the invariant culture.</summary>
    public static readonly string[] Formats =
    [
        "d MMM yyyy",            // 23 Nov 2026
        "dd MMM yyyy",           // 23 Nov 2026 (zero-padded day)
        "d MMMM yyyy",           // 23 November 2026
        "dddd, MMMM d, yyyy",    // Monday, November 23, 2026
        "ddd, MMM d, yyyy",      // Mon, Nov 23, 2026
        "MMMM d, yyyy",          // November 23, 2026
        "MMM d yyyy",            // Nov 23 2026
        "MM/dd/yy",              // 11/23/26
        "M/d/yyyy",              // 11/23/2026
        "dd.MM.yyyy",            // 23.11.2026
        "d.M.yy",                // 23.11.26
        "yyyy/MM/dd",            // 2026/11/23
        "dd-MMM-yyyy",           // 23-Nov-2026
        "dddd d MMMM yyyy",      // Monday 23 November 2026
        "MMMM yyyy, d",          // November 2026, 23 (odd but seen in the wild)
    ];

    private readonly System.Random _random;

    /// <summary>Creates a generator; the same seed gives the same dates and formats.</summary>
    public DateGenerator(int seed) => _random = new System.Random(seed);

    /// <summary>The characters any source or target can contain, sorted, so ids are stable.</summary>
    public static string Alphabet { get; } = BuildAlphabet();

    /// <summary>The next pair, in a random format.</summary>
    public DatePair Next() => Write(First.AddDays(_random.Next(Days)), Formats[_random.Next(Formats.Length)]);

    /// <summary>Reads a date written in one of <see cref="Formats"/> (two-digit years map to 1950–2049, as generated).</summary>
    /// <param name="text">The written date.</param>
    /// <param name="date">The date, when the text matched a format.</param>
    /// <returns>Whether a format matched.</returns>
    public static bool TryParse(string text, out DateOnly date) =>
        DateOnly.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>The pair for <paramref name="date"/> written in <paramref name="format"/>.</summary>
    public static DatePair Write(DateOnly date, string format)
    {
        string source = date.ToString(format, CultureInfo.InvariantCulture);
        string target = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new DatePair(source, target, date);
    }

    private static string BuildAlphabet()
    {
        var chars = new System.Collections.Generic.SortedSet<char>();
        for (int month = 1; month <= 12; month++)
        {
            var date = new DateOnly(2024, month, 1);
            for (int day = 0; day < 7; day++)
            {
                foreach (var format in Formats)
                {
                    chars.UnionWith(date.AddDays(day).ToString(format, CultureInfo.InvariantCulture));
                }
            }
        }

        chars.UnionWith("0123456789-");
        return string.Concat(chars);
    }
}
