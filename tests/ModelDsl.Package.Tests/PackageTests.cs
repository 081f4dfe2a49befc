using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ModelDsl.Package.Tests;

/// <summary>
/// The ModelDsl package as a user takes it: what it contains, a project outside the solution that references only
/// the package (builds, trains, decodes), and a model with a shape error whose build fails at the argument.
/// </summary>
public sealed class PackageTests(PackageFixture package) : IClassFixture<PackageFixture>
{
    // The generator's DiagnosticDescriptors.HelpLinkBase (internal to the generator, so written again here).
    private const string HelpLinkBase = "https://github.com/modeldsl/ModelDsl/blob/main/docs/diagnostics/";

    [Fact]
    public void Package_HoldsTheRuntimeItsDocsAndTheGenerator()
    {
        using ZipArchive zip = ZipFile.OpenRead(package.PackagePath);
        string[] entries = zip.Entries.Select(entry => entry.FullName).ToArray();
        Assert.Contains("lib/net10.0/ModelDsl.Runtime.dll", entries);
        Assert.Contains("lib/net10.0/ModelDsl.Runtime.xml", entries);
        Assert.Contains("analyzers/dotnet/cs/ModelDsl.Generator.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/ModelDsl.CodeFixes.dll", entries);
        Assert.Contains("README.md", entries);
        Assert.True(File.Exists(Path.ChangeExtension(package.PackagePath, ".snupkg")), "the symbols package is written beside it");

        using Stream nuspecStream = zip.Entries.Single(entry => entry.FullName == "ModelDsl.nuspec").Open();
        XElement metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(element => element.Name.LocalName == "metadata");
        string Field(string name) => metadata.Elements().Single(element => element.Name.LocalName == name).Value;
        Assert.Equal("ModelDsl", Field("id"));
        Assert.Equal(package.Version, Field("version"));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Field("description")));
        Assert.Contains("source-generator", Field("tags"), StringComparison.Ordinal);
        // The generator is inside the package, not a dependency; the runtime needs only System.Numerics.Tensors.
        string[] dependencies = metadata.Descendants().Where(element => element.Name.LocalName == "dependency")
            .Select(element => element.Attribute("id")!.Value).ToArray();
        Assert.Equal(["System.Numerics.Tensors"], dependencies);
    }

    [Fact]
    public void Consumer_ReferencingOnlyThePackage_BuildsTrainsAndDecodes()
    {
        ProcessResult run = package.Consumer("Trains", "run", "-c", "Release");
        Assert.True(run.ExitCode == 0, $"the consumer exited with {run.ExitCode}:\n{run.Text}");
        Assert.Contains("ok: the classifier's loss fell", run.Text, StringComparison.Ordinal);
        Assert.Contains("ok: the copier's loss fell by half", run.Text, StringComparison.Ordinal);
        Assert.Contains("ok: greedy decoding copied", run.Text, StringComparison.Ordinal);
        Assert.Contains("package consumer: OK", run.Text, StringComparison.Ordinal);
        Assert.Contains("Total params: 9,634", run.Text, StringComparison.Ordinal); // the generated Summary()
    }

    [Fact]
    public void Consumer_WithHeadsThatDoNotDivideTheWidth_FailsItsBuildWithMdsl1002AtTheArgument()
    {
        ProcessResult build = package.Consumer("ShapeError", "build", "-c", "Release");
        Assert.NotEqual(0, build.ExitCode);
        string[] errors = Regex.Matches(build.Text, @"(?<file>[^\s/\\]+\.cs)\((?<line>\d+),(?<column>\d+)\): error (?<id>\w+): (?<message>.*?) \[")
            .Select(match => $"{match.Groups["file"].Value}({match.Groups["line"].Value},{match.Groups["column"].Value}): {match.Groups["id"].Value}: {match.Groups["message"].Value}")
            .Distinct().ToArray();
        // Line 12, column 56 of ShapeError/Model.cs is where "Heads = 5" starts; the build shows the docs page after the
        // message; nothing else may be reported.
        Assert.Equal([$"Model.cs(12,56): MDSL1002: Encoder: Heads (5) must divide the model width D (64) ({HelpLinkBase}MDSL1002.md)"], errors);
    }

    [Fact]
    public void ReportsPackage_HoldsItsAssemblyAndDocs_AndDependsOnModelDslSpectreAndScottPlot()
    {
        using ZipArchive zip = ZipFile.OpenRead(package.ReportsPackagePath);
        string[] entries = zip.Entries.Select(entry => entry.FullName).ToArray();
        Assert.Contains("lib/net10.0/ModelDsl.Reports.dll", entries);
        Assert.Contains("lib/net10.0/ModelDsl.Reports.xml", entries);
        Assert.Contains("README.md", entries);
        Assert.DoesNotContain(entries, entry => entry.StartsWith("analyzers/", StringComparison.Ordinal)); // the generator comes with ModelDsl

        using Stream nuspecStream = zip.Entries.Single(entry => entry.FullName == "ModelDsl.Reports.nuspec").Open();
        XElement metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(element => element.Name.LocalName == "metadata");
        Assert.Equal(package.Version, metadata.Elements().Single(element => element.Name.LocalName == "version").Value);
        var dependencies = metadata.Descendants().Where(element => element.Name.LocalName == "dependency")
            .ToDictionary(element => element.Attribute("id")!.Value, element => element.Attribute("version")!.Value);
        Assert.Contains("ScottPlot", dependencies.Keys);
        Assert.Contains("Spectre.Console", dependencies.Keys);
        // Directory.Packages.props pins ScottPlot's drawing packages and ModelDsl's System.Numerics.Tensors (transitive pinning),
        // so they are listed too; nothing else is.
        Assert.All(dependencies.Keys.Where(id => id is not ("ModelDsl" or "ScottPlot" or "Spectre.Console" or "System.Numerics.Tensors")),
            id => Assert.True(id.StartsWith("SkiaSharp", StringComparison.Ordinal) || id.StartsWith("HarfBuzzSharp", StringComparison.Ordinal), id));
        Assert.Equal(package.Version, dependencies["ModelDsl"]);
    }

    [Fact]
    public void Consumer_ReferencingBothPackages_FitsWithTheReportsCallbacksAndPrintsTheDiagram()
    {
        ProcessResult run = package.Consumer("Reports", "run", "-c", "Release");
        Assert.True(run.ExitCode == 0, $"the consumer exited with {run.ExitCode}:\n{run.Text}");
        string[] lines = run.Text.Split('\n');
        // The generated diagram (Mermaid), then the redirected progress: plain lines, one per evaluation, a closing line.
        Assert.Contains("flowchart TD", lines);
        Assert.Contains("    Encoder --> Pool", lines);
        Assert.Contains("consumer: 300 steps (30 per epoch); metrics loss, accuracy", lines); // 960 examples in batches of 32
        Assert.Contains(lines, line => line.StartsWith("consumer step 300/300 (100%)  epoch ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("consumer evaluation at step 200 (epoch ", StringComparison.Ordinal) && line.Contains("): val loss ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("consumer: done after step 300 in ", StringComparison.Ordinal));
        Assert.Contains("ok: the classifier's loss fell", run.Text, StringComparison.Ordinal);
        Assert.Contains("ok: CurvesCallback wrote two pictures and the CSV", run.Text, StringComparison.Ordinal);
        Assert.Contains("ok: training-loss.png is a PNG", run.Text, StringComparison.Ordinal);
        Assert.Contains("ok: training-accuracy.png is a PNG", run.Text, StringComparison.Ordinal);
        Assert.Contains("ok: training.csv has a header and one row per step", run.Text, StringComparison.Ordinal);
        Assert.Contains("reports consumer: OK", run.Text, StringComparison.Ordinal);
    }
}
