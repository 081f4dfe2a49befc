using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace ModelDsl.Generator.Emit;

/// <summary>C# literals in the invariant culture; floats round-trip.</summary>
internal static class Literals
{
    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A float literal that parses back to the same bits, e.g. <c>0.1f</c>.</summary>
    public static string Float(float value)
    {
        if (float.IsNaN(value))
        {
            return "float.NaN";
        }

        if (float.IsInfinity(value))
        {
            return value > 0 ? "float.PositiveInfinity" : "float.NegativeInfinity";
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.IndexOf('E') >= 0 || text.IndexOf('.') >= 0)
        {
            return text + "f";
        }

        return text + ".0f";
    }

    public static string String(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': builder.Append("\\\\"); break;
                case '"': builder.Append("\\\""); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < ' ' || c > '~')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary>Escapes text for an XML doc comment.</summary>
    public static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    public static string Ints(IEnumerable<long> values)
    {
        var parts = new List<string>();
        foreach (long value in values)
        {
            parts.Add(Int(value));
        }

        return string.Join(", ", parts);
    }

    /// <summary>Thousands-separated count for comments and summaries, e.g. <c>148,034</c>.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
