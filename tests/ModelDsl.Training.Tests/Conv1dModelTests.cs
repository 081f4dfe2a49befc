using System;
using System.Linq;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Training.Tests;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>Two [Conv1d] over a feature sequence: one keeps the length, one is strided, dilated and grouped (a fixed length T').</summary>
[Model(MaxBatch = 6)]
public partial class Conv1dCheck
{
    [Input(10, Features = 3)] public partial FeatureInput Signal { get; }
    [Conv1d(4, 3, Padding = 1)] public partial Conv1dLayer Conv1 { get; }
    [Activation(Activation.Tanh)] public partial ActivationLayer Tanh { get; }
    [Conv1d(6, 3, Stride = 2, Padding = 1, Dilation = 2, Groups = 2)] public partial Conv1dLayer Conv2 { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>Length-keeping [Conv1d] only (dilated, grouped, without bias), so rows of different lengths train together.</summary>
[Model(MaxBatch = 6)]
public partial class Conv1dRagged
{
    [Input(9, Features = 4)] public partial FeatureInput Signal { get; }
    [Conv1d(4, 5, Padding = 4, Dilation = 2, Groups = 2, Bias = false)] public partial Conv1dLayer Conv1 { get; }
    [Activation(Activation.Gelu)] public partial ActivationLayer Gelu { get; }
    [Conv1d(5, 1)] public partial Conv1dLayer Conv2 { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
}

#pragma warning restore CS1591

/// <summary>
/// Generated [Conv1d] models: the backward of every parameter tensor against central differences (full-length and ragged
/// batches), 0 bytes per step, and a length-changing convolution refusing a short batch by name.
/// </summary>
public sealed class Conv1dModelTests
{
    private static float[] Values(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (2f * (float)random.NextDouble()) - 1f;
        }

        return values;
    }

    private static Conv1dCheck.Batch CheckBatch()
    {
        var random = new Random(11);
        var batch = new Conv1dCheck.Batch();
        for (int row = 0; row < 5; row++)
        {
            batch.SetSignal(row, Values(random, 10 * 3));
            batch.SetLabel(row, row % 3);
        }

        batch.Count = 5;
        return batch;
    }

    private static Conv1dRagged.Batch RaggedBatch()
    {
        var random = new Random(12);
        var batch = new Conv1dRagged.Batch();
        for (int row = 0; row < 6; row++)
        {
            batch.SetSignal(row, Values(random, (4 + row) * 4)); // 4 to 9 positions
            batch.SetLabel(row, row % 2);
        }

        batch.Count = 6;
        return batch;
    }

    [Fact]
    public void Strided_conv1d_backward_matches_central_differences_for_every_parameter_tensor()
    {
        var model = new Conv1dCheck(seed: 3);
        Conv1dCheck.Batch batch = CheckBatch();
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        Assert.Contains(Conv1dCheck.ParameterTable, entry => entry.Name == "conv2.weight" && entry.Shape.SequenceEqual([6, 2, 3]));
        VisionModelTests.AssertGradients(Conv1dCheck.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
    }

    [Fact]
    public void Length_keeping_conv1d_backward_on_rows_of_different_lengths_matches_central_differences()
    {
        var model = new Conv1dRagged(seed: 4);
        Conv1dRagged.Batch batch = RaggedBatch();
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        VisionModelTests.AssertGradients(Conv1dRagged.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
    }

    [Fact]
    public void Training_steps_allocate_nothing()
    {
        var check = new Conv1dCheck(seed: 7);
        Conv1dCheck.Batch batch = CheckBatch();
        using var trainer = check.CreateTrainer(new AdamW(1e-3f), threads: 2);
        var ragged = new Conv1dRagged(seed: 8);
        Conv1dRagged.Batch raggedBatch = RaggedBatch();
        using var raggedTrainer = ragged.CreateTrainer(new Adam(1e-3f), threads: 2);

        Assert.Equal(0, Allocations.Measure(() => trainer.Step(batch)));
        Assert.Equal(0, Allocations.Measure(() => trainer.Evaluate(batch)));
        Assert.Equal(0, Allocations.Measure(() => raggedTrainer.Step(raggedBatch)));
    }

    [Fact]
    public void A_length_changing_conv1d_refuses_a_short_batch_naming_the_layer()
    {
        var model = new Conv1dCheck(seed: 1);
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 1);
        var batch = new Conv1dCheck.Batch();
        batch.SetSignal(0, new float[9 * 3]);
        batch.SetLabel(0, 0);
        batch.Count = 1;
        var error = Assert.Throws<ArgumentException>(() => trainer.Step(batch));
        Assert.Equal("Conv2: a [Conv1d] that changes the length needs full-length sequences: T must be 10, got 9", error.Message);
    }
}
