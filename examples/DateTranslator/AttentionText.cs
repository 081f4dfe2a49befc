using System;
using System.Globalization;
using System.Text;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// Renders an attention matrix as plain text for the console: one line per target character, one two-character
/// cell per source character, shaded with <c>' ░▒▓█'</c> by weight.
/// </summary>
public static class AttentionText
{
    private const string Shades = " ░▒▓█";

    /// <summary>
    /// The text rendering of <paramref name="weights"/>, <c>[targetLength, sourceLength]</c> row-major: a header line
    /// with the source characters, then one line per target position starting with its character.
    /// </summary>
    /// <param name="weights">Attention weights, <c>[targetLength, sourceLength]</c>, finite.</param>
    /// <param name="targetLength">Rows: decoder positions.</param>
    /// <param name="sourceLength">Columns: encoder positions.</param>
    /// <param name="sourceText">Labels of the columns; columns past its end are labeled <c>&lt;/s&gt;</c>.</param>
    /// <param name="targetText">Labels of the rows; rows past its end are labeled <c>&lt;/s&gt;</c>.</param>
    /// <remarks>
    /// Shade <c>k</c> of 0..4 is <c>floor(5 w / max)</c> clamped to 4, where <c>max</c> is the largest weight of the
    /// matrix: the same 0..max scale as the PNG, so a blank cell is below a fifth of the strongest link.
    /// </remarks>
    public static string Render(ReadOnlySpan<float> weights, int targetLength, int sourceLength, string sourceText, string targetText)
    {
        float max = CheckAndMax(weights, targetLength, sourceLength, sourceText, targetText);
        const int labelWidth = 4;
        var text = new StringBuilder((targetLength + 2) * (labelWidth + 2 * sourceLength + 2));
        text.Append(' ', labelWidth + 1);
        for (int s = 0; s < sourceLength; s++)
        {
            string label = Label(sourceText, s);
            text.Append(label.Length == 1 ? label : "$").Append(' ');
        }

        text.Append('\n');
        for (int t = 0; t < targetLength; t++)
        {
            text.Append(Label(targetText, t).PadLeft(labelWidth)).Append(' ');
            for (int s = 0; s < sourceLength; s++)
            {
                float w = weights[t * sourceLength + s];
                int shade = max > 0 ? Math.Clamp((int)(5 * w / max), 0, Shades.Length - 1) : 0;
                text.Append(Shades[shade], 2);
            }

            text.Append('\n');
        }

        text.Append(string.Create(CultureInfo.InvariantCulture,
            $"{"",labelWidth} shades ' ░▒▓█': weight below 1/5 .. at least 4/5 of the largest ({max:F3})"));
        text.Append(sourceLength > sourceText.Length ? "; $ = </s>\n" : "\n");
        return text.ToString();
    }

    /// <summary>The label of position <paramref name="index"/>: the character (a space shown as '␣'), or <c>&lt;/s&gt;</c> past the end.</summary>
    internal static string Label(string text, int index) =>
        index >= text.Length ? "</s>" : text[index] == ' ' ? "␣" : text[index].ToString();

    /// <summary>Checks the arguments shared by the renderings and returns the largest weight.</summary>
    internal static float CheckAndMax(ReadOnlySpan<float> weights, int targetLength, int sourceLength, string sourceText, string targetText)
    {
        Guard.Positive(targetLength);
        Guard.Positive(sourceLength);
        Guard.Length(weights, (long)targetLength * sourceLength);
        ArgumentNullException.ThrowIfNull(sourceText);
        ArgumentNullException.ThrowIfNull(targetText);
        if (sourceText.Length > sourceLength)
        {
            throw new ArgumentException($"sourceText has {sourceText.Length} characters; the matrix has {sourceLength} source columns.", nameof(sourceText));
        }

        if (targetText.Length > targetLength)
        {
            throw new ArgumentException($"targetText has {targetText.Length} characters; the matrix has {targetLength} target rows.", nameof(targetText));
        }

        float max = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            if (!float.IsFinite(w) || w < 0)
            {
                throw new ArgumentException($"weights[{i}] (target {i / sourceLength}, source {i % sourceLength}) is {w}; attention weights are finite and non-negative.", nameof(weights));
            }

            max = Math.Max(max, w);
        }

        return max;
    }
}
