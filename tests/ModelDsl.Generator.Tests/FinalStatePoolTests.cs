using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// [FinalStatePool] end to end: a bidirectional GRU (and a unidirectional LSTM) classifier compiles, passes the whole-model
/// gradient check over padded rows and learns; reading anything but a [RecurrentEncoder] is reported at the attribute.
/// </summary>
public sealed class FinalStatePoolTests
{
    private const string Models = """
        using ModelDsl;

        namespace Tiny;

        /// <summary>Token ids, a bidirectional GRU, its final state [B, 2H] (h_n's layout), a classifier.</summary>
        [Model(MaxBatch = 8)]
        public partial class BiGruClassifier
        {
            [Input(6)] public partial TokenInput Text { get; }
            [Embedding(10, 8)] public partial TokenEmbedding Tokens { get; }
            [RecurrentEncoder(6, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
            [FinalStatePool] public partial Pool Final { get; }
            [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
        }

        /// <summary>A unidirectional two-layer LSTM: the final state is h_n[-1], [B, H].</summary>
        [Model(MaxBatch = 4)]
        public partial class LstmClassifier
        {
            [Input(6)] public partial TokenInput Text { get; }
            [Embedding(10, 8)] public partial TokenEmbedding Tokens { get; }
            [RecurrentEncoder(5, Cell = RecurrentCell.Lstm, Layers = 2)] public partial RecurrentStack Encoder { get; }
            [FinalStatePool] public partial Pool Final { get; }
            [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
        }
        """;

    private const string Harness = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using ModelDsl;
        using ModelDsl.Optim;

        namespace Tiny;

