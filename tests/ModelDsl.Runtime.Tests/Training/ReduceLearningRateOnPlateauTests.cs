using System;
using System.Collections.Generic;
using ModelDsl.Optim;
using ModelDsl.Training;

namespace ModelDsl.Tests.Training;

/// <summary>
/// <c>ReduceLearningRateOnPlateau</c> replays fixed metric sequences against the rates PyTorch 1.13's <c>ReduceLROnPlateau</c> gives
/// them (same double arithmetic, so equal to the bit).
/// </summary>
public sealed class ReduceLearningRateOnPlateauTests
{
    private static readonly double[] Losses =
        [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.89999, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49999, 0.6, 0.7, double.NaN, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4];

    private static readonly double[] Accuracies = [0.1, 0.2, 0.2, 0.2005, 0.2, 0.19, 0.5, 0.5, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.9];

    // The output of `/usr/bin/python3 tests/parity/plateau.py` (torch 1.13.0a0): optimizer.param_groups[0]["lr"] after each
    // scheduler.step(metric), starting from lr=0.1, printed with repr (round-trip doubles).
    private static readonly Dictionary<string, (PlateauOptions Options, double[] Metrics, double[] Rates)> Cases = new()
    {
        // {'mode': 'min', 'factor': 0.5, 'patience': 1, 'threshold': 0.0001, 'threshold_mode': 'rel'}
        ["min_rel"] = (new() { Mode = PlateauMode.Min, Factor = 0.5, Patience = 1, Threshold = 1e-4, ThresholdMode = PlateauThresholdMode.Relative }, Losses,
            [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.00625, 0.00625, 0.003125, 0.003125, 0.0015625, 0.0015625, 0.0015625, 0.00078125, 0.00078125, 0.000390625, 0.000390625, 0.0001953125, 0.0001953125, 9.765625e-05]),
        // {'mode': 'min', 'factor': 0.1, 'patience': 0, 'threshold': 0.02, 'threshold_mode': 'abs', 'cooldown': 2}
        ["min_abs_cooldown"] = (new() { Mode = PlateauMode.Min, Factor = 0.1, Patience = 0, Threshold = 0.02, ThresholdMode = PlateauThresholdMode.Absolute, Cooldown = 2 }, Losses,
            [0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.00010000000000000003, 0.00010000000000000003, 0.00010000000000000003, 1.0000000000000004e-05, 1.0000000000000004e-05, 1.0000000000000004e-05, 1.0000000000000004e-06, 1.0000000000000004e-06, 1.0000000000000004e-06, 1.0000000000000005e-07, 1.0000000000000005e-07, 1.0000000000000005e-07, 1.0000000000000005e-08, 1.0000000000000005e-08, 1.0000000000000005e-08, 1.0000000000000005e-08, 1.0000000000000005e-08]),
        // {'mode': 'min', 'factor': 0.3, 'patience': 0, 'min_lr': 0.004}
        ["min_floor"] = (new() { Mode = PlateauMode.Min, Factor = 0.3, Patience = 0, MinLearningRate = 0.004 }, Losses,
            [0.1, 0.1, 0.03, 0.009, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004]),
        // {'mode': 'max', 'factor': 0.5, 'patience': 2, 'threshold': 0.01, 'threshold_mode': 'rel', 'cooldown': 1}
        ["max_rel"] = (new() { Mode = PlateauMode.Max, Factor = 0.5, Patience = 2, Threshold = 0.01, ThresholdMode = PlateauThresholdMode.Relative, Cooldown = 1 }, Accuracies,
            [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.0125]),
        // {'mode': 'max', 'factor': 0.9, 'patience': 0, 'threshold': 0.0, 'threshold_mode': 'abs', 'eps': 0.0095}
        ["max_abs_eps"] = (new() { Mode = PlateauMode.Max, Factor = 0.9, Patience = 0, Threshold = 0.0, ThresholdMode = PlateauThresholdMode.Absolute, Epsilon = 0.0095 }, Accuracies,
            [0.1, 0.1, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001]),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Replay_GivesPyTorchsRates_Exactly(string name)
    {
        (PlateauOptions options, double[] metrics, double[] rates) = Cases[name];
        var plateau = new ReduceLearningRateOnPlateau(0.1, options);
        for (int i = 0; i < metrics.Length; i++)
        {
            plateau.Step(metrics[i]);
            Assert.True(rates[i] == plateau.LearningRate, $"{name}: after metric {i} ({metrics[i]}) the rate is {plateau.LearningRate:R}, PyTorch's {rates[i]:R}");
        }
    }

    [Fact]
    public void AsAFitCallback_ItLowersTheTrainersRate()
    {
        using var trainer = QuadraticTrainer.Create(new Sgd(0.2f));
        var plateau = new ReduceLearningRateOnPlateau(trainer, new PlateauOptions { Patience = 0, Factor = 0.5 });
        IFitCallback callback = plateau;
        callback.OnFitBegin(new FitStart(10, 1, 0, ["loss"]));
        callback.OnEvaluation(new FitEvaluation(1, 0, new Dictionary<string, double> { ["loss"] = 1.0 }, true));
        Assert.Equal(1.0, trainer.LearningRateMultiplier);
        callback.OnEvaluation(new FitEvaluation(2, 0, new Dictionary<string, double> { ["loss"] = 1.0 }, false));
        Assert.Equal(0.5, trainer.LearningRateMultiplier);
        trainer.Step(new NoBatch());
        Assert.Equal(0.1f, trainer.LearningRate);
        Assert.Equal(1, plateau.Reductions);
    }

    [Fact]
    public void UnknownMonitor_Throws_NamingIt()
    {
        IFitCallback callback = new ReduceLearningRateOnPlateau(0.1, new PlateauOptions { Monitor = "acuracy" });
        var error = Assert.Throws<ArgumentException>(() => callback.OnFitBegin(new FitStart(10, 1, 0, ["loss", "accuracy"])));
        Assert.Contains("'acuracy'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    public void FactorOutsideZeroOne_Throws(double factor) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLearningRateOnPlateau(0.1, new PlateauOptions { Factor = factor }));
}
