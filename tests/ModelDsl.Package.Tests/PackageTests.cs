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
}
