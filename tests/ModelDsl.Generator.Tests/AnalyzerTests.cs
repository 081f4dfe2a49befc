using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using ModelDsl.Generator.Analyzers;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>MDSL0017 (UndisposedAnalyzer) over user code compiled with the generated members, as a build runs it.</summary>
public sealed class AnalyzerTests
{
    private const string Models = """
        using ModelDsl;
        using ModelDsl.Optim;

        [Model(MaxBatch = 4)]
        public partial class Classifier
        {
            [Input(8)] public partial TokenInput Text { get; }
            [Embedding(10, 4)] public partial TokenEmbedding Tokens { get; }
            [MeanPool] public partial Pool Pool { get; }
            [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
        }

        [Model(MaxBatch = 4)]
        public partial class Lm
        {
            [Input(8)] public partial TokenInput Text { get; }
            [Embedding(10, 8)] public partial TokenEmbedding Tokens { get; }
            [TransformerDecoder(Layers = 1, Heads = 2, FeedForward = 16)] public partial DecoderStack Blocks { get; }
            [Dense(10)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }
        """;

    [Theory]
    [InlineData("var trainer = new Classifier(1).CreateTrainer(new Adam(1e-3f)); trainer.Step(new Classifier.Batch());", "Trainer", "Classifier.CreateTrainer")]
    [InlineData("new Classifier(1).CreateTrainer(new Adam(1e-3f));", "Trainer", "Classifier.CreateTrainer")]
    [InlineData("var decoder = new Lm(1).CreateDecoder(maxRows: 2); _count = decoder.GetHashCode();", "StepDecoder", "Lm.CreateDecoder")]
    [InlineData("Classifier.Trainer t; t = new Classifier(1).CreateTrainer(new Adam(1e-3f)); t.Step(new Classifier.Batch());", "Trainer", "Classifier.CreateTrainer")]
    public async Task Mdsl0017_ReportsATrainerOrDecoderThatIsNeverDisposed(string statements, string type, string method)
    {
        string user = Method(statements);
        Diagnostic diagnostic = Assert.Single(await Analyze(user));
        Assert.Equal("MDSL0017", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal($"The {type} made by {method} is never disposed, so its worker threads and native memory stay allocated; declare it with 'using var'",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        // Located at the Create... call.
        string call = user.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
        Assert.StartsWith("new ", call, System.StringComparison.Ordinal);
        Assert.EndsWith(")", call, System.StringComparison.Ordinal);
        Assert.Contains("." + method.Split('.')[1] + "(", call, System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("using var trainer = new Classifier(1).CreateTrainer(new Adam(1e-3f)); trainer.Step(new Classifier.Batch());")]
    [InlineData("using (var trainer = new Classifier(1).CreateTrainer(new Adam(1e-3f))) { trainer.Step(new Classifier.Batch()); }")]
    [InlineData("var trainer = new Classifier(1).CreateTrainer(new Adam(1e-3f)); trainer.Step(new Classifier.Batch()); trainer.Dispose();")]
    [InlineData("var trainer = new Classifier(1).CreateTrainer(new Adam(1e-3f)); trainer?.Dispose();")]
    [InlineData("var trainer = new Classifier(1).CreateTrainer(new Adam(1e-3f)); using (trainer) { }")]
    [InlineData("_kept = new Classifier(1).CreateTrainer(new Adam(1e-3f));")]
    [InlineData("var trainer = new Classifier(1).CreateTrainer(new Adam(1e-3f)); _kept = trainer;")]
    [InlineData("Keep(new Classifier(1).CreateTrainer(new Adam(1e-3f)));")]
    [InlineData("var trainer = new Classifier(1).CreateTrainer(new Adam(1e-3f)); Keep(trainer);")]
    [InlineData("var trainer = new Classifier(1).CreateTrainer(new Adam(1e-3f)); (_kept, _count) = (trainer, 1);")]
    [InlineData("new Classifier(1).CreateTrainer(new Adam(1e-3f)).Dispose();")]
    [InlineData("using var decoder = new Lm(1).CreateDecoder(maxRows: 2);")]
    public async Task Mdsl0017_IsQuietWhenTheObjectIsDisposedOrHandedOver(string statements) =>
        Assert.Empty(await Analyze(Method(statements)));

    [Fact]
    public async Task Mdsl0017_IsQuietForAReturnedTrainer()
    {
        string user = """
            using ModelDsl.Optim;

            public static class Factory
            {
                public static Classifier.Trainer Make() => new Classifier(1).CreateTrainer(new Adam(1e-3f));

                public static Classifier.Trainer MakeViaLocal()
                {
                    var trainer = new Classifier(1).CreateTrainer(new Adam(1e-3f));
                    return trainer;
                }
            }
            """;
        Assert.Empty(await Analyze(user));
    }

    private static string Method(string statements) => $$"""
        using ModelDsl.Optim;

        public sealed class User
        {
            private Classifier.Trainer? _kept;
            private int _count;

            public void Run()
            {
                {{statements}}
            }

            private void Keep(Classifier.Trainer trainer) => _kept = trainer;

            public override string ToString() => _kept + "" + _count;
        }
        """;

    // Generates the models' members, checks the user code compiles, then runs the analyzer over it.
    private static async Task<ImmutableArray<Diagnostic>> Analyze(string user)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Models, user);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompilationErrors());
        ImmutableArray<Diagnostic> diagnostics = await outcome.Output
            .WithAnalyzers([new UndisposedAnalyzer()])
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None);
        Assert.All(diagnostics, d => Assert.Equal("Input1.cs", d.Location.SourceTree!.FilePath));
        return diagnostics;
    }
}
