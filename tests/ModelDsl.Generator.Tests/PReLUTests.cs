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
/// [PReLU] end to end: declarations (shared, per channel, Channels = C) generate code that compiles, including on a decoded
/// chain; bad arguments are reported at the argument; generated models pass the whole-model gradient check and learn.
/// </summary>
public sealed class PReLUTests
{
    private const string Models = """
        using ModelDsl;

        namespace Tiny;

        /// <summary>Dense features, per-channel and shared PReLU, MSE per row.</summary>
        [Model(MaxBatch = 8)]
        public partial class PReLURegressor
        {
            [Input(Features = 4)] public partial FeatureInput X { get; }
            [Dense(12)] public partial Dense Hidden { get; }
            [PReLU(PerChannel = true)] public partial PReLULayer Act { get; }
            [Dense(8)] public partial Dense Hidden2 { get; }
            [PReLU] public partial PReLULayer Shared { get; }
            [Dense(2)] [MseLoss] public partial Dense Out { get; }
        }

        /// <summary>A feature sequence [B, T, 8] through PReLU(Channels = 8) (the last dimension), mean pool, cross-entropy.</summary>
        [Model(MaxBatch = 4)]
        public partial class PReLUSequence
        {
            [Input(6, Features = 5)] public partial FeatureInput Signal { get; }
            [Dense(8)] public partial Dense Proj { get; }
            [PReLU(Channels = 8)] public partial PReLULayer Act { get; }
            [MeanPool] public partial Pool Pool { get; }
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

        public static class PReLUHarness
        {
            private static float[] Values(Random random, int count, float scale = 1f)
            {
                var values = new float[count];
                for (int i = 0; i < count; i++) values[i] = ((2f * (float)random.NextDouble()) - 1f) * scale;
                return values;
            }

            // y = (|x0| - x1, x2 x3): the kinks of the target suit a piecewise-linear model.
            private static void Sample(PReLURegressor.Batch batch, Random random)
            {
                for (int row = 0; row < 8; row++)
                {
                    float[] x = Values(random, 4, 2f);
                    batch.SetX(row, x);
                    batch.SetTarget(row, [MathF.Abs(x[0]) - x[1], x[2] * x[3] / 2f]);
                }

                batch.Count = 8;
            }

            private static void Fill(PReLUSequence.Batch batch)
            {
                var random = new Random(2);
                int[] lengths = [6, 3, 1];
                for (int row = 0; row < 3; row++) { batch.SetSignal(row, Values(random, lengths[row] * 5, 2f)); batch.SetLabel(row, row); }
                batch.Count = 3;
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckRegressor()
            {
                var model = new PReLURegressor(seed: 3);
                var batch = new PReLURegressor.Batch();
                Sample(batch, new Random(1));
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                return Check(PReLURegressor.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckSequence()
            {
                var model = new PReLUSequence(seed: 4);
                var batch = new PReLUSequence.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                return Check(PReLUSequence.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
            }

            /// <summary>The slopes after construction (0.25 each), the mean loss of the first and last 10 of the steps, and the slopes after.</summary>
            public static double[] Train(int steps)
            {
                var model = new PReLURegressor(seed: 13);
                var batch = new PReLURegressor.Batch();
                var random = new Random(14);
                var result = new List<double>();
                foreach (string name in new[] { "act.weight", "shared.weight" })
                {
                    ParameterEntry entry = PReLURegressor.ParameterTable.Single(e => e.Name == name);
                    result.Add(model.Parameters.Span.Slice(entry.Offset, entry.Length).ToArray().Average(v => (double)v));
                    result.Add(model.Parameters.Span.Slice(entry.Offset, entry.Length).ToArray().Max(v => (double)v));
                }

                using var trainer = model.CreateTrainer(new Adam(1e-2f), threads: 2);
                var losses = new float[steps];
                for (int i = 0; i < steps; i++)
                {
                    Sample(batch, random);
                    losses[i] = trainer.Step(batch);
                }

                result.Add(losses.Take(10).Average());
                result.Add(losses.Skip(steps - 10).Average());
                ParameterEntry shared = PReLURegressor.ParameterTable.Single(e => e.Name == "shared.weight");
                result.Add(model.Parameters.Span[shared.Offset]);
                return [.. result];
            }

            // Central differences with Richardson extrapolation, as TrainerTests' harness; smaller steps than there keep each
            // perturbation on one side of the PReLU kinks at the sampled entries.
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
    public void Declarations_generate_code_that_compiles()
    {
        string decoder = """
            using ModelDsl;

            namespace Demo;

            [Model(MaxBatch = 4)]
            public partial class Gpt
            {
                public const int Vocab = 20, D = 16;

