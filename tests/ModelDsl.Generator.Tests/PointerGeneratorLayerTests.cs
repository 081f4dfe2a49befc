using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using ModelDsl.Generator.Tests.Support;
using ModelDsl.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// [PointerGenerator] end to end on a small Transformer encoder-decoder: every parameter tensor (the gate's included) passes
/// the whole-model gradient check, the StepDecoder's distribution equals the teacher-forced forward's, greedy decoding is the
/// argmax of the forward, a training step and a decoded token allocate nothing, and the shape rules MDSL1025-1027 are reported
/// at the argument that breaks them.
/// </summary>
public sealed class PointerGeneratorLayerTests
{
    private const string Models = """
        using ModelDsl;

        namespace Tiny;

        /// <summary>A one-layer Transformer encoder-decoder whose head copies source tokens.</summary>
        [Model(MaxBatch = 4)]
        public partial class CopyTranslator
        {
            public const int Vocab = 12, D = 8, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 16, Mask = Masks.KeyPadding, Dropout = 0f)] public partial EncoderStack Encoder { get; }
            [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [LearnedPositions(TargetLength)] public partial Positions Positions { get; }
            [TransformerDecoder(Layers = 1, Heads = 2, FeedForward = 16, Memory = nameof(Encoder), Mask = Masks.Causal, Dropout = 0f)]
            public partial DecoderStack Decoder { get; }
            [PointerGenerator(Vocab, Memory = nameof(Encoder), Input = nameof(TargetEmbedding))] [CrossEntropyLoss] public partial Dense Logits { get; }
        }
        """;

    private const string Harness = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using ModelDsl;
        using ModelDsl.Decoding;
        using ModelDsl.Optim;

        namespace Tiny;

        public static class CopyHarness
        {
            // Three rows of different lengths; positions past a row's length are padding.
            private static void Fill(CopyTranslator.Batch batch)
            {
                batch.SetSource(0, [1, 5, 7, 2, 9, 10, 3]); batch.SetSource(1, [3, 3, 8, 4]); batch.SetSource(2, [10]);
                batch.SetTarget(0, [1, 5, 7, 9, 3]); batch.SetTarget(1, [1, 8, 4]); batch.SetTarget(2, [1, 10]);
                batch.SetLabels(0, [5, 7, 9, 3, 2]); batch.SetLabels(1, [8, 4, 2]); batch.SetLabels(2, [10, 2]);
                batch.Count = 3;
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckGradients()
            {
                var model = new CopyTranslator(seed: 3);
                var batch = new CopyTranslator.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                trainer.ComputeGradients(batch);
                float[] g = trainer.Gradients.Span.ToArray();
                var results = new List<(string, float, float)>();
                foreach (ParameterEntry entry in CopyTranslator.ParameterTable)
                {
                    for (int s = 0; s < Math.Min(4, entry.Length); s++)
                    {
                        int i = entry.Offset + (int)(((s * 7919L) + 13) % entry.Length);
                        double coarse = Difference(model.Parameters, i, 1e-2f, () => trainer.Evaluate(batch));
                        double fine = Difference(model.Parameters, i, 5e-3f, () => trainer.Evaluate(batch));
                        results.Add((entry.Name, g[i], (float)(((4 * fine) - coarse) / 3))); // Richardson extrapolation
                    }
                }

                return results;
            }

            /// <summary>Largest |log P| difference between the StepDecoder fed the targets and the teacher-forced forward.</summary>
            public static double DecoderMatchesForward()
            {
                var model = new CopyTranslator(seed: 4);
                var batch = new CopyTranslator.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                trainer.Evaluate(batch);
                float[] forward = trainer.Logits.ToArray();
                using var decoder = model.CreateDecoder(maxRows: 3, threads: 2);
                decoder.Begin(batch);
                int T = batch.TargetLengths.Take(3).Max(), V = CopyTranslator.Vocab;
                var tokens = new int[3];
                var output = new float[3 * V];
                double worst = 0;
                for (int t = 0; t < T; t++)
                {
                    for (int r = 0; r < 3; r++) tokens[r] = t < batch.TargetLengths[r] ? batch.Target[(r * CopyTranslator.TargetLength) + t] : 0;
                    decoder.Step(tokens, t, output);
                    for (int r = 0; r < 3; r++)
                    {
                        if (t >= batch.TargetLengths[r]) continue;
                        for (int v = 0; v < V; v++) worst = Math.Max(worst, Math.Abs(forward[(((r * T) + t) * V) + v] - output[(r * V) + v]));
                    }
                }

                return worst;
            }

            /// <summary>Greedy tokens, and the forward's argmax when those tokens (after the start token) are the decoder input.</summary>
            public static (int[] Greedy, int[] Argmax) GreedyAndArgmax()
            {
                var model = new CopyTranslator(seed: 5);
                var batch = new CopyTranslator.Batch();
                Fill(batch);
                using var decoder = model.CreateDecoder(maxRows: 3);
                decoder.Begin(batch);
                const int Steps = CopyTranslator.TargetLength;
                var greedy = new GreedySearch(3, Steps, CopyTranslator.Vocab);
                greedy.Run(decoder, 3, startToken: 1, endToken: 2, Steps);
                var fed = new CopyTranslator.Batch();
                var greedyTokens = new List<int>();
                for (int r = 0; r < 3; r++)
                {
                    int[] decoded = greedy.Tokens(r).ToArray();
                    Array.Resize(ref decoded, Steps); // a row that ended early continues with token 0 (the argmax after it is not compared)
                    fed.SetSource(r, batch.Source.AsSpan(r * CopyTranslator.SourceLength, batch.SourceLengths[r]).ToArray());
                    fed.SetTarget(r, [1, .. decoded.Take(Steps - 1)]);
                    fed.SetLabels(r, decoded);
                    greedyTokens.AddRange(decoded.Take(greedy.Tokens(r).Length));
                }

                fed.Count = 3;
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                trainer.Evaluate(fed);
                float[] logP = trainer.Logits.ToArray();
                var argmax = new List<int>();
                for (int r = 0; r < 3; r++)
                {
                    for (int t = 0; t < greedy.Tokens(r).Length; t++)
                    {
                        ReadOnlySpan<float> row = logP.AsSpan(((r * Steps) + t) * CopyTranslator.Vocab, CopyTranslator.Vocab);
                        int best = 0;
                        for (int v = 1; v < row.Length; v++) if (row[v] > row[best]) best = v;
                        argmax.Add(best);
                    }
                }

                return (greedyTokens.ToArray(), argmax.ToArray());
            }

            /// <summary>Bytes of one training step and of decoding the batch greedily (Begin and every step).</summary>
            public static (long Step, long Decode) Allocated(Func<Action, long> measure)
            {
                var model = new CopyTranslator(seed: 6);
                var batch = new CopyTranslator.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Adam(1e-3f), threads: 2);
                using var decoder = model.CreateDecoder(maxRows: 6, threads: 2);
                var greedy = new GreedySearch(3, CopyTranslator.TargetLength, CopyTranslator.Vocab);
                var beam = new BeamSearch(3, 2, CopyTranslator.TargetLength, CopyTranslator.Vocab);
                long step = measure(() => trainer.Step(batch));
                long decode = measure(() =>
                {
                    decoder.Begin(batch);
                    greedy.Run(decoder, 3, 1, 2, CopyTranslator.TargetLength);
                    decoder.Begin(batch, width: 2);
                    beam.Run(decoder, 3, 2, 1, 2, CopyTranslator.TargetLength);
                });
                return (step, decode);
            }

