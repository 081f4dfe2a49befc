using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using ModelDsl.CodeFixes;
using ModelDsl.Generator.Analyzers;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// Each code fix, before and after: the diagnostic is produced by the real generator (or analyzer), the fix is applied
/// through Roslyn's workspace as an IDE does, the text must equal the expected one, and the fixed source must no
/// longer report that diagnostic.
/// </summary>
public sealed class CodeFixTests
{
    [Fact]
    public async Task Mdsl0001_MakesTheModelClassPartial()
    {
        const string Before = """
            using ModelDsl;

            [Model(MaxBatch = 4)]
            public sealed class Classifier
            {
                [Input(8)] public partial TokenInput Text { get; }
                [Embedding(10, 4)] public partial TokenEmbedding Tokens { get; }
                [MeanPool] public partial Pool Pool { get; }
                [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
            }
            """;
        await AssertFix(Before, Before.Replace("public sealed class", "public sealed partial class", StringComparison.Ordinal), "MDSL0001", "Make 'Classifier' partial");
    }

    [Fact]
    public async Task Mdsl0001_WithoutModifiers_PutsPartialBeforeClass()
    {
        const string Before = """
            using ModelDsl;

            [Model(MaxBatch = 4)]
            class Classifier
            {
                [Input(8)] public partial TokenInput Text { get; }
                [Embedding(10, 4)] public partial TokenEmbedding Tokens { get; }
                [MeanPool] public partial Pool Pool { get; }
                [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
            }
            """;
        await AssertFix(Before, Before.Replace("\nclass Classifier", "\npartial class Classifier", StringComparison.Ordinal), "MDSL0001", "Make 'Classifier' partial");
    }

    [Fact]
    public async Task Mdsl0003_TurnsAnAutoPropertyIntoAGetOnlyPartialProperty()
    {
        const string Before = """
            using ModelDsl;

            [Model(MaxBatch = 4)]
            public partial class Classifier
            {
                [Input(8)] public partial TokenInput Text { get; }
                [Embedding(10, 4)] public partial TokenEmbedding Tokens { get; }
                [MeanPool] public partial Pool Pool { get; }
                [Dense(2)] [CrossEntropyLoss] public Dense Head { get; set; } = null!;
            }
            """;
        string after = Before.Replace("public Dense Head { get; set; } = null!;", "public partial Dense Head { get; }", StringComparison.Ordinal);
        await AssertFix(Before, after, "MDSL0003", "Make 'Head' a get-only partial property");
    }

    [Fact]
    public async Task Mdsl0003_PropertyWithABody_GetsNoFix()
    {
        const string Source = """
            using ModelDsl;

            [Model(MaxBatch = 4)]
            public partial class Classifier
            {
                [Input(8)] public partial TokenInput Text { get; }
                [Embedding(10, 4)] public partial TokenEmbedding Tokens { get; }
                [MeanPool] public partial Pool Pool { get; }
                [Dense(2)] [CrossEntropyLoss] public Dense Head { get => throw null!; }
            }
            """;
        Assert.Empty(await Actions(Source, "MDSL0003"));
    }

    [Fact]
    public async Task Mdsl0004_ChangesThePropertyTypeToTheHandleTheAttributeNeeds()
    {
        const string Before = """
            using ModelDsl;

            [Model(MaxBatch = 4)]
            public partial class Classifier
            {
                [Input(8)] public partial TokenInput Text { get; }
                [Embedding(10, 4)] public partial Dense Tokens { get; }
                [MeanPool] public partial Pool Pool { get; }
                [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
            }
            """;
        string after = Before.Replace("public partial Dense Tokens", "public partial TokenEmbedding Tokens", StringComparison.Ordinal);
        await AssertFix(Before, after, "MDSL0004", "Change the type of 'Tokens' to TokenEmbedding");
    }

    [Theory]
    [InlineData("[Model]", "[Model(MaxBatch = 32)]")]
    [InlineData("[Model()]", "[Model(MaxBatch = 32)]")]
    public async Task Mdsl0005_AddsMaxBatch(string attribute, string fixedAttribute)
    {
        string before = """
            using ModelDsl;

            ATTRIBUTE
            public partial class Classifier
            {
                [Input(8)] public partial TokenInput Text { get; }
                [Embedding(10, 4)] public partial TokenEmbedding Tokens { get; }
                [MeanPool] public partial Pool Pool { get; }
                [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
            }
            """;
        await AssertFix(before.Replace("ATTRIBUTE", attribute, StringComparison.Ordinal), before.Replace("ATTRIBUTE", fixedAttribute, StringComparison.Ordinal),
            "MDSL0005", "Add MaxBatch = 32");
    }

