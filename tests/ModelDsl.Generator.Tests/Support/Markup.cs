using Microsoft.CodeAnalysis.Text;

namespace ModelDsl.Generator.Tests.Support;

/// <summary>Test sources with one expected span marked as <c>[|...|]</c>.</summary>
internal static class Markup
{
    public static (string Source, TextSpan Span) Parse(string markup)
    {
        int start = markup.IndexOf("[|", System.StringComparison.Ordinal);
        int end = markup.IndexOf("|]", System.StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "The test source must mark the expected span with [| |].");
        string source = markup.Remove(end, 2).Remove(start, 2);
        return (source, TextSpan.FromBounds(start, end - 2));
    }
}
