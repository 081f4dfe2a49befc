using System;

namespace ModelDsl.Examples.DateTranslator.Tests;

public class AttentionTextTests
{
    [Fact]
    public void Render_ShadesByFractionOfTheLargestWeight()
    {
        // 5w/max: 5 -> 4 (█), 2.5 -> 2 (▒), 0 -> 0, 0.5 -> 0, 1.95 -> 1 (░), 3.95 -> 3 (▓).
        float[] weights = [1f, 0.5f, 0f, 0.1f, 0.39f, 0.79f];
        string text = AttentionText.Render(weights, targetLength: 2, sourceLength: 3, sourceText: "ab", targetText: "x");
        string expected =
            "     a b $ \n" +
            "   x ██▒▒  \n" +
            "</s>   ░░▓▓\n" +
            "     shades ' ░▒▓█': weight below 1/5 .. at least 4/5 of the largest (1.000); $ = </s>\n";
        Assert.Equal(expected, text);
    }

    [Fact]
    public void Render_ShowsSpacesAsOpenBox()
    {
        string text = AttentionText.Render([0.5f, 0.5f], 1, 2, "a ", "1");
        Assert.StartsWith("     a ␣ \n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_AllZero_IsBlank()
    {
        string text = AttentionText.Render(new float[4], 2, 2, "ab", "cd");
        Assert.Contains("   c     \n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => AttentionText.Render(new float[5], 2, 3, "ab", "x"));
        Assert.Throws<ArgumentException>(() => AttentionText.Render([0f, float.NaN], 1, 2, "ab", "x"));
        Assert.Throws<ArgumentException>(() => AttentionText.Render([0f, -0.1f], 1, 2, "ab", "x"));
        Assert.Throws<ArgumentException>(() => AttentionText.Render([0f, 1f], 1, 2, "abc", "x"));
        Assert.Throws<ArgumentException>(() => AttentionText.Render([0f, 1f], 1, 2, "ab", "xy"));
        Assert.Throws<ArgumentOutOfRangeException>(() => AttentionText.Render([], 0, 2, "ab", "x"));
    }
}
