using System;
using System.IO;

namespace ModelDsl.Examples.DateTranslator.Tests;

/// <summary>The pages that show this example's model show what the generator emits for it today.</summary>
public class DocsTests
{
    [Fact]
    public void TrainingPage_ShowsTheCurrentDiagramOfDateModel()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ModelDsl.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("ModelDsl.sln not found above " + AppContext.BaseDirectory);
        }

        string page = File.ReadAllText(Path.Combine(root, "docs", "training.md")).ReplaceLineEndings("\n");
        Assert.Contains("```mermaid\n" + DateModel.Mermaid() + "```\n", page, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "docs", "images", "date-translator-loss.png")), "docs/training.md shows images/date-translator-loss.png");
    }
}
