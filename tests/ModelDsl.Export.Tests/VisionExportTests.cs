using System;
using System.Linq;
using ModelDsl.Optim;
using Xunit.Abstractions;

namespace ModelDsl.Export;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>Every image layer and option in one CNN: padding, dilation, groups, max and average pooling with padding, flatten.</summary>
[Model(MaxBatch = 4)]
public partial class ExportCnn
{
    [Input(Channels = 2, Height = 9, Width = 8)] public partial ImageInput Pixels { get; }
    [Conv2d(6, 3, Padding = 2, Dilation = 2, Groups = 2)] public partial Conv2dLayer Conv1 { get; }
    [Activation(Activation.Relu)] public partial ActivationLayer Relu { get; }
    [MaxPool2d(3, Stride = 2, Padding = 1)] public partial Pool2dLayer Pool1 { get; }
    [Conv2d(4, 2, Stride = 1, Bias = false)] public partial Conv2dLayer Conv2 { get; }
    [AvgPool2d(2, Padding = 1)] public partial Pool2dLayer Pool2 { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dropout(0.2f)] public partial DropoutLayer Drop { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>A strided convolution on the batch, then global average pooling to a regression head.</summary>
[Model(MaxBatch = 4)]
public partial class ExportGlobalCnn
{
    [Input(Channels = 3, Height = 7, Width = 7)] public partial ImageInput Pixels { get; }
    [Conv2d(5, 3, Stride = 2)] public partial Conv2dLayer Conv { get; }
    [Activation(Activation.Gelu)] public partial ActivationLayer Gelu { get; }
    [GlobalAvgPool2d] public partial Pool2dLayer Pool { get; }
    [Dense(2)] [MseLoss] public partial Dense Out { get; }
}

#pragma warning restore CS1591

/// <summary>
/// The exported <c>nn.Module</c> of image models (<c>nn.Conv2d</c>, <c>F.max_pool2d</c>, <c>F.avg_pool2d</c>, the global mean,
/// <c>flatten(1)</c>; the batch file's images reshaped to <c>[B, C, H, W]</c>) against ModelDsl's forward, loss and every gradient,
/// as <see cref="GeneratedParityTests"/>.
/// </summary>
public sealed class VisionExportTests(ITestOutputHelper output)
{
    private static float[] Normal(Random random, int count) =>
        [.. new float[count].Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];

    [PyTorchFact]
    public void Cnn_ConvolutionsPoolsAndFlatten_MatchPyTorch()
    {
        var model = new ExportCnn(seed: 31);
        var batch = new ExportCnn.Batch();
        var random = new Random(31);
        for (int row = 0; row < 3; row++)
        {
            batch.SetPixels(row, Normal(random, 2 * 9 * 8));
            batch.SetLabel(row, row);
        }

        batch.Count = 3;
        using var run = new ParityRun(ExportCnn.WritePyTorch, ExportCnn.ParameterTable, ExportCnn.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        ExportCnn.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        trainer.DropoutEnabled = false;
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Logits, trainer.Gradients.Span, model.State.Span));
    }

    [PyTorchFact]
    public void GlobalCnn_StridedConvolutionAndGlobalPooling_MatchPyTorch()
    {
        var model = new ExportGlobalCnn(seed: 32);
        var batch = new ExportGlobalCnn.Batch();
        var random = new Random(32);
        for (int row = 0; row < 4; row++)
        {
            batch.SetPixels(row, Normal(random, 3 * 7 * 7));
            batch.SetTarget(row, Normal(random, 2));
        }

        batch.Count = 4;
        using var run = new ParityRun(ExportGlobalCnn.WritePyTorch, ExportGlobalCnn.ParameterTable, ExportGlobalCnn.StateTable, model.Parameters.Span.ToArray(), model.State.Span.ToArray());
        ExportGlobalCnn.WriteBatches(run.Batches, batch);
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        output.WriteLine(run.Check(loss, trainer.Predictions, trainer.Gradients.Span, model.State.Span));
    }
}
