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
/// [Activation(...)] end to end: it computes what a Dense's fused activation computes (which has PyTorch parity), passes the
/// whole-model gradient check after a norm on a padded sequence, decodes position by position, and bad arguments are reported
/// at the argument.
/// </summary>
public sealed class ActivationLayerTests
{
    private const string Models = """
        using ModelDsl;

        namespace Act;

        [Model(MaxBatch = 8)]
        public partial class Fused
        {
            [Input(Features = 5)] public partial FeatureInput X { get; }
            [Dense(12, Activation = Activation.Gelu)] public partial Dense Hidden { get; }
            [Dense(10, Activation = Activation.Tanh)] public partial Dense Hidden2 { get; }
            [Dense(9, Activation = Activation.Sigmoid)] public partial Dense Hidden3 { get; }
            [Dense(7, Activation = Activation.LeakyRelu)] public partial Dense Hidden4 { get; }
            [Dense(2)] [MseLoss] public partial Dense Out { get; }
        }

        /// <summary>Fused's functions as layers of their own: same parameter table, so the same initial weights.</summary>
        [Model(MaxBatch = 8)]
        public partial class Separate
        {
            [Input(Features = 5)] public partial FeatureInput X { get; }
            [Dense(12)] public partial Dense Hidden { get; }
            [Activation(Activation.Gelu)] public partial ActivationLayer A1 { get; }
            [Dense(10)] public partial Dense Hidden2 { get; }
            [Activation(Activation.Tanh)] public partial ActivationLayer A2 { get; }
            [Dense(9)] public partial Dense Hidden3 { get; }
            [Activation(Activation.Sigmoid)] public partial ActivationLayer A3 { get; }
            [Dense(7)] public partial Dense Hidden4 { get; }
            [Activation(Activation.LeakyRelu)] public partial ActivationLayer A4 { get; }
            [Dense(2)] [MseLoss] public partial Dense Out { get; }
        }

        /// <summary>A padded feature sequence: Dense, LayerNorm, LeakyReLU(0.2), GELU (tanh), mean pool, cross-entropy.</summary>
        [Model(MaxBatch = 4)]
        public partial class Sequence
        {
            [Input(6, Features = 5)] public partial FeatureInput Signal { get; }
            [Dense(8)] public partial Dense Proj { get; }
            [LayerNorm] public partial Norm Norm { get; }
            [Activation(Activation.LeakyRelu, Slope = 0.2f)] public partial ActivationLayer Leaky { get; }
            [Activation(Activation.GeluTanh)] public partial ActivationLayer Gelu { get; }
            [MeanPool] public partial Pool Pool { get; }
            [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
        }

        /// <summary>RReLU with PyTorch's default bounds as a layer of its own.</summary>
        [Model(MaxBatch = 8)]
        public partial class Randomized
        {
            [Input(Features = 5)] public partial FeatureInput X { get; }
            [Dense(12)] public partial Dense Hidden { get; }
            [Activation(Activation.RRelu)] public partial ActivationLayer A { get; }
            [Dense(2)] [MseLoss] public partial Dense Out { get; }
        }

        /// <summary>Randomized in evaluation: LeakyReLU with the mean slope (1/8 + 1/3) / 2 rounded to float.</summary>
        [Model(MaxBatch = 8)]
        public partial class MeanSlope
        {
            [Input(Features = 5)] public partial FeatureInput X { get; }
            [Dense(12)] public partial Dense Hidden { get; }
            [Activation(Activation.LeakyRelu, Slope = 0.22916667f)] public partial ActivationLayer A { get; }
            [Dense(2)] [MseLoss] public partial Dense Out { get; }
        }
        """;

