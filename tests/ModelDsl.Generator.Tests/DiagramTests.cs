using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// The generated <c>Mermaid()</c> and <c>Dot()</c> diagrams: every declared layer is a node and every wire of the declaration
/// (the previous member, <c>From</c>, <c>Memory</c>, <c>TiedTo</c>, head to loss) is an edge, and nothing else is.
/// The expected edges are read off the declarations in <see cref="TestModels"/> by hand.
/// </summary>
public sealed class DiagramTests
{
    private static readonly Lazy<Assembly> Models = new(() => Load("Models", TestModels.Seq2Seq, TestModels.Gpt));

    // Translator (TestModels.Seq2Seq): two inputs, From on both embeddings, Memory on the decoder.
    private static readonly string[] TranslatorLayers =
        ["Source", "Target", "SourceEmbedding", "SourcePositions", "Encoder", "TargetEmbedding", "TargetPositions", "Decoder", "FinalNorm", "Logits"];

    private static readonly (string From, string To, string? Label)[] TranslatorEdges =
    [
        ("Source", "SourceEmbedding", null),          // From = nameof(Source)
        ("SourceEmbedding", "SourcePositions", null), // the previous member
        ("SourcePositions", "Encoder", null),
        ("Target", "TargetEmbedding", null),          // From = nameof(Target)
        ("TargetEmbedding", "TargetPositions", null),
        ("TargetPositions", "Decoder", null),
        ("Encoder", "Decoder", "memory"),             // Memory = nameof(Encoder)
        ("Decoder", "FinalNorm", null),
        ("FinalNorm", "Logits", null),
        ("Logits", "__loss", null),                   // [CrossEntropyLoss] on the head
    ];

    [Fact]
    public void Mermaid_has_every_layer_and_every_edge_of_the_declaration()
    {
        string mermaid = Call("Translator", "Mermaid");
        string[] lines = mermaid.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("flowchart TD", lines[0]);
        foreach (string layer in TranslatorLayers)
        {
            Assert.Single(lines, line => line.StartsWith("    " + layer + "[\"" + layer + " (", StringComparison.Ordinal)
                || line.StartsWith("    " + layer + "([\"" + layer + " (Input)", StringComparison.Ordinal));
        }

        // Inputs are drawn rounded; the embedding shows its output shape and its 300 * 32 parameters.
        Assert.Contains("    Source([\"Source (Input)<br/>[B,TSource]\"])", lines);
        Assert.Contains("    SourceEmbedding[\"SourceEmbedding (Embedding)<br/>[B,TSource,32]<br/>9,600 params\"]", lines);
        Assert.Contains("    __loss{{\"CrossEntropyLoss\"}}", lines);

        string[] edges = [.. lines.Where(line => line.Contains("-->", StringComparison.Ordinal) || line.Contains(".->", StringComparison.Ordinal))];
        string[] expected = [.. TranslatorEdges.Select(e => "    " + e.From + (e.Label is null ? " --> " : " -. " + e.Label + " .-> ") + e.To)];
        Assert.Equal(expected.Order(StringComparer.Ordinal), edges.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Dot_has_every_layer_and_every_edge_of_the_declaration()
    {
        string dot = Call("Translator", "Dot");
        string[] lines = dot.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("digraph \"Translator\" {", lines[0]);
        Assert.Equal("}", lines[^1]);
        foreach (string layer in TranslatorLayers)
        {
            Assert.Single(lines, line => line.StartsWith("    \"" + layer + "\" [label=\"" + layer + " (", StringComparison.Ordinal));
        }

        Assert.Contains("    \"Source\" [label=\"Source (Input)\\n[B,TSource]\", shape=ellipse];", lines);
        string[] edges = [.. lines.Where(line => line.Contains("\" -> \"", StringComparison.Ordinal))];
        string[] expected = [.. TranslatorEdges.Select(e => "    \"" + e.From + "\" -> \"" + e.To + "\"" + (e.Label is null ? string.Empty : " [style=dashed, label=\"" + e.Label + "\"]") + ";")];
        Assert.Equal(expected.Order(StringComparer.Ordinal), edges.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Tied_weights_are_a_dotted_edge_from_the_embedding()
    {
        string mermaid = Call("Demo.Language.TinyGpt", "Mermaid");
        Assert.Contains("    Wte -. tied .-> LmHead\n", mermaid, StringComparison.Ordinal);
        Assert.Contains("    Blocks --> LmHead\n", mermaid, StringComparison.Ordinal);
        Assert.Contains("    \"Wte\" -> \"LmHead\" [style=dashed, label=\"tied\"];\n", Call("Demo.Language.TinyGpt", "Dot"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_layer_named_like_a_Mermaid_keyword_gets_an_index_id()
    {
        const string source = """
            using ModelDsl;

            [Model(MaxBatch = 2)]
            public partial class Keywords
            {
                [Input(Features = 4)] public partial FeatureInput Features { get; }
                [Dense(3)] [MseLoss] public partial Dense End { get; }
            }
            """;
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        string diagram = outcome.Sources.Single(s => s.HintName == "Keywords.Diagram.g.cs").SourceText.ToString();
        // "End" would close a Mermaid subgraph: the node is _1 (its index), its label keeps the name.
        Assert.Contains("\"    _1[\\\"End (Dense)<br/>[B,3]<br/>15 params\\\"]\\n\"", diagram, StringComparison.Ordinal);
        Assert.Contains("\"    Features --> _1\\n\"", diagram, StringComparison.Ordinal);
    }

    /// <summary>docs/reports.md and docs/images show the DateTranslator's diagram: it must be what the generator emits today.</summary>
    [Fact]
    public void The_committed_diagram_of_the_DateTranslator_is_current()
    {
        string root = DiagnosticTests.RepositoryRoot();
        string source = File.ReadAllText(Path.Combine(root, "examples", "DateTranslator", "DateModel.cs"));
        Assembly assembly = Load("DateModel", "using ModelDsl;\n" + source + "\npublic static class DateDataset { public const int TargetLength = 10; }\n");
        Type model = assembly.GetType("ModelDsl.Examples.DateTranslator.DateModel")!;
        foreach ((string method, string file) in (ReadOnlySpan<(string, string)>)[("Mermaid", "date-model.mmd"), ("Dot", "date-model.dot")])
        {
            string generated = (string)model.GetMethod(method)!.Invoke(null, null)!;
            string committed = File.ReadAllText(Path.Combine(root, "docs", "images", file)).ReplaceLineEndings("\n");
            Assert.True(generated == committed, $"docs/images/{file} differs from DateModel.{method}(); write the method's text to the file:\n{generated}");
        }

        // The page shows it inline too, in a mermaid block.
        string page = File.ReadAllText(Path.Combine(root, "docs", "reports.md")).ReplaceLineEndings("\n");
        Assert.Contains("```mermaid\n" + (string)model.GetMethod("Mermaid")!.Invoke(null, null)! + "```\n", page, StringComparison.Ordinal);
    }

    private static string Call(string type, string method) =>
        (string)Models.Value.GetType(type)!.GetMethod(method, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;

    private static Assembly Load(string name, params string[] sources)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(sources);
        Assert.Empty(outcome.GeneratorDiagnostics);
        using var stream = new MemoryStream();
        // Own assembly name: other test classes load the default-named test assembly into the same context.
        EmitResult result = outcome.Output.WithAssemblyName("ModelDsl.Generator.DiagramTests." + name).Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(stream);
    }
}