    [Fact]
    public async Task Mdsl0016_ReplacesAStringMemberNameWithNameof()
    {
        const string Before = """
            using ModelDsl;

            [Model(MaxBatch = 4)]
            public partial class Translator
            {
                public const int Vocab = 12, D = 8;

                [Input(6)] public partial TokenInput Source { get; }
                [Input(7)] public partial TokenInput Target { get; }
                [Embedding(Vocab, D, From = "Source")] public partial TokenEmbedding SourceEmbedding { get; }
                [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 16)] public partial EncoderStack Encoder { get; }
                [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
                [TransformerDecoder(Layers = 1, Heads = 2, FeedForward = 16, Memory = "Encoder")] public partial DecoderStack Decoder { get; }
                [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
            }
            """;
        // Two reports; the fix of the first one changes only that argument.
        Assert.Equal(["Source", "Encoder"], (await Diagnostics(Before, "MDSL0016")).Select(d => Text(Before, d).Trim('"')));
        string after = Before.Replace("From = \"Source\"", "From = nameof(Source)", StringComparison.Ordinal);
        await AssertFix(Before, after, "MDSL0016", "Use nameof(Source)", expectGone: false);
    }

    [Fact]
    public async Task Mdsl0016_StringThatNamesNoMember_IsLeftToMdsl0007()
    {
        const string Source = """
            using ModelDsl;

            [Model(MaxBatch = 4)]
            public partial class Translator
            {
                [Input(6)] public partial TokenInput Source { get; }
                [Embedding(12, 8, From = "Sauce")] public partial TokenEmbedding SourceEmbedding { get; }
                [MeanPool] public partial Pool Pool { get; }
                [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
            }
            """;
        Assert.Empty(await Diagnostics(Source, "MDSL0016"));
        Assert.Contains(await Diagnostics(Source, "MDSL0007"), d => d.Id == "MDSL0007");
    }

    // Applies the one fix titled `title` to the first `id` diagnostic and compares the text; then the diagnostic must be gone.
    private static async Task AssertFix(string before, string after, string id, string title, bool expectGone = true)
    {
        Assert.NotEqual(before, after);
        IReadOnlyList<(CodeAction Action, Document Document)> actions = await Actions(before, id);
        (CodeAction action, Document document) = Assert.Single(actions, candidate => candidate.Action.Title == title);
        ImmutableArray<CodeActionOperation> operations = await action.GetOperationsAsync(CancellationToken.None);
        Solution changed = Assert.Single(operations.OfType<ApplyChangesOperation>()).ChangedSolution;
        SourceText text = await changed.GetDocument(document.Id)!.GetTextAsync();
        Assert.Equal(after.ReplaceLineEndings("\n"), text.ToString().ReplaceLineEndings("\n"));
        if (expectGone)
        {
            Assert.DoesNotContain(await Diagnostics(text.ToString(), id), d => d.Id == id);
        }
    }

    private static async Task<IReadOnlyList<(CodeAction Action, Document Document)>> Actions(string source, string id)
    {
        Diagnostic diagnostic = (await Diagnostics(source, id)).First();
        Document document = DocumentFor(source);
        var actions = new List<(CodeAction, Document)>();
        foreach (CodeFixProvider provider in Providers.Where(p => p.FixableDiagnosticIds.Contains(id)))
        {
            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add((action, document)), CancellationToken.None);
            await provider.RegisterCodeFixesAsync(context);
        }

        return actions;
    }

    // The generator's diagnostics plus the analyzer's, as a user's build reports them.
    private static async Task<IReadOnlyList<Diagnostic>> Diagnostics(string source, string id)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        ImmutableArray<Diagnostic> analyzer = await GeneratorHarness.Compilation(source)
            .WithAnalyzers([new MemberNameAnalyzer()])
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None);
        return [.. outcome.GeneratorDiagnostics.Concat(analyzer).Where(d => d.Id == id).OrderBy(d => d.Location.SourceSpan.Start)];
    }

    private static string Text(string source, Diagnostic diagnostic) => source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);

    private static readonly CodeFixProvider[] Providers =
        [new MakePartialCodeFix(), new AddMaxBatchCodeFix(), new ChangeHandleTypeCodeFix(), new UseNameofCodeFix()];

    private static Document DocumentFor(string source)
    {
        var workspace = new AdhocWorkspace();
        ProjectInfo project = ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, "User", "User", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary),
            parseOptions: GeneratorHarness.ParseOptions,
            metadataReferences: GeneratorHarness.References);
        Solution solution = workspace.CurrentSolution.AddProject(project);
        DocumentId documentId = DocumentId.CreateNewId(project.Id);
        solution = solution.AddDocument(documentId, "Input0.cs", SourceText.From(source));
        return solution.GetDocument(documentId)!;
    }
}
