using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>The pipeline caches: unrelated edits re-run nothing, editing one model regenerates only that model.</summary>
public sealed class IncrementalTests
{
    private const string Unrelated = "namespace Other;\npublic static class Helper\n{\n    public static int Value() => 1;\n}\n";

    [Fact]
    public void Every_step_has_a_tracking_name()
    {
        GeneratorRunResult result = RunTwice(TestModels.Sentiment, compilation => compilation).Second;

        foreach (string name in TrackingNames.All)
        {
            Assert.True(result.TrackedSteps.ContainsKey(name), "step " + name + " was not tracked");
        }
    }

    [Fact]
    public void Unrelated_edit_leaves_every_step_cached()
    {
        (_, GeneratorRunResult second) = RunTwice(TestModels.Sentiment, compilation =>
        {
            SyntaxTree old = compilation.SyntaxTrees.Single(tree => tree.FilePath == "Input1.cs");
            return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(Unrelated.Replace("=> 1", "=> 2", StringComparison.Ordinal), GeneratorHarness.ParseOptions, "Input1.cs"));
        });

        foreach (string name in TrackingNames.All)
        {
            foreach (IncrementalGeneratorRunStep step in second.TrackedSteps[name])
            {
                foreach ((object _, IncrementalStepRunReason reason) in step.Outputs)
                {
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, name + " output was " + reason);
                }
            }
        }
    }

    [Fact]
    public void Edit_inside_the_model_file_that_does_not_change_the_model_leaves_outputs_unchanged()
    {
        (_, GeneratorRunResult second) = RunTwice(TestModels.Sentiment, compilation =>
        {
            SyntaxTree old = compilation.SyntaxTrees.Single(tree => tree.FilePath == "Input0.cs");
            return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(TestModels.Sentiment.Replace("/// <summary>Pooling.</summary>", "/// <summary>Pool op.</summary>", StringComparison.Ordinal), GeneratorHarness.ParseOptions, "Input0.cs"));
        });

        // The model was re-parsed (its file changed) but its spec is equal (same text length, so same locations),
        // so everything after is cached.
        Assert.All(Reasons(second, TrackingNames.Parse), reason => Assert.Equal(IncrementalStepRunReason.Unchanged, reason));
        foreach (string name in new[] { TrackingNames.Plan, TrackingNames.Emit, TrackingNames.Diagnostics, TrackingNames.Sources })
        {
            Assert.All(Reasons(second, name), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
        }
    }

    [Fact]
    public void Editing_one_model_regenerates_only_that_model()
    {
        string other = TestModels.Regressor;
        (GeneratorRunResult first, GeneratorRunResult second) = RunTwice(
            TestModels.Sentiment,
            compilation =>
            {
                SyntaxTree old = compilation.SyntaxTrees.Single(tree => tree.FilePath == "Input0.cs");
                return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(TestModels.Sentiment.Replace("Classes = 2", "Classes = 5", StringComparison.Ordinal), GeneratorHarness.ParseOptions, "Input0.cs"));
            },
            other);

        Assert.Equal(10, first.GeneratedSources.Length); // classifier and regressor: model, Batch, Diagram, Trainer, PyTorch each
        IncrementalStepRunReason[] emit = Reasons(second, TrackingNames.Emit);
        Assert.Equal(2, emit.Length);
        Assert.Equal(1, emit.Count(reason => reason == IncrementalStepRunReason.Modified));
        Assert.Equal(1, emit.Count(reason => reason == IncrementalStepRunReason.Cached));

        // The regressor's files are identical; the classifier's main file changed.
        string Text(GeneratorRunResult run, string hint) => run.GeneratedSources.Single(source => source.HintName == hint).SourceText.ToString();
        Assert.Equal(Text(first, "Demo.Regressor.g.cs"), Text(second, "Demo.Regressor.g.cs"));
        Assert.NotEqual(Text(first, "Demo.SentimentClassifier.g.cs"), Text(second, "Demo.SentimentClassifier.g.cs"));
        Assert.Contains("public const int HeadWidth = 5;", Text(second, "Demo.SentimentClassifier.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void Output_is_deterministic_across_drivers()
    {
        GeneratorOutcome a = GeneratorHarness.Run(TestModels.Seq2Seq);
        GeneratorOutcome b = GeneratorHarness.Run(TestModels.Seq2Seq);
        Assert.Equal(
            a.Sources.Select(source => source.HintName + source.SourceText),
            b.Sources.Select(source => source.HintName + source.SourceText));
    }

    private static IncrementalStepRunReason[] Reasons(GeneratorRunResult result, string step) =>
        [.. result.TrackedSteps[step].SelectMany(run => run.Outputs).Select(output => output.Reason)];

    private static (GeneratorRunResult First, GeneratorRunResult Second) RunTwice(string model, Func<Compilation, Compilation> edit, string? second = null)
    {
        var sources = new List<string> { model, Unrelated };
        if (second is not null)
        {
            sources.Add(second);
        }

        Compilation compilation = GeneratorHarness.Compilation([.. sources]);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();
        driver = driver.RunGenerators(edit(compilation));
        return (first, driver.GetRunResult().Results.Single());
    }
}