    private const string Harness = """
        using System;
        using System.Collections.Generic;
        using ModelDsl;
        using ModelDsl.Optim;

        namespace Act;

        public static class ActivationHarness
        {
            private static float[] Values(Random random, int count, float scale = 1f)
            {
                var values = new float[count];
                for (int i = 0; i < count; i++) values[i] = ((2f * (float)random.NextDouble()) - 1f) * scale;
                return values;
            }

            /// <summary>Loss and gradients of Fused and Separate on one batch, from the same seed.</summary>
            public static (float[] Fused, float[] Separate) FusedAndSeparate()
            {
                var random = new Random(5);
                var fusedBatch = new Fused.Batch();
                var separateBatch = new Separate.Batch();
                for (int row = 0; row < 8; row++)
                {
                    float[] x = Values(random, 5, 2f);
                    float[] y = Values(random, 2);
                    fusedBatch.SetX(row, x); fusedBatch.SetTarget(row, y);
                    separateBatch.SetX(row, x); separateBatch.SetTarget(row, y);
                }

                fusedBatch.Count = separateBatch.Count = 8;
                using var fused = new Fused(seed: 9).CreateTrainer(new Sgd(0.1f), threads: 1);
                using var separate = new Separate(seed: 9).CreateTrainer(new Sgd(0.1f), threads: 1);
                float fusedLoss = fused.ComputeGradients(fusedBatch);
                float separateLoss = separate.ComputeGradients(separateBatch);
                return ([fusedLoss, .. fused.Gradients.Span.ToArray()], [separateLoss, .. separate.Gradients.Span.ToArray()]);
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckSequence()
            {
                var model = new Sequence(seed: 4);
                var batch = new Sequence.Batch();
                var random = new Random(2);
                int[] lengths = [6, 3, 1];
                for (int row = 0; row < 3; row++) { batch.SetSignal(row, Values(random, lengths[row] * 5, 2f)); batch.SetLabel(row, row); }
                batch.Count = 3;
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                trainer.ComputeGradients(batch);
                float[] g = trainer.Gradients.Span.ToArray();
                var results = new List<(string, float, float)>();
                foreach (ParameterEntry entry in Sequence.ParameterTable)
                {
                    for (int s = 0; s < Math.Min(4, entry.Length); s++)
                    {
                        int i = entry.Offset + (int)(((s * 7919L) + 13) % entry.Length);
                        double coarse = Difference(model.Parameters, i, 1e-2f, () => trainer.Evaluate(batch));
                        double fine = Difference(model.Parameters, i, 5e-3f, () => trainer.Evaluate(batch));
                        results.Add((entry.Name, g[i], (float)(((4 * fine) - coarse) / 3)));
                    }
                }

                return results;
            }

            private static (Randomized.Batch, MeanSlope.Batch) RandomizedBatches()
            {
                var random = new Random(8);
                var batch = new Randomized.Batch();
                var mean = new MeanSlope.Batch();
                for (int row = 0; row < 8; row++)
                {
                    float[] x = Values(random, 5, 2f);
                    float[] y = Values(random, 2);
                    batch.SetX(row, x); batch.SetTarget(row, y);
                    mean.SetX(row, x); mean.SetTarget(row, y);
                }

                batch.Count = mean.Count = 8;
                return (batch, mean);
            }

            /// <summary>Evaluate of Randomized and MeanSlope from the same seed; Randomized's training loss; Randomized's training loss after one step at rate 0.</summary>
            public static float[] RandomizedLosses()
            {
                var (batch, mean) = RandomizedBatches();
                using var randomized = new Randomized(seed: 3).CreateTrainer(new Sgd(0f), dropoutSeed: 11);
                using var meanSlope = new MeanSlope(seed: 3).CreateTrainer(new Sgd(0f));
                float evaluated = randomized.Evaluate(batch);
                float expected = meanSlope.Evaluate(mean);
                float training = randomized.ComputeGradients(batch);
                float again = randomized.ComputeGradients(batch);
                randomized.Step(batch); // rate 0: the parameters stay, the step count (and so the slopes' stream) moves
                float next = randomized.ComputeGradients(batch);
                return [evaluated, expected, training, again, next];
            }

            /// <summary>Training-mode gradients of Randomized against differences of its training loss (the same slopes: same seed and step).</summary>
            public static List<(string Name, float Analytic, float Numeric)> CheckRandomized()
            {
                var model = new Randomized(seed: 6);
                var (batch, _) = RandomizedBatches();
                using var trainer = model.CreateTrainer(new Sgd(0.1f), dropoutSeed: 2);
                trainer.ComputeGradients(batch);
                float[] g = trainer.Gradients.Span.ToArray();
                var results = new List<(string, float, float)>();
                foreach (ParameterEntry entry in Randomized.ParameterTable)
                {
                    for (int s = 0; s < Math.Min(6, entry.Length); s++)
                    {
                        int i = entry.Offset + (int)(((s * 7919L) + 13) % entry.Length);
                        double coarse = Difference(model.Parameters, i, 2e-3f, () => trainer.ComputeGradients(batch));
                        double fine = Difference(model.Parameters, i, 1e-3f, () => trainer.ComputeGradients(batch));
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
    public void An_activation_layer_computes_what_the_dense_fused_activation_computes()
    {
        (float[] fused, float[] separate) = ((float[], float[]))Call("FusedAndSeparate")!;
        Assert.Equal(fused.Length, separate.Length);

        // Same function, same inputs; the fused kernel applies it in the GEMM's epilogue, so allow float32 rounding of a few
        // ulps through five layers. A wrong function or a missing backward term is off by whole percents.
        for (int i = 0; i < fused.Length; i++)
        {
            Assert.True(Math.Abs(fused[i] - separate[i]) <= 1e-6 + (1e-5 * Math.Abs(fused[i])), $"index {i} (0 is the loss): fused {fused[i]}, separate {separate[i]}");
        }

        Assert.True(fused.Skip(1).Count(g => Math.Abs(g) > 1e-5) > fused.Length / 2, "too few non-zero gradients to compare");
    }

    [Fact]
    public void Backward_matches_finite_differences_after_a_norm_on_a_padded_sequence()
    {
        var results = (List<(string Name, float Analytic, float Numeric)>)Call("CheckSequence")!;

        // TrainerTests' budget: float32 Richardson estimate; a wrong slope or derivative is off by tens of percent.
        var failures = results
            .Where(r => Math.Abs(r.Analytic - r.Numeric) > 1e-3 + (0.02 * Math.Abs(r.Numeric)))
            .Select(r => r.Name + ": analytic " + r.Analytic + ", numeric " + r.Numeric)
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Contains(results, r => r.Name.StartsWith("proj.", StringComparison.Ordinal) && Math.Abs(r.Numeric) > 1e-4);
    }

    [Fact]
    public void RRelu_evaluates_as_leaky_relu_with_the_mean_slope_and_draws_reproducible_slopes_per_step_in_training()
    {
        float[] losses = (float[])Call("RandomizedLosses")!;

        // Evaluation: the same function as LeakyReLU(0.22916667) on the same weights, so the same bits.
        Assert.Equal(losses[1], losses[0]);

        // Training: random slopes, so another loss than evaluation's; the same slopes again at the same step (seeded);
        // new slopes after a step (the parameters did not move: rate 0).
        Assert.NotEqual(losses[0], losses[2]);
        Assert.Equal(losses[2], losses[3]);
        Assert.NotEqual(losses[2], losses[4]);
    }

    [Fact]
    public void RRelu_backward_matches_finite_differences_with_the_slopes_of_the_step()
    {
        var results = (List<(string Name, float Analytic, float Numeric)>)Call("CheckRandomized")!;

        // As above: float32 Richardson estimate with small steps (an input crossing 0 would change its slope); a wrong slope
        // (the mean instead of the drawn one, or 1) is off by tens of percent.
        var failures = results
            .Where(r => Math.Abs(r.Analytic - r.Numeric) > 1e-3 + (0.02 * Math.Abs(r.Numeric)))
            .Select(r => r.Name + ": analytic " + r.Analytic + ", numeric " + r.Numeric)
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Contains(results, r => r.Name.StartsWith("hidden.", StringComparison.Ordinal) && Math.Abs(r.Numeric) > 1e-4);
    }

    [Fact]
    public void It_compiles_on_a_decoded_chain_and_after_an_input()
    {
        string models = """
            using ModelDsl;