            /// <summary>The messages of the PyTorch export (module source and files), which refuses the head.</summary>
            public static string[] ExportMessages()
            {
                string directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "copy-export-" + Guid.NewGuid().ToString("N"));
                return [Message(() => _ = CopyTranslator.PyTorchSource), Message(() => CopyTranslator.WritePyTorch(directory)), System.IO.Directory.Exists(directory).ToString()];

                static string Message(Action export)
                {
                    try
                    {
                        export();
                        return "no exception";
                    }
                    catch (NotSupportedException error)
                    {
                        return error.Message;
                    }
                }
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
    public void Declaration_generates_code_that_compiles_with_no_diagnostic()
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(Models);
        outcome.AssertNoCrash();
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        string code = string.Concat(outcome.Sources.Select(s => s.SourceText.ToString()));
        Assert.Contains("PointerGenerator.Forward(", code, StringComparison.Ordinal);
        Assert.Contains("PointerGenerator.Backward(", code, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_matches_finite_differences_for_every_parameter_tensor()
    {
        var results = (List<(string Name, float Analytic, float Numeric)>)Call("CheckGradients")!;

        // float32 losses, Richardson-extrapolated central differences (h = 1e-2 and 5e-3): ~1e-4 absolute noise, as in
        // TrainerTests; a wrong term is of the order of the gradient itself.
        var failures = results
            .Where(r => Math.Abs(r.Analytic - r.Numeric) > 1e-3 + (0.02 * Math.Abs(r.Numeric)))
            .Select(r => r.Name + ": analytic " + r.Analytic.ToString(CultureInfo.InvariantCulture) + ", numeric " + r.Numeric.ToString(CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        foreach (string name in new[] { "logits.weight", "logits.bias", "logits.copy_query.weight", "logits.gate.weight", "logits.gate.bias", "encoder.layers.0.linear2.bias", "source_embedding.weight" })
        {
            Assert.Contains(results, r => r.Name == name && Math.Abs(r.Numeric) > 1e-5);
        }
    }

    [Fact]
    public void Step_decoder_equals_the_teacher_forced_forward()
    {
        double worst = (double)Call("DecoderMatchesForward")!;

        // Same kernels and parameters; the step path projects one row at a time and sums attention over masked cache slots
        // as zeros, so the log-probabilities (~1-3 in size) differ only by float32 rounding of reordered sums.
        Assert.True(worst < 1e-4, $"largest difference {worst}");
    }

    [Fact]
    public void Greedy_decoding_is_the_argmax_of_the_forward()
    {
        (int[] greedy, int[] argmax) = ((int[], int[]))Call("GreedyAndArgmax")!;
        Assert.NotEmpty(greedy);
        Assert.Equal(greedy, argmax);
    }

    [Fact]
    public void A_training_step_and_decoding_allocate_nothing()
    {
        (long step, long decode) = ((long, long))Call("Allocated", (Func<Action, long>)(action => Allocations.Measure(action)))!;
        Assert.Equal(0, step);
        Assert.Equal(0, decode);
    }

    [Fact]
    public void PyTorch_export_refuses_the_head_by_name_and_writes_nothing()
    {
        // The ONNX refusal is tested where ToOnnx is emitted (a compilation referencing ModelDsl.Onnx): Onnx.Tests' ExportTests.
        string[] messages = (string[])Call("ExportMessages")!;
        const string Expected = "CopyTranslator cannot be exported to PyTorch yet: layer Logits: the pointer-generator head (Logits) has no nn.Module export;"
            + " tests/parity/copy_head.py holds a PyTorch reference of its math.";
        Assert.Equal(3, messages.Length);
        Assert.Equal(Expected, messages[0]);
        Assert.Equal(Expected, messages[1]);
        Assert.Equal("False", messages[2]);
    }

    [Theory]
    [InlineData("[PointerGenerator(Vocab, Memory = nameof(Encoder), Input = nameof(TargetEmbedding))]", "[[|PointerGenerator(Vocab, Input = nameof(TargetEmbedding))|]]", "MDSL1025",
        "Logits: [PointerGenerator] copies from Memory (not set): name the encoder output to copy from, e.g. Memory = nameof(Encoder)")]
    [InlineData("Memory = nameof(Encoder), Input", "[|Memory = nameof(Decoder)|], Input", "MDSL1025",
        "Logits: [PointerGenerator] copies from Memory 'Decoder': it is a sequence of the decoded input 'Target', not of the source")]
    [InlineData("Input = nameof(TargetEmbedding)", "[|Input = nameof(Positions)|]", "MDSL1026",
        "Logits: [PointerGenerator] reads the decoder input from Input 'Positions': it is [LearnedPositions], not an [Embedding]")]
    [InlineData("Input = nameof(TargetEmbedding)", "[|Input = nameof(SourceEmbedding)|]", "MDSL1026",
        "Logits: [PointerGenerator] reads the decoder input from Input 'SourceEmbedding': it embeds 'Source', not the decoded input 'Target' of the states")]
    [InlineData("[PointerGenerator(Vocab,", "[PointerGenerator([|10|],", "MDSL1027",
        "Logits: [PointerGenerator] copies the tokens of 'Source', whose vocabulary Vocab (12) (of 'SourceEmbedding') exceeds the output vocabulary Vocab (10); source and output must share one vocabulary")]
    public void Shape_rules_are_reported_at_the_argument(string original, string marked, string id, string message)
    {
        Assert.Contains(original, Models, StringComparison.Ordinal);
        (string code, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(Models.Replace(original, marked, StringComparison.Ordinal));
        GeneratorOutcome outcome = GeneratorHarness.Run(code);
        outcome.AssertNoCrash();
        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(span, diagnostic.Location.SourceSpan);
    }

    private static object? Call(string method, params object[] arguments) => Compiled.Value.GetType("Tiny.CopyHarness")!.GetMethod(method)!.Invoke(null, arguments);

    private static Assembly Load(params string[] sources)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(sources);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        using var stream = new MemoryStream();
        // Own assembly name: other tests load theirs into the same context.
        Compilation release = outcome.Output
            .WithAssemblyName("ModelDsl.Generator.PointerGeneratorLayerTests")
            .WithOptions(((CSharpCompilationOptions)outcome.Output.Options).WithOptimizationLevel(OptimizationLevel.Release));
        EmitResult result = release.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(stream);
    }
}
