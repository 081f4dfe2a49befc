using System;
using ModelDsl.Optim;

namespace ModelDsl.Parity;

/// <summary>Three steps of each optimizer against torch.optim, parameter by parameter.</summary>
public sealed class OptimizerParityTests
{
    private static readonly Fixture Optimizers = Fixture.Load("optimizers");

    public static TheoryData<string> Cases => Fixture.CaseNames("optimizers");

    private static Optimizer Create(string name) => name switch
    {
        "sgd" => new Sgd(0.1f),
        "sgd_wd" => new Sgd(0.1f, weightDecay: 0.01f),
        "momentum" => new Momentum(0.1f, momentum: 0.9f),
        "nesterov" => new Momentum(0.1f, momentum: 0.9f, nesterov: true),
        "adagrad" => new Adagrad(0.1f),
        "adam" => new Adam(0.01f),
        "adam_wd" => new Adam(0.01f, weightDecay: 0.1f),
        "adamw" => new AdamW(0.01f, weightDecay: 0.01f),
        _ => throw new ArgumentException($"No optimizer for case {name}."),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ThreeSteps_MatchTorchOptim(string name)
    {
        var optimizer = Create(name);
        var parameters = Optimizers.Floats(name, "start");
        var state = new float[optimizer.StateLength(parameters.Length)];
        optimizer.InitializeState(state, parameters.Length);
        for (int step = 0; step < 3; step++)
        {
            optimizer.Step(parameters, Optimizers.Floats(name, $"grad{step}"), state, step + 1);
            // Three updates of float32 arithmetic, where PyTorch may fuse or order operations differently
            // (e.g. Adam's sqrt(v)/sqrt(bc2) + eps): a few ulps of the parameter, within assert_close's defaults.
            Tolerance.Close(Optimizers.Floats(name, $"after{step}"), parameters, $"{name} after step {step + 1}");
        }
    }
}
