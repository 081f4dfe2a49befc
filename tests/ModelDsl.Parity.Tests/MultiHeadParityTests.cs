using System;
using System.Collections.Generic;
using ModelDsl.Optim;

namespace ModelDsl.Parity;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>Two heads off one trunk (matches two_heads in tests/parity/multihead.py).</summary>
[Model(MaxBatch = 4)]
public partial class ParityTwoHeads
{
    [Input(Features = 6)] public partial FeatureInput X { get; }
    [Dense(12, Activation = Activation.Tanh)] public partial Dense Trunk { get; }
    [Dense(3)] [CrossEntropyLoss(LabelSmoothing = 0.1f, Weight = 0.7f)] public partial Dense Kind { get; }
    [Dense(2, From = nameof(Trunk))] [MseLoss(Weight = 0.3f)] public partial Dense Value { get; }
}

/// <summary>Two losses on one head, distillation's (matches distilled in tests/parity/multihead.py).</summary>
[Model(MaxBatch = 5)]
public partial class ParityDistilled
{
    [Input(Features = 4)] public partial FeatureInput X { get; }
    [Dense(8, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Dense(3)] [CrossEntropyLoss(Weight = 0.25f, Name = "Hard")] [KLDivergenceLoss(Temperature = 2f, Weight = 0.75f, Name = "Teacher")]
    public partial Dense Out { get; }
}

#pragma warning restore CS1591

/// <summary>
/// Several heads and losses against PyTorch (fixtures/multihead.safetensors): with PyTorch's parameters loaded by state_dict name,
/// each loss's value, the weighted total Step returns and every parameter's gradient of the total equal autograd's, at
/// assert_close defaults.
/// </summary>
public sealed class MultiHeadParityTests
{
    private static readonly Fixture Fixtures = Fixture.Load("multihead");

    private static void Load(string name, IReadOnlyList<ParameterEntry> table, Span<float> parameters)
    {
        foreach (ParameterEntry entry in table)
        {
            float[] values = Fixtures.Floats(name, "param." + entry.Name);
            Assert.Equal(entry.Length, values.Length);
            values.AsSpan().CopyTo(parameters.Slice(entry.Offset, entry.Length));
        }
    }

    private static void AssertGradients(string name, IReadOnlyList<ParameterEntry> table, ReadOnlySpan<float> gradients)
    {
        foreach (ParameterEntry entry in table)
        {
            Tolerance.Close(Fixtures.Floats(name, "grad." + entry.Name), gradients.Slice(entry.Offset, entry.Length), "grad." + entry.Name);
        }
    }

    [Fact]
    public void Two_heads_off_one_trunk_match_torch()
    {
        const string Name = "two_heads";
        var model = new ParityTwoHeads(seed: 1);
        Load(Name, ParityTwoHeads.ParameterTable, model.Parameters.Span);
        var batch = new ParityTwoHeads.Batch();
        float[] x = Fixtures.Floats(Name, "x"), targets = Fixtures.Floats(Name, "targets");
        int[] labels = Fixtures.Ints(Name, "labels");
        for (int row = 0; row < 4; row++)
        {
            batch.SetX(row, x.AsSpan(row * 6, 6));
            batch.SetKindLabel(row, labels[row]);
            batch.SetValueTarget(row, targets.AsSpan(row * 2, 2));
        }

        batch.Count = 4;
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        Tolerance.Close(Fixtures.Floats(Name, "loss"), [loss], "loss");
        Tolerance.Close(Fixtures.Floats(Name, "losses"), trainer.LastLosses, "losses");
        AssertGradients(Name, ParityTwoHeads.ParameterTable, trainer.Gradients.Span);
    }

    [Fact]
    public void Two_losses_on_one_head_match_torch()
    {
        const string Name = "distilled";
        var model = new ParityDistilled(seed: 1);
        Load(Name, ParityDistilled.ParameterTable, model.Parameters.Span);
        var batch = new ParityDistilled.Batch();
        float[] x = Fixtures.Floats(Name, "x"), teacher = Fixtures.Floats(Name, "teacher");
        int[] labels = Fixtures.Ints(Name, "labels");
        for (int row = 0; row < 5; row++)
        {
            batch.SetX(row, x.AsSpan(row * 4, 4));
            batch.SetHardLabel(row, labels[row]);
            batch.SetTeacherTarget(row, teacher.AsSpan(row * 3, 3));
        }

        batch.Count = 5;
        using var trainer = model.CreateTrainer(new Sgd(0.1f));
        float loss = trainer.ComputeGradients(batch);
        Tolerance.Close(Fixtures.Floats(Name, "loss"), [loss], "loss");
        Tolerance.Close(Fixtures.Floats(Name, "losses"), trainer.LastLosses, "losses");
        AssertGradients(Name, ParityDistilled.ParameterTable, trainer.Gradients.Span);
    }
}
