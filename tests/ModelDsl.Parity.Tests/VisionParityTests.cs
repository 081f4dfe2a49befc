using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using ModelDsl.IO;
using ModelDsl.Kernels;
using ModelDsl.Optim;

namespace ModelDsl.Parity;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>SmallCnn in tests/parity/vision.py: both pools, padding, dilation and groups, a flattened Dense head.</summary>
[Model(MaxBatch = 4)]
public partial class SmallCnn
{
    [Input(Channels = 1, Height = 8, Width = 8)] public partial ImageInput Images { get; }
    [Conv2d(6, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
    [Activation(Activation.Relu)] public partial ActivationLayer Relu { get; }
    [MaxPool2d(2)] public partial Pool2dLayer Pool1 { get; }
    [Conv2d(8, 3, Padding = 2, Dilation = 2, Groups = 2)] public partial Conv2dLayer Conv2 { get; }
    [AvgPool2d(3, Stride = 2, Padding = 1)] public partial Pool2dLayer Pool2 { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(5)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>SmallGlobalCnn in tests/parity/vision.py: a strided convolution without bias, GELU, global average pooling.</summary>
[Model(MaxBatch = 3)]
public partial class SmallGlobalCnn
{
    [Input(Channels = 3, Height = 7, Width = 9)] public partial ImageInput Images { get; }
    [Conv2d(4, 3, Stride = 2, Bias = false)] public partial Conv2dLayer Conv1 { get; }
    [Activation(Activation.Gelu)] public partial ActivationLayer Gelu { get; }
    [Conv2d(6, 2)] public partial Conv2dLayer Conv2 { get; }
    [GlobalAvgPool2d] public partial Pool2dLayer Pool { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>SmallVit in tests/parity/vision.py: a patch embedding (class token, positions), a pre-norm encoder, the class token to the head.</summary>
[Model(MaxBatch = 3)]
public partial class SmallVit
{
    [Input(Channels = 2, Height = 8, Width = 6)] public partial ImageInput Images { get; }
    [PatchEmbedding(2, 8)] public partial PatchEmbeddingLayer Patches { get; }
    [TransformerEncoder(Layers = 2, Heads = 2, FeedForward = 16, NormFirst = true, Dropout = 0f)] public partial EncoderStack Encoder { get; }
    [FirstTokenPool] public partial Pool Cls { get; }
    [Dense(4)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>SmallConv1d in tests/parity/vision.py: a length-keeping Conv1d, ReLU, a strided, dilated, grouped Conv1d, a mean pool.</summary>
[Model(MaxBatch = 3)]
public partial class SmallConv1d
{
    [Input(12, Features = 3)] public partial FeatureInput Signal { get; }
    [Conv1d(6, 3, Padding = 1)] public partial Conv1dLayer Conv1 { get; }
    [Activation(Activation.Relu)] public partial ActivationLayer Relu { get; }
    [Conv1d(8, 3, Stride = 2, Padding = 2, Dilation = 2, Groups = 2)] public partial Conv1dLayer Conv2 { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(4)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>SmallMixer in tests/parity/vision.py: one MLP-Mixer block (token mixing, channel mixing, both residual) over a patch embedding.</summary>
[Model(MaxBatch = 3)]
public partial class SmallMixer
{
    [Input(Channels = 2, Height = 8, Width = 8)] public partial ImageInput Images { get; }
    [PatchEmbedding(4, 8)] public partial PatchEmbeddingLayer Patches { get; }
    [LayerNorm] public partial Norm Norm1 { get; }
    [TokenMixing(6)] public partial TokenMixingLayer Token1 { get; }
    [Activation(Activation.Gelu)] public partial ActivationLayer Gelu1 { get; }
    [TokenMixing(5)] public partial TokenMixingLayer Token2 { get; }
    [Add(nameof(Token2), nameof(Patches))] public partial MergeLayer Mixed { get; }
    [LayerNorm] public partial Norm Norm2 { get; }
    [Dense(12)] public partial Dense Channel1 { get; }
    [Activation(Activation.Gelu)] public partial ActivationLayer Gelu2 { get; }
    [Dense(8)] public partial Dense Channel2 { get; }
    [Add(nameof(Channel2), nameof(Mixed))] public partial MergeLayer Block { get; }
    [LayerNorm] public partial Norm Norm { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}

#pragma warning restore CS1591

/// <summary>
/// The image layers against PyTorch (tests/parity/vision.py): <c>nn.Conv2d</c> and <c>nn.Conv1d</c> over a sweep of kernel, stride, padding, dilation,
/// groups and bias; <c>F.max_pool2d</c> and <c>F.avg_pool2d</c> over kernel, stride and padding; global average pooling; and two
/// whole generated CNNs, a Conv1d sequence classifier, a ViT and an MLP-Mixer (forward, loss and every parameter gradient), weights loaded under PyTorch's state_dict names. All at
/// <c>assert_close</c>'s float32 defaults.
/// </summary>
public sealed class VisionParityTests : IDisposable
{
    private static readonly Fixture Vision = Fixture.Load("vision");
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-vision-parity-" + Guid.NewGuid().ToString("N")).FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> Convolutions => Fixture.CaseNames("vision", c => c.GetProperty("op").GetString() == "conv");

    public static TheoryData<string> Convolutions1d => Fixture.CaseNames("vision", c => c.GetProperty("op").GetString() == "conv1d");

    public static TheoryData<string> Pools => Fixture.CaseNames("vision", c => c.GetProperty("op").GetString() is "maxpool" or "avgpool");

    public static TheoryData<string> GlobalPools => Fixture.CaseNames("vision", c => c.GetProperty("op").GetString() == "globalpool");

    private static int Int(JsonElement config, string name) => config.GetProperty(name).GetInt32();

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void Conv2d_ForwardAndEveryGradient_MatchTorch(string name)
    {
        JsonElement c = Vision.Config(name);
        bool hasBias = c.GetProperty("bias").GetBoolean();
        var shape = ConvolutionShape.Create(Int(c, "batch"), Int(c, "channels"), Int(c, "height"), Int(c, "width"), Int(c, "outChannels"),
            Int(c, "kernel"), Int(c, "stride"), Int(c, "padding"), Int(c, "dilation"), Int(c, "groups"));
        float[] x = Vision.Floats(name, "x"), weight = Vision.Floats(name, "weight"), bias = hasBias ? Vision.Floats(name, "bias") : [];
        var scratch = new float[shape.ScratchLength];
        using var pool = new ModelDsl.Threading.WorkerPool(2);
        var output = new float[shape.OutputLength];
        Convolution.Forward(output, x, weight, bias, shape, scratch, pool);
        Tolerance.Close(Vision.Floats(name, "out"), output, "out");

        var dx = new float[x.Length];
        var dw = new float[weight.Length];
        var db = new float[bias.Length];
        Convolution.Backward(dx, dw, db, Vision.Floats(name, "dout"), x, weight, shape, scratch, pool);
        Tolerance.Close(Vision.Floats(name, "grad.x"), dx, "grad.x");
        Tolerance.Close(Vision.Floats(name, "grad.weight"), dw, "grad.weight");
        if (hasBias)
        {
            Tolerance.Close(Vision.Floats(name, "grad.bias"), db, "grad.bias");
        }
    }

    [Theory]
    [MemberData(nameof(Convolutions1d))]
    public void Conv1d_ForwardAndEveryGradient_MatchTorch(string name)
    {
        JsonElement c = Vision.Config(name);
        bool hasBias = c.GetProperty("bias").GetBoolean();
        var shape = Convolution1dShape.Create(Int(c, "batch"), Int(c, "length"), Int(c, "channels"), Int(c, "outChannels"),
            Int(c, "kernel"), Int(c, "stride"), Int(c, "padding"), Int(c, "dilation"), Int(c, "groups"));
        float[] x = Vision.Floats(name, "x"), weight = Vision.Floats(name, "weight"), bias = hasBias ? Vision.Floats(name, "bias") : [];
        var scratch = new float[shape.ScratchLength];
        using var pool = new ModelDsl.Threading.WorkerPool(2);
        var output = new float[shape.OutputLength];
        Convolution1d.Forward(output, x, weight, bias, shape, scratch, pool);
        Tolerance.Close(Vision.Floats(name, "out"), output, "out");

        var dx = new float[x.Length];
        var dw = new float[weight.Length];
        var db = new float[bias.Length];
        Convolution1d.Backward(dx, dw, db, Vision.Floats(name, "dout"), x, weight, shape, scratch, pool);
        Tolerance.Close(Vision.Floats(name, "grad.x"), dx, "grad.x");
        Tolerance.Close(Vision.Floats(name, "grad.weight"), dw, "grad.weight");
        if (hasBias)
        {
            Tolerance.Close(Vision.Floats(name, "grad.bias"), db, "grad.bias");
        }
    }

    [Theory]
    [MemberData(nameof(Pools))]
    public void Pool2d_ForwardAndGradient_MatchTorch(string name)
    {
        JsonElement c = Vision.Config(name);
        var shape = Pool2dShape.Create(Int(c, "batch"), Int(c, "channels"), Int(c, "height"), Int(c, "width"), Int(c, "kernel"), Int(c, "stride"), Int(c, "padding"));
        float[] x = Vision.Floats(name, "x"), dout = Vision.Floats(name, "dout");
        var output = new float[shape.OutputLength];
        var dx = new float[x.Length];
        if (c.GetProperty("op").GetString() == "maxpool")
        {
            var indices = new int[shape.OutputLength];
            MaxPool2d.Forward(output, indices, x, shape);
            MaxPool2d.Backward(dx, dout, indices, shape);
        }
        else
        {
            AvgPool2d.Forward(output, x, shape);
            AvgPool2d.Backward(dx, dout, shape);
        }

        Tolerance.Close(Vision.Floats(name, "out"), output, "out");
        Tolerance.Close(Vision.Floats(name, "grad.x"), dx, "grad.x");
    }

    [Theory]
    [MemberData(nameof(GlobalPools))]
    public void GlobalAvgPool2d_ForwardAndGradient_MatchTorch(string name)
    {
        JsonElement c = Vision.Config(name);
        int planes = Int(c, "batch") * Int(c, "channels"), area = Int(c, "height") * Int(c, "width");
        float[] x = Vision.Floats(name, "x");
        var output = new float[planes];
        var dx = new float[x.Length];
        GlobalAvgPool2d.Forward(output, x, planes, area);
        GlobalAvgPool2d.Backward(dx, Vision.Floats(name, "dout"), planes, area);
        Tolerance.Close(Vision.Floats(name, "out"), output, "out");
        Tolerance.Close(Vision.Floats(name, "grad.x"), dx, "grad.x");
    }

    [Fact]
    public void SmallCnn_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallCnn(seed: 1);
        ParameterFile.Load(StateDict("cnn", SmallCnn.ParameterTable), Infos(SmallCnn.ParameterTable), model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        var batch = new SmallCnn.Batch();
        float[] images = Vision.Floats("cnn", "images");
        int[] labels = Vision.Ints("cnn", "labels");
        for (int b = 0; b < labels.Length; b++)
        {
            batch.SetImages(b, images.AsSpan(b * 64, 64));
            batch.SetLabel(b, labels[b]);
        }

        batch.Count = labels.Length;
        float loss = trainer.ComputeGradients(batch);
        Tolerance.Close(Vision.Floats("cnn", "loss"), [loss], "loss");
        Tolerance.Close(Vision.Floats("cnn", "logits"), trainer.Logits, "logits");
        CompareGradients("cnn", SmallCnn.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void SmallGlobalCnn_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallGlobalCnn(seed: 1);
        ParameterFile.Load(StateDict("cnn_global", SmallGlobalCnn.ParameterTable), Infos(SmallGlobalCnn.ParameterTable), model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        var batch = new SmallGlobalCnn.Batch();
        float[] images = Vision.Floats("cnn_global", "images");
        int[] labels = Vision.Ints("cnn_global", "labels");
        for (int b = 0; b < labels.Length; b++)
        {
            batch.SetImages(b, images.AsSpan(b * 189, 189));
            batch.SetLabel(b, labels[b]);
        }

        batch.Count = labels.Length;
        float loss = trainer.ComputeGradients(batch);
        Tolerance.Close(Vision.Floats("cnn_global", "loss"), [loss], "loss");
        Tolerance.Close(Vision.Floats("cnn_global", "logits"), trainer.Logits, "logits");
        CompareGradients("cnn_global", SmallGlobalCnn.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void SmallVit_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallVit(seed: 1);
        ParameterFile.Load(StateDict("vit", SmallVit.ParameterTable), Infos(SmallVit.ParameterTable), model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        var batch = new SmallVit.Batch();
        float[] images = Vision.Floats("vit", "images");
        int[] labels = Vision.Ints("vit", "labels");
        for (int b = 0; b < labels.Length; b++)
        {
            batch.SetImages(b, images.AsSpan(b * 96, 96));
            batch.SetLabel(b, labels[b]);
        }

        batch.Count = labels.Length;
        float loss = trainer.ComputeGradients(batch);
        Tolerance.Close(Vision.Floats("vit", "loss"), [loss], "loss");
        Tolerance.Close(Vision.Floats("vit", "logits"), trainer.Logits, "logits");
        CompareGradients("vit", SmallVit.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void SmallConv1d_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallConv1d(seed: 1);
        ParameterFile.Load(StateDict("conv1d_model", SmallConv1d.ParameterTable), Infos(SmallConv1d.ParameterTable), model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        var batch = new SmallConv1d.Batch();
        float[] signal = Vision.Floats("conv1d_model", "images");
        int[] labels = Vision.Ints("conv1d_model", "labels");
        for (int b = 0; b < labels.Length; b++)
        {
            batch.SetSignal(b, signal.AsSpan(b * 36, 36));
            batch.SetLabel(b, labels[b]);
        }

        batch.Count = labels.Length;
        float loss = trainer.ComputeGradients(batch);
        Tolerance.Close(Vision.Floats("conv1d_model", "loss"), [loss], "loss");
        Tolerance.Close(Vision.Floats("conv1d_model", "logits"), trainer.Logits, "logits");
        CompareGradients("conv1d_model", SmallConv1d.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void SmallConv1d_ChangingTheLength_RefusesAShortBatchNamingTheLayer()
    {
        var model = new SmallConv1d(seed: 1);
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 1);
        var batch = new SmallConv1d.Batch();
        batch.SetSignal(0, new float[30]); // 10 of the 12 positions
        batch.SetLabel(0, 1);
        batch.Count = 1;
        var error = Assert.Throws<ArgumentException>(() => trainer.ComputeGradients(batch));
        Assert.Contains("Conv2: a [Conv1d] that changes the length needs full-length sequences", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SmallMixer_LossLogitsAndEveryGradient_MatchTorch()
    {
        var model = new SmallMixer(seed: 1);
        ParameterFile.Load(StateDict("mixer", SmallMixer.ParameterTable), Infos(SmallMixer.ParameterTable), model.Parameters.Span);
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        var batch = new SmallMixer.Batch();
        float[] images = Vision.Floats("mixer", "images");
        int[] labels = Vision.Ints("mixer", "labels");
        for (int b = 0; b < labels.Length; b++)
        {
            batch.SetImages(b, images.AsSpan(b * 128, 128));
            batch.SetLabel(b, labels[b]);
        }

        batch.Count = labels.Length;
        float loss = trainer.ComputeGradients(batch);
        Tolerance.Close(Vision.Floats("mixer", "loss"), [loss], "loss");
        Tolerance.Close(Vision.Floats("mixer", "logits"), trainer.Logits, "logits");
        CompareGradients("mixer", SmallMixer.ParameterTable, trainer.Gradients.Span);
    }

    private static ParameterInfo[] Infos(IReadOnlyList<ParameterEntry> table) => [.. table.Select(e => new ParameterInfo(e.Name, e.Offset, [.. e.Shape]))];

    /// <summary>The case's PyTorch parameters as a state_dict safetensors file: every name must be one of nn.Conv2d's / nn.Linear's.</summary>
    private string StateDict(string name, IReadOnlyList<ParameterEntry> table)
    {
        var tensors = new List<NamedTensor>();
        foreach (var entry in table)
        {
            Assert.Equal<int>(Vision.Shape(name, "param." + entry.Name), entry.Shape.ToArray());
            tensors.Add(new NamedTensor(entry.Name, [.. entry.Shape], Vision.Floats(name, "param." + entry.Name)));
        }

        string path = Path.Combine(_folder, name + ".safetensors");
        SafeTensorsWriter.Write(path, tensors);
        return path;
    }

    private static void CompareGradients(string name, IReadOnlyList<ParameterEntry> table, ReadOnlySpan<float> gradients)
    {
        foreach (var entry in table)
        {
            Tolerance.Close(Vision.Floats(name, "grad." + entry.Name), gradients.Slice(entry.Offset, entry.Length), "grad." + entry.Name);
        }

        Assert.Equal(Vision.TensorNames(name).Count(t => t.StartsWith("grad.", StringComparison.Ordinal)), table.Count);
    }
}
