using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelDsl.Generator.Tests.Support;

/// <summary>Compiles test sources against the framework and the real ModelDsl runtime, and runs the generator.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(LoadReferences);

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    // Compilations derived from one empty compilation share its bound references (the costly part of creating one).
    private static readonly Lazy<CSharpCompilation> Empty = new(() => CSharpCompilation.Create(
        "ModelDsl.Generator.TestInput",
        [],
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, deterministic: true)));

    public static CSharpCompilation Compilation(params string[] sources) => Empty.Value.AddSyntaxTrees(
        sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: "Input" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".cs")));

    public static GeneratorDriver Driver() => CSharpGeneratorDriver.Create(
        [new ModelGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once over <paramref name="sources"/>.</summary>
    public static GeneratorOutcome Run(params string[] sources)
    {
        CSharpCompilation compilation = Compilation(sources);
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> driverDiagnostics);
        return new GeneratorOutcome(driver.GetRunResult().Results.Single(), output, driverDiagnostics);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string trusted = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty;
        var paths = trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => Path.GetFileName(path) is "System.Runtime.dll" or "System.Private.CoreLib.dll" or "System.Collections.dll" or "System.Memory.dll"
                or "System.Runtime.InteropServices.dll" or "System.Linq.dll" or "netstandard.dll" or "mscorlib.dll" or "System.Console.dll")
            .ToList();
        paths.Add(typeof(ModelAttribute).Assembly.Location);
        return [.. paths.Distinct(StringComparer.Ordinal).OrderBy(path => path, StringComparer.Ordinal).Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))];
    }
}

/// <summary>One generator run: its result, the compilation with the generated files, and the driver's own diagnostics.</summary>
internal sealed record GeneratorOutcome(GeneratorRunResult Result, Compilation Output, ImmutableArray<Diagnostic> DriverDiagnostics)
{
    /// <summary>Diagnostics the generator reported.</summary>
    public ImmutableArray<Diagnostic> GeneratorDiagnostics => Result.Diagnostics;

    /// <summary>Generated files ordered by hint name.</summary>
    public IReadOnlyList<GeneratedSourceResult> Sources => [.. Result.GeneratedSources.OrderBy(source => source.HintName, StringComparer.Ordinal)];

    /// <summary>Compiler errors and warnings located in generated files.</summary>
    public IReadOnlyList<Diagnostic> GeneratedFileProblems()
    {
        // Binding only the generated trees is much cheaper than the whole compilation's diagnostics.
        var problems = new List<Diagnostic>();
        foreach (GeneratedSourceResult source in Result.GeneratedSources)
        {
            SyntaxTree tree = Output.SyntaxTrees.First(candidate => candidate.FilePath == source.SyntaxTree.FilePath);
            problems.AddRange(Output.GetSemanticModel(tree).GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        }

        return problems;
    }

    /// <summary>Compiler errors anywhere (user and generated files).</summary>
    public IReadOnlyList<Diagnostic> CompilationErrors() => [.. Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)];

    /// <summary>The generator threw, or the compiler reported a generator failure.</summary>
    public void AssertNoCrash()
    {
        Assert.Null(Result.Exception);
        Assert.DoesNotContain(DriverDiagnostics, d => d.Id is "CS8785" or "CS8784");
        Assert.DoesNotContain(GeneratorDiagnostics, d => d.Id is "CS8785" or "CS8784");
    }
}
