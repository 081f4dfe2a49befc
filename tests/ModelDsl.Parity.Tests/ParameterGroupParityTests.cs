using System;
using System.Collections.Generic;
using ModelDsl.Memory;
using ModelDsl.Optim;
using ModelDsl.Training;

namespace ModelDsl.Parity;

/// <summary>
/// Parameter groups against torch.optim's <c>param_groups</c>: the encoder's tensors with their own rate and weight decay, the head's
/// with the optimizer's, four steps from the fixture's gradients (tests/parity/param_groups.py).
/// </summary>
public sealed class ParameterGroupParityTests
{
    private static readonly Fixture Groups = Fixture.Load("param_groups");

    private static readonly ParameterEntry[] Table =
    [
        new("encoder.weight", 0, 24, 4, 6),
        new("encoder.bias", 32, 4, 4),
        new("head.weight", 48, 12, 3, 4),
        new("head.bias", 64, 3, 3),
    ];

    public static TheoryData<string> Cases => Fixture.CaseNames("param_groups");

    [Theory]
    [MemberData(nameof(Cases))]
    public void TwoGroups_FourSteps_MatchTorchOptim(string name)
    {
        var config = Groups.Config(name);
        float lr = config.GetProperty("lr").GetSingle(), decay = config.GetProperty("weightDecay").GetSingle();
        Optimizer optimizer = name switch
        {
            "sgd" => new Sgd(lr, weightDecay: decay),
            "momentum" => new Momentum(lr, momentum: 0.9f, weightDecay: decay),
            "adam" => new Adam(lr, weightDecay: decay),
            "adamw" => new AdamW(lr, weightDecay: decay),
            "adagrad" => new Adagrad(lr, weightDecay: decay),
            _ => throw new ArgumentException($"No optimizer for case {name}."),
        };
        using var parameters = new AlignedBlock(80);
        foreach (ParameterEntry entry in Table)
        {
            Groups.Floats(name, "start." + entry.Name).CopyTo(parameters.Span.Slice(entry.Offset, entry.Length));
        }

        using var trainer = new GradientTrainer(parameters, Table, optimizer);
        trainer.SetParameterGroup("encoder", config.GetProperty("scale").GetSingle(), config.GetProperty("groupWeightDecay").GetSingle());
        for (int step = 0; step < config.GetProperty("steps").GetInt32(); step++)
        {
            trainer.Gradients.Span.Clear();
            foreach (ParameterEntry entry in Table)
            {
                Groups.Floats(name, $"grad{step}.{entry.Name}").CopyTo(trainer.Gradients.Span.Slice(entry.Offset, entry.Length));
            }

            trainer.Apply();
            foreach (ParameterEntry entry in Table)
            {
                // Four float32 updates where PyTorch's group rate is the double lr × scale and ours the float product (an ulp
                // apart), and PyTorch may order operations differently: within assert_close's defaults.
                Tolerance.Close(Groups.Floats(name, $"after{step}.{entry.Name}"), parameters.Span.Slice(entry.Offset, entry.Length),
                    $"{name} {entry.Name} after step {step + 1}");
            }
        }
    }

    /// <summary>A trainer without a model: the test writes the gradients, <see cref="Apply"/> runs the trainer's update.</summary>
    private sealed class GradientTrainer(AlignedBlock parameters, IReadOnlyList<ParameterEntry> table, Optimizer optimizer)
        : TrainerBase("Groups", parameters, table, null, [], optimizer, threads: 1, schedule: null, clipNorm: 0f, dropoutSeed: 0, maskBytesPerStep: 0)
    {
        public void Apply() => Update(0f);
    }
}