        public static class FinalStateHarness
        {
            // Rows of 1 to 6 tokens in [1, 9]; the label is whether the first token is at least 5: only what the reverse
            // direction carries to position 0, or the forward direction to the last position, can tell.
            private static void Sample(BiGruClassifier.Batch batch, Random random)
            {
                for (int row = 0; row < 8; row++)
                {
                    var ids = new int[1 + random.Next(6)];
                    for (int t = 0; t < ids.Length; t++) ids[t] = 1 + random.Next(9);
                    batch.SetText(row, ids);
                    batch.SetLabel(row, ids[0] >= 5 ? 1 : 0);
                }

                batch.Count = 8;
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckBidirectional()
            {
                var model = new BiGruClassifier(seed: 3);
                var batch = new BiGruClassifier.Batch();
                Sample(batch, new Random(1));
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                return Check(BiGruClassifier.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckLstm()
            {
                var model = new LstmClassifier(seed: 4);
                var batch = new LstmClassifier.Batch();
                batch.SetText(0, [1, 5, 7, 2, 9, 3]); batch.SetText(1, [3, 3, 8]); batch.SetText(2, [4]);
                batch.SetLabel(0, 2); batch.SetLabel(1, 0); batch.SetLabel(2, 1);
                batch.Count = 3;
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                return Check(LstmClassifier.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
            }

            /// <summary>The mean loss of the first and of the last 20 steps.</summary>
            public static double[] Train(int steps)
            {
                var model = new BiGruClassifier(seed: 13);
                var batch = new BiGruClassifier.Batch();
                var random = new Random(14);
                using var trainer = model.CreateTrainer(new Adam(1e-2f), threads: 2);
                var losses = new float[steps];
                for (int i = 0; i < steps; i++)
                {
                    Sample(batch, random);
                    losses[i] = trainer.Step(batch);
                }

                return [losses.Take(20).Average(), losses.Skip(steps - 20).Average()];
            }

            // Central differences with Richardson extrapolation, as TrainerTests' harness.
            private static List<(string, float, float)> Check(IReadOnlyList<ParameterEntry> table, ModelDsl.Memory.AlignedBlock parameters, Func<float> gradients, Func<float> loss, Func<float[]> read)
            {
                gradients();
                float[] g = read();
                var results = new List<(string, float, float)>();
                foreach (ParameterEntry entry in table)
                {
                    for (int s = 0; s < Math.Min(4, entry.Length); s++)
                    {
                        int i = entry.Offset + (int)(((s * 7919L) + 13) % entry.Length);
                        double coarse = Difference(parameters, i, 1e-2f, loss);
                        double fine = Difference(parameters, i, 5e-3f, loss);
                        results.Add((entry.Name, g[i], (float)(((4 * fine) - coarse) / 3)));
                    }
                }

                return results;
            }

            private static double Difference(ModelDsl.Memory.AlignedBlock parameters, int i, float h, Func<float> loss)
            {
                float saved = parameters.Span[i];
                parameters.Span[i] = saved + h;
                double plus = loss();
                parameters.Span[i] = saved - h;
                double minus = loss();
                parameters.Span[i] = saved;
                return (plus - minus) / (2.0 * h);
            }
        }
        """;

    private static readonly Lazy<Assembly> Compiled = new(() => Load(Models, Harness));

    [Fact]
    public void Declarations_generate_code_that_compiles_with_no_diagnostic()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Models);
        outcome.AssertNoCrash();
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        string forward = string.Concat(outcome.Sources.Select(s => s.SourceText.ToString()));
        Assert.Contains("FinalStatePooling.Forward(", forward, StringComparison.Ordinal);
        Assert.Contains("FinalStatePooling.Backward(", forward, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CheckBidirectional")] // bidirectional GRU, rows of 1 to 6 tokens
    [InlineData("CheckLstm")] // two-layer LSTM, padded rows
    public void Backward_matches_finite_differences_for_every_parameter_tensor(string check)
    {
        var results = (List<(string Name, float Analytic, float Numeric)>)Call(check)!;
        var failures = results
            .Where(r => Math.Abs(r.Analytic - r.Numeric) > 1e-3 + (0.02 * Math.Abs(r.Numeric)))
            .Select(r => r.Name + ": analytic " + r.Analytic + ", numeric " + r.Numeric)
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Contains(results, r => r.Name.Contains("_reverse", StringComparison.Ordinal) || check == "CheckLstm");
        Assert.True(results.Count(r => Math.Abs(r.Numeric) > 1e-4) > results.Count / 2, "too few non-zero gradients were checked");
    }

    [Fact]
    public void A_bidirectional_GRU_classifier_learns()
    {
        double[] result = (double[])Call("Train", 300)!;
        Assert.True(result[1] < 0.3 * result[0], $"loss {result[0]} -> {result[1]}");
    }

    [Fact]
    public void FinalStatePool_after_anything_but_a_recurrent_encoder_is_reported_at_the_attribute()
    {
        string source = """
            using ModelDsl;

            [Model(MaxBatch = 8)]
            public partial class M
            {
                [Input(6)] public partial TokenInput Text { get; }
                [Embedding(10, 8)] public partial TokenEmbedding Tokens { get; }
                [[|FinalStatePool|]] public partial Pool Final { get; }
                [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
            }
            """;
        (string code, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(source);
        GeneratorOutcome outcome = GeneratorHarness.Run(code);
        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal("MDSL1010", diagnostic.Id);
        Assert.Equal("Final: [FinalStatePool] needs the output of a [RecurrentEncoder] ([B, T, H] or, bidirectional, [B, T, 2H]) but 'Tokens' produces [B, T, 8]", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    [Fact]
    public void LastTokenPool_after_a_unidirectional_encoder_gets_no_warning()
    {
        string source = Models.Replace("[RecurrentEncoder(6, Bidirectional = true)]", "[RecurrentEncoder(6)]", StringComparison.Ordinal)
            .Replace("[FinalStatePool]", "[LastTokenPool]", StringComparison.Ordinal);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
    }

    private static object? Call(string method, params object[] arguments) => Compiled.Value.GetType("Tiny.FinalStateHarness")!.GetMethod(method)!.Invoke(null, arguments);

    private static Assembly Load(params string[] sources)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(sources);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        using var stream = new MemoryStream();
        // Own assembly name: other tests load theirs into the same context.
        Compilation release = outcome.Output
            .WithAssemblyName("ModelDsl.Generator.FinalStatePoolTests")
            .WithOptions(((CSharpCompilationOptions)outcome.Output.Options).WithOptimizationLevel(OptimizationLevel.Release));
        EmitResult result = release.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(stream);
    }
}
