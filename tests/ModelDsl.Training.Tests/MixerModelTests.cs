using System;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Training.Tests;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>One MLP-Mixer block over a rectangular image's patches: token mixing (with and without bias), channel mixing, both skips.</summary>
[Model(MaxBatch = 6)]
public partial class MixerCheck
{
    [Input(Channels = 2, Height = 4, Width = 6)] public partial ImageInput Pixels { get; }
    [PatchEmbedding(2, 6)] public partial PatchEmbeddingLayer Patches { get; }
    [LayerNorm] public partial Norm Norm1 { get; }
    [TokenMixing(5)] public partial TokenMixingLayer Token1 { get; }
    [Activation(Activation.Gelu)] public partial ActivationLayer Gelu { get; }
    [TokenMixing(7, Bias = false)] public partial TokenMixingLayer Token2 { get; }
    [Add(nameof(Token2), nameof(Patches))] public partial MergeLayer Mixed { get; }
    [LayerNorm] public partial Norm Norm2 { get; }
    [Dense(10, Activation = Activation.Gelu)] public partial Dense Channel1 { get; }
    [Dense(6)] public partial Dense Channel2 { get; }
    [Add(nameof(Channel2), nameof(Mixed))] public partial MergeLayer Block { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}

#pragma warning restore CS1591

/// <summary>A generated MLP-Mixer block: the backward of every parameter tensor against central differences, 0 bytes per step.</summary>
public sealed class MixerModelTests
{
    private static MixerCheck.Batch CheckBatch()
    {
        var random = new Random(21);
        var batch = new MixerCheck.Batch();
        for (int row = 0; row < 5; row++)
        {
            var pixels = new float[2 * 4 * 6];
            for (int i = 0; i < pixels.Length; i++)
            {
                pixels[i] = (2f * (float)random.NextDouble()) - 1f;
            }

            batch.SetPixels(row, pixels);
            batch.SetLabel(row, row % 3);
        }

        batch.Count = 5;
        return batch;
    }

    [Fact]
    public void Mixer_backward_matches_central_differences_for_every_parameter_tensor()
    {
        var model = new MixerCheck(seed: 3);
        MixerCheck.Batch batch = CheckBatch();
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        Assert.Contains(MixerCheck.ParameterTable, entry => entry.Name == "token1.weight" && entry.Length == 5 * 7); // 6 patches + class token
        VisionModelTests.AssertGradients(MixerCheck.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
    }

    [Fact]
    public void Mixer_training_steps_allocate_nothing()
    {
        var model = new MixerCheck(seed: 7);
        MixerCheck.Batch batch = CheckBatch();
        using var trainer = model.CreateTrainer(new AdamW(1e-3f), threads: 2);
        Assert.Equal(0, Allocations.Measure(() => trainer.Step(batch)));
        Assert.Equal(0, Allocations.Measure(() => trainer.Evaluate(batch)));
    }
}
