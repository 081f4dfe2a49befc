using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>Generated code runs: compiled and loaded, its layout, initialization and Batch checks behave as documented.</summary>
public sealed class GeneratedModelTests
{
    private static readonly Lazy<Assembly> Sentiment = new(() => Load(TestModels.Sentiment, TestModels.Gpt, Probe));

    /// <summary>Spans cannot cross reflection: this compiled helper forwards arrays to the span setters.</summary>
    private const string Probe = """
        public static class Probe
        {
            public static void SetText(Demo.SentimentClassifier.Batch batch, int row, int[] ids) => batch.SetText(row, ids);
        }
        """;

    [Fact]
    public void Parameter_table_is_aligned_disjoint_and_inside_the_block()
    {
        Type model = Sentiment.Value.GetType("Demo.SentimentClassifier")!;
        var table = (System.Collections.Generic.IReadOnlyList<ParameterEntry>)model.GetProperty("ParameterTable")!.GetValue(null)!;
        int blockLength = (int)model.GetField("ParameterBlockLength")!.GetValue(null)!;
        int count = (int)model.GetField("ParameterCount")!.GetValue(null)!;

        int end = 0;
        foreach (ParameterEntry entry in table)
        {
            Assert.Equal(0, entry.Offset % 16);
            Assert.True(entry.Offset >= end, entry.Name + " overlaps the previous tensor");
            Assert.Equal(entry.Shape.Aggregate(1, (a, b) => a * b), entry.Length);
            end = entry.Offset + entry.Length;
        }

        Assert.Equal(blockLength, end);
        Assert.Equal(count, table.Sum(entry => entry.Length));
        // Hand count: embedding 1000*64; per encoder layer 3*64*64+3*64 + 64*64+64 + 256*64+256 + 64*256+64 + 4*64; head 2*64+2.
        Assert.Equal((1000 * 64) + (2 * ((3 * 64 * 64) + (3 * 64) + (64 * 64) + 64 + (256 * 64) + 256 + (64 * 256) + 64 + (4 * 64))) + (2 * 64) + 2, count);
        Assert.Equal("encoder.layers.1.self_attn.in_proj_weight", table[13].Name);
    }

    [Fact]
    public void Initialization_is_seeded_and_follows_the_documented_rules()
    {
        Type model = Sentiment.Value.GetType("Demo.SentimentClassifier")!;
        object a = Activator.CreateInstance(model, 7UL)!;
        object b = Activator.CreateInstance(model, 7UL)!;
        object c = Activator.CreateInstance(model, 8UL)!;
        float[] pa = Parameters(a), pb = Parameters(b), pc = Parameters(c);
        Assert.Equal(pa, pb);
        Assert.NotEqual(pa, pc);

        var table = (System.Collections.Generic.IReadOnlyList<ParameterEntry>)model.GetProperty("ParameterTable")!.GetValue(null)!;
        ParameterEntry Find(string name) => table.Single(entry => entry.Name == name);
        float[] Slice(ParameterEntry entry) => pa.AsSpan(entry.Offset, entry.Length).ToArray();

        Assert.All(Slice(Find("encoder.layers.0.norm1.weight")), value => Assert.Equal(1f, value));
        Assert.All(Slice(Find("encoder.layers.0.linear1.bias")), value => Assert.Equal(0f, value));
        float bound = MathF.Sqrt(6f / (64 + 256));
        float[] linear = Slice(Find("encoder.layers.0.linear1.weight"));
        Assert.All(linear, value => Assert.InRange(value, -bound, bound));
        Assert.True(linear.Max() > bound * 0.9f && linear.Min() < -bound * 0.9f, "Xavier values should fill the range");
        float[] embedding = Slice(Find("tokens.weight"));
        double mean = embedding.Average(value => (double)value);
        double variance = embedding.Average(value => (value - mean) * (value - mean));
        Assert.InRange(mean, -0.03, 0.03); // 64,000 standard normals: standard error 0.004
        Assert.InRange(variance, 0.95, 1.05);

        // The layer handle views the same floats.
        var head = (Layer)model.GetProperty("Head")!.GetValue(a)!;
        Assert.Equal("[B,2]", head.OutputShape.Text);
        Assert.Equal(Slice(Find("head.weight")), head.Parameter("weight").ToArray());
    }