                [Input(8)] public partial TokenInput Tokens { get; }
                [Embedding(Vocab, D)] public partial TokenEmbedding Embedding { get; }
                [TransformerDecoder(Heads = 2, FeedForward = 32)] public partial DecoderStack Decoder { get; }
                [PReLU(PerChannel = true)] public partial PReLULayer Act { get; }
                [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Head { get; }
            }
            """;
        GeneratorOutcome outcome = GeneratorHarness.Run(Models, decoder);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        Assert.Empty(outcome.CompilationErrors());
        string steps = string.Join("\n", outcome.Sources.Select(source => source.SourceText.ToString()));
        Assert.Contains("Kernels.PReLU.Forward(", steps, StringComparison.Ordinal);
        Assert.Contains("Kernels.PReLU.Backward(", steps, StringComparison.Ordinal);
        Assert.Contains("act.weight [16]: 0.25 (nn.PReLU's init)", steps, StringComparison.Ordinal);
        Assert.Contains("Act (PReLU) at position step", steps, StringComparison.Ordinal); // on the decoded chain
    }

    public static TheoryData<string, string> BadArguments => new()
    {
        {
            "[PReLU([|Channels = 5|])] public partial PReLULayer Act { get; }",
            "Act: Channels (5) must be 1 (one shared slope) or the input's last dimension 64"
        },
        {
            "[PReLU(PerChannel = true, [|Channels = 1|])] public partial PReLULayer Act { get; }",
            "Act: Channels (1) must be the input's last dimension 64 (PerChannel = true)"
        },
        {
            "[PReLU([|Channels = 0|])] public partial PReLULayer Act { get; }",
            "Act: Channels (0) must be 1 (one shared slope) or the input's last dimension 64"
        },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void Bad_arguments_are_reported_at_the_argument(string member, string message)
    {
        string markup = DiagnosticTests.Model(members:
        [
            "[Input(Features = 64)] public partial FeatureInput X { get; }",
            member,
            "[Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }",
        ]);
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal("MDSL1008", diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Empty(outcome.GeneratedFileProblems());
    }

    [Fact]
    public void PReLU_on_token_ids_is_reported()
    {
        string markup = DiagnosticTests.Model(members:
        [
            "[Input(Length)] public partial TokenInput Text { get; }",
            "[[|PReLU|]] public partial PReLULayer Act { get; }",
        ]);
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics, d => d.Id == "MDSL1010");
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    [Fact]
    public void A_wrong_handle_type_is_reported()
    {
        string markup = DiagnosticTests.Model(members:
        [
            "[Input(Features = 64)] public partial FeatureInput X { get; }",
            "[PReLU] public partial Dense [|Act|] { get; }",
            "[Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }",
        ]);
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal("MDSL0004", diagnostic.Id);
        Assert.Equal("Act: [PReLU] needs a property of type PReLULayer, not Dense", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    [Theory]
    [InlineData("CheckRegressor")] // [B, C]: per-channel and shared slopes, MSE
    [InlineData("CheckSequence")] // [B, T, C] with padded positions: PReLU(Channels = 8), mean pool, cross-entropy
    public void Backward_matches_finite_differences_for_every_parameter_tensor(string check)
    {
        var results = (List<(string Name, float Analytic, float Numeric)>)Call(check)!;

        // TrainerTests' budget: float32 Richardson estimate; a wrong backward (a missing slope term) is off by tens of percent.
        var failures = results
            .Where(r => Math.Abs(r.Analytic - r.Numeric) > 1e-3 + (0.02 * Math.Abs(r.Numeric)))
            .Select(r => r.Name + ": analytic " + r.Analytic + ", numeric " + r.Numeric)
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Contains(results, r => r.Name.EndsWith(".weight", StringComparison.Ordinal) && r.Name.StartsWith("act", StringComparison.Ordinal) && Math.Abs(r.Numeric) > 1e-4);
        Assert.True(results.Count(r => Math.Abs(r.Numeric) > 1e-4) > results.Count / 2, "too few non-zero gradients were checked");
    }

    [Fact]
    public void A_model_with_PReLU_learns_and_its_slopes_start_at_a_quarter()
    {
        double[] result = (double[])Call("Train", 300)!;
        Assert.Equal(0.25, result[0]); // act.weight mean
        Assert.Equal(0.25, result[1]); // act.weight max
        Assert.Equal(0.25, result[2]); // shared.weight
        Assert.Equal(0.25, result[3]);
        Assert.True(result[5] < 0.3 * result[4], $"loss {result[4]} -> {result[5]}");
        Assert.NotEqual(0.25, result[6]); // the shared slope was trained
    }

    private static object? Call(string method, params object[] arguments) => Compiled.Value.GetType("Tiny.PReLUHarness")!.GetMethod(method)!.Invoke(null, arguments);

    private static Assembly Load(params string[] sources)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(sources);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        using var stream = new MemoryStream();
        // Own assembly name: TrainerTests and GeneratedModelTests load theirs into the same context.
        Compilation release = outcome.Output
            .WithAssemblyName("ModelDsl.Generator.PReLUTests")
            .WithOptions(((CSharpCompilationOptions)outcome.Output.Options).WithOptimizationLevel(OptimizationLevel.Release));
        EmitResult result = release.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(stream);
    }
}