            namespace Demo;

            [Model(MaxBatch = 4)]
            public partial class Gpt
            {
                public const int Vocab = 20, D = 16;

                [Input(8)] public partial TokenInput Tokens { get; }
                [Embedding(Vocab, D)] public partial TokenEmbedding Embedding { get; }
                [TransformerDecoder(Heads = 2, FeedForward = 32)] public partial DecoderStack Decoder { get; }
                [Activation(Activation.Gelu)] public partial ActivationLayer Act { get; }
                [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Head { get; }
            }

            [Model(MaxBatch = 4)]
            public partial class OnInput
            {
                [Input(Features = 3)] public partial FeatureInput X { get; }
                [Activation(Activation.Tanh)] public partial ActivationLayer Squash { get; }
                [Dense(1)] [MseLoss] public partial Dense Out { get; }
            }

            /// <summary>RReLU in an encoder: its lines also run in the StepDecoder's encoding pass (evaluation, the mean slope).</summary>
            [Model(MaxBatch = 4)]
            public partial class Translator
            {
                public const int Vocab = 16, D = 8;

                [Input(5)] public partial TokenInput Source { get; }
                [Input(5)] public partial TokenInput Target { get; }
                [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
                [TransformerEncoder(Heads = 2, FeedForward = 16)] public partial EncoderStack Encoder { get; }
                [Activation(Activation.RRelu, Lower = 0.1f, Upper = 0.2f)] public partial ActivationLayer Noise { get; }
                [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
                [TransformerDecoder(Heads = 2, FeedForward = 16, Memory = nameof(Noise))] public partial DecoderStack Decoder { get; }
                [Activation(Activation.RRelu)] public partial ActivationLayer Act { get; }
                [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
            }
            """;
        GeneratorOutcome outcome = GeneratorHarness.Run(models);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        Assert.Empty(outcome.CompilationErrors());
        string code = string.Join("\n", outcome.Sources.Select(source => source.SourceText.ToString()));
        Assert.Contains("Kernels.Activations.Forward(", code, StringComparison.Ordinal);
        Assert.Contains("Kernels.Activations.Backward(", code, StringComparison.Ordinal);
        Assert.Contains("Act (Activation) at position step", code, StringComparison.Ordinal); // on the decoded chain
        Assert.Contains("its input (the batch) takes no gradient", code, StringComparison.Ordinal);
        Assert.Contains("Kernels.RRelu.Forward(", code, StringComparison.Ordinal);
        Assert.Contains("Kernels.RRelu.Backward(", code, StringComparison.Ordinal);
        Assert.Contains("0.22916667f", code, StringComparison.Ordinal); // the decoding step: LeakyReLU with the mean slope (1/8 + 1/3) / 2, no draw
    }

    public static TheoryData<string, string> BadArguments => new()
    {
        {
            "[Activation([|Activation.None|])] public partial ActivationLayer Act { get; }",
            "Act: Activation (Activation.None) must be a function: Relu, Gelu, GeluTanh, Tanh, Sigmoid, LeakyRelu or RRelu"
        },
        {
            "[Activation(Activation.Gelu, [|Lower = 0.2f|])] public partial ActivationLayer Act { get; }",
            "Act: Lower (0.2) must be left unset: it bounds RRelu's random slope"
        },
        {
            "[Activation(Activation.RRelu, Lower = 0.3f, [|Upper = 0.2f|])] public partial ActivationLayer Act { get; }",
            "Act: Upper (0.2) must be 0 <= Lower <= Upper"
        },
        {
            "[Dense(8, [|Activation = Activation.RRelu|])] public partial Dense Act { get; }",
            "Act: Activation (Activation.RRelu) must be a function without per-element state (None, Relu, Gelu, GeluTanh, Tanh, Sigmoid or LeakyRelu); RRelu goes in an [Activation(Activation.RRelu)] layer of its own"
        },
        {
            "[Activation(Activation.Gelu, [|Slope = 0.2f|])] public partial ActivationLayer Act { get; }",
            "Act: Slope (0.2) must be left unset: it is LeakyRelu's negative slope"
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
    public void An_activation_on_token_ids_is_reported()
    {
        string markup = DiagnosticTests.Model(members:
        [
            "[Input(Length)] public partial TokenInput Text { get; }",
            "[[|Activation(Activation.Relu)|]] public partial ActivationLayer Act { get; }",
        ]);
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics, d => d.Id == "MDSL1010");
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    private static object? Call(string method, params object[] arguments) => Compiled.Value.GetType("Act.ActivationHarness")!.GetMethod(method)!.Invoke(null, arguments);

    private static Assembly Load(params string[] sources)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(sources);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        using var stream = new MemoryStream();
        // Own assembly name: other harness tests load theirs into the same context.
        Compilation release = outcome.Output
            .WithAssemblyName("ModelDsl.Generator.ActivationLayerTests")
            .WithOptions(((CSharpCompilationOptions)outcome.Output.Options).WithOptimizationLevel(OptimizationLevel.Release));
        EmitResult result = release.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(stream);
    }
}
