using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelDsl.IO;
using ModelDsl.Optim;

namespace ModelDsl.Parity;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>examples/Sentiment's architecture at small sizes (matches SentimentModel in tests/parity/generate.py).</summary>
[Model(MaxBatch = 4)]
public partial class SmallSentiment
{
    public const int Vocab = 20, D = 16, Length = 8;
    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [SinusoidalPositions] public partial Positions Positions { get; }
    [TransformerEncoder(Layers = 2, Heads = 2, FeedForward = 32, Mask = Masks.KeyPadding, Dropout = 0f)] public partial EncoderStack Encoder { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(3)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Head { get; }
}

/// <summary>examples/TinyGpt's architecture at small sizes (matches GptModel in tests/parity/generate.py).</summary>
[Model(MaxBatch = 2)]
public partial class SmallGpt
{
    public const int Vocab = 16, D = 16, Length = 8;
    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [LearnedPositions(Length)] public partial Positions Positions { get; }
    [TransformerDecoder(Layers = 2, Heads = 2, FeedForward = 64, NormFirst = true, Activation = Activation.Gelu, Dropout = 0f)]
    public partial DecoderStack Blocks { get; }
    [Dense(Vocab, TiedTo = nameof(Tokens), Bias = false)] [CrossEntropyLoss(IgnoreIndex = -1)] public partial Dense Head { get; }
}

#pragma warning restore CS1591

/// <summary>
/// Whole generated models against PyTorch: weights saved from a PyTorch model (its state_dict names) load into
/// the generated parameter block by name, and the generated loss, logits and every parameter gradient equal
/// PyTorch's. Saving them back gives the same file contents under the same names.
/// </summary>
public sealed class ModelParityTests : IDisposable
{
    private static readonly Fixture Models = Fixture.Load("models");
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-model-parity-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ParameterInfo[] Infos(IReadOnlyList<ParameterEntry> table) =>
        [.. table.Select(e => new ParameterInfo(e.Name, e.Offset, [.. e.Shape]))];

    /// <summary>Writes the case's PyTorch parameters as a state_dict-style safetensors file (tied names included).</summary>
    private string StateDict(string name, IReadOnlyList<ParameterEntry> table)
    {
        var tensors = new List<NamedTensor>();
        foreach (var entry in table)
        {
            string source = Models.Has(name, "param." + entry.Name) ? entry.Name : TiedSource(table, entry);
            tensors.Add(new NamedTensor(entry.Name, [.. entry.Shape], Models.Floats(name, "param." + source)));
        }

        string path = Path.Combine(_folder, name + ".safetensors");
        SafeTensorsWriter.Write(path, tensors);
        return path;
    }

    /// <summary>The entry a tied parameter shares storage with (PyTorch lists a tied tensor once).</summary>
    private static string TiedSource(IReadOnlyList<ParameterEntry> table, ParameterEntry tied) =>
        table.First(e => e.Offset == tied.Offset && e.Name != tied.Name).Name;

    private static void CompareGradients(string name, IReadOnlyList<ParameterEntry> table, ReadOnlySpan<float> gradients)
    {
        int compared = 0;
        foreach (var entry in table)
        {
            if (!Models.Has(name, "grad." + entry.Name))
            {
                Assert.NotEqual(entry.Name, TiedSource(table, entry)); // only a tied duplicate may be absent
                continue;
            }

            Tolerance.Close(Models.Floats(name, "grad." + entry.Name), gradients.Slice(entry.Offset, entry.Length), "grad." + entry.Name);
            compared++;
        }

        Assert.True(compared >= table.Count - 1, $"compared {compared} of {table.Count} parameter gradients");
    }

    [Fact]
    public void Sentiment_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallSentiment(seed: 99);
        var table = SmallSentiment.ParameterTable;
        ParameterFile.Load(StateDict("sentiment", table), Infos(table), model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        var batch = new SmallSentiment.Batch();
        int[] ids = Models.Ints("sentiment", "ids"), lengths = Models.Ints("sentiment", "lengths"), labels = Models.Ints("sentiment", "labels");
        for (int b = 0; b < lengths.Length; b++)
        {
            batch.SetText(b, ids.AsSpan(b * 8, lengths[b]));
            batch.SetLabel(b, labels[b]);
        }

        batch.Count = lengths.Length;
        float loss = trainer.ComputeGradients(batch);
        Tolerance.Close(Models.Floats("sentiment", "loss"), [loss], "loss");
        Tolerance.Close(Models.Floats("sentiment", "logits"), trainer.Logits, "logits");
        CompareGradients("sentiment", table, trainer.Gradients.Span);
    }

    [Fact]
    public void Gpt_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallGpt(seed: 99);
        var table = SmallGpt.ParameterTable;
        ParameterFile.Load(StateDict("gpt", table), Infos(table), model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        var batch = new SmallGpt.Batch();
        int[] ids = Models.Ints("gpt", "ids"), labels = Models.Ints("gpt", "labels");
        for (int b = 0; b < 2; b++)
        {
            batch.SetText(b, ids.AsSpan(b * 8, 8));
            batch.SetLabels(b, labels.AsSpan(b * 8, 8));
        }

        batch.Count = 2;
        float loss = trainer.ComputeGradients(batch);
        Tolerance.Close(Models.Floats("gpt", "loss"), [loss], "loss");
        Tolerance.Close(Models.Floats("gpt", "logits"), trainer.Logits, "logits");
        CompareGradients("gpt", table, trainer.Gradients.Span);
    }

    [Fact]
    public void Weights_SavedByModelDsl_RoundTripUnderPyTorchNames()
    {
        var model = new SmallGpt(seed: 5);
        var table = SmallGpt.ParameterTable;
        string path = Path.Combine(_folder, "saved.safetensors");
        ParameterFile.Save(path, Infos(table), model.Parameters.Span.ToArray());
        using (var file = SafeTensorsFile.Open(path))
        {
            Assert.Equal(table.Select(e => e.Name).Order(StringComparer.Ordinal), file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
            Assert.Contains(file.Tensors, t => t.Name == "blocks.layers.1.self_attn.in_proj_weight" && t.ShapeText == "[48, 16]");
        }

        var copy = new SmallGpt(seed: 6);
        ParameterFile.Load(path, Infos(table), copy.Parameters.Span);
        Assert.True(model.Parameters.Span.SequenceEqual(copy.Parameters.Span));
    }
}