    [Fact]
    public void Batch_setters_check_values_and_name_the_input()
    {
        Type batchType = Sentiment.Value.GetType("Demo.SentimentClassifier+Batch")!;
        object batch = Activator.CreateInstance(batchType)!;
        MethodInfo setText = Sentiment.Value.GetType("Probe")!.GetMethod("SetText")!;

        int[] ids = [5, 6, 7];
        Invoke(() => setText.Invoke(null, [batch, 1, ids]));
        int[] text = (int[])batchType.GetProperty("Text")!.GetValue(batch)!;
        int[] lengths = (int[])batchType.GetProperty("TextLengths")!.GetValue(batch)!;
        Assert.Equal(new[] { 5, 6, 7, 0 }, text.AsSpan(64, 4).ToArray());
        Assert.Equal(3, lengths[1]);

        Exception tooLarge = Assert.ThrowsAny<ArgumentException>(() => Invoke(() => batchType.GetProperty("Count")!.SetValue(batch, 33)));
        Assert.Contains("batch size 33 must be between 0 and MaxBatch (32)", tooLarge.Message, StringComparison.Ordinal);

        Exception badToken = Assert.ThrowsAny<ArgumentException>(() => Invoke(() => setText.Invoke(null, [batch, 0, new[] { 1, 1000 }])));
        Assert.Contains("SentimentClassifier.Batch.Text: token id 1000 at row 0, position 1 must be in [0, Vocab (1000))", badToken.Message, StringComparison.Ordinal);

        Exception tooLong = Assert.ThrowsAny<ArgumentException>(() => Invoke(() => setText.Invoke(null, [batch, 0, new int[65]])));
        Assert.Contains("sequence length 65 must be between 1 and the maximum length Length (64)", tooLong.Message, StringComparison.Ordinal);

        Exception badRow = Assert.ThrowsAny<ArgumentException>(() => Invoke(() => setText.Invoke(null, [batch, 32, ids])));
        Assert.Contains("row 32 must be in [0, MaxBatch (32))", badRow.Message, StringComparison.Ordinal);

        Exception badLabel = Assert.ThrowsAny<ArgumentException>(() => Invoke(() => batchType.GetMethod("SetLabel")!.Invoke(batch, [0, 2])));
        Assert.Contains("label 2 at row 0 must be in [0, Classes (2)) or IgnoreIndex (-100)", badLabel.Message, StringComparison.Ordinal);
        Invoke(() => batchType.GetMethod("SetLabel")!.Invoke(batch, [0, -100]));
    }

    [Fact]
    public void Summary_lists_layers_and_totals()
    {
        Type model = Sentiment.Value.GetType("Demo.Language.TinyGpt")!;
        string summary = (string)model.GetMethod("Summary")!.Invoke(null, null)!;
        Assert.Contains("Blocks (TransformerDecoder)", summary, StringComparison.Ordinal);
        Assert.Contains("LmHead (Dense)", summary, StringComparison.Ordinal);
        int count = (int)model.GetField("ParameterCount")!.GetValue(null)!;
        Assert.Contains("Total params: " + count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), summary, StringComparison.Ordinal);

        // Tied weights: the head's weight entry points at the embedding's tensor and is not counted twice.
        var layers = (System.Collections.Generic.IReadOnlyList<LayerInfo>)model.GetProperty("LayerTable")!.GetValue(null)!;
        LayerInfo head = layers.Single(layer => layer.Name == "LmHead");
        LayerInfo wte = layers.Single(layer => layer.Name == "Wte");
        Assert.Equal(wte.Parameters[0].Offset, head.Parameters[0].Offset);
        Assert.Equal(0, head.ParameterCount);
    }

    private static float[] Parameters(object model) => ((ModelDsl.Memory.AlignedBlock)model.GetType().GetProperty("Parameters")!.GetValue(model)!).Span.ToArray();

    /// <summary>Unwraps reflection's TargetInvocationException.</summary>
    private static void Invoke(Action action)
    {
        try
        {
            action();
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception.InnerException).Throw();
        }
    }

    private static Assembly Load(params string[] sources)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(sources);
        Assert.Empty(outcome.GeneratorDiagnostics);
        using var stream = new MemoryStream();
        EmitResult result = outcome.Output.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(stream);
    }
}
