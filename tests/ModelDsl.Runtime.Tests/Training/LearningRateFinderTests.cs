using System;
using System.Linq;
using ModelDsl.Optim;
using ModelDsl.Training;

namespace ModelDsl.Tests.Training;

/// <summary>
/// The learning-rate range test on <see cref="QuadraticTrainer"/> (loss <c>0.5 Σ (p - 1)²</c>; SGD at rate r multiplies the
/// distance by <c>1 - r</c>, so the loss falls below r = 2 and diverges above): rising rates, an early stop, and the trainer put back.
/// </summary>
public sealed class LearningRateFinderTests
{
    [Fact]
    public void Rates_RiseExponentially_FromMinToMax()
    {
        using var trainer = QuadraticTrainer.Create(new Sgd(0.1f));
        var curve = LearningRateFinder.Run(trainer, new NoBatches(), new LearningRateFinderOptions { MinLearningRate = 1e-4f, MaxLearningRate = 1f, Steps = 9 });
        Assert.False(curve.Diverged);
        Assert.Equal(9, curve.LearningRates.Count);
        Assert.Equal(1e-4f, curve.LearningRates[0]);
        Assert.Equal(1f, curve.LearningRates[^1]);
        for (int i = 1; i < 9; i++)
        {
            // Each step multiplies the rate by 10^(4/8) = sqrt(10); the float rounding of each rate is far below 1e-5 relative.
            Assert.Equal(Math.Sqrt(10), curve.LearningRates[i] / (double)curve.LearningRates[i - 1], 1e-5);
        }

        Assert.Equal(curve.LearningRates.Count, curve.Losses.Count);
        Assert.Equal(curve.LearningRates.Count, curve.SmoothedLosses.Count);
    }

    [Fact]
    public void Sweep_StopsWhenTheLossDiverges_AndSuggestsARateWhereItFell()
    {
        using var trainer = QuadraticTrainer.Create(new Sgd(0.1f));
        var options = new LearningRateFinderOptions { MinLearningRate = 1e-3f, MaxLearningRate = 1e3f, Steps = 60 };
        var curve = LearningRateFinder.Run(trainer, new NoBatches(), options);
        Assert.True(curve.Diverged);
        Assert.True(curve.LearningRates.Count < 60, $"{curve.LearningRates.Count} steps");
        // Above r = 2 every step multiplies the loss by (1 - r)² > 1: the divergence is seen only past that rate.
        Assert.True(curve.LearningRates[^1] > 2f, $"stopped at {curve.LearningRates[^1]}");
        double best = curve.SmoothedLosses.Take(curve.SmoothedLosses.Count - 1).Min();
        Assert.True(curve.SmoothedLosses[^1] > 4 * best);
        Assert.True(curve.SuggestedLearningRate > 1e-3f && curve.SuggestedLearningRate <= curve.MinimumLossLearningRate,
            $"suggested {curve.SuggestedLearningRate}, minimum at {curve.MinimumLossLearningRate}");
        Assert.Equal("learning_rate,loss,smoothed_loss", curve.ToCsv().Split('\n')[0]);
        Assert.Equal(curve.LearningRates.Count + 2, curve.ToCsv().Split('\n').Length); // header, rows, final empty line
    }

    [Fact]
    public void Trainer_IsRestored_BitForBit()
    {
        using var trainer = QuadraticTrainer.Create(new Adam(0.05f));
        var batch = new NoBatch();
        for (int i = 0; i < 3; i++)
        {
            trainer.Step(batch); // some optimizer state and steps before the sweep
        }

        float[] parameters = trainer.Parameters.ToArray(), gradients = trainer.Gradients.Span.ToArray();
        string before = Checkpoint(trainer);
        float rate = trainer.LearningRate;
        long steps = trainer.Steps;
        var curve = LearningRateFinder.Run(trainer, new NoBatches(), new LearningRateFinderOptions { MinLearningRate = 1e-3f, MaxLearningRate = 10f, Steps = 20 });
        Assert.True(curve.LearningRates.Count > 1);
        Assert.True(parameters.AsSpan().SequenceEqual(trainer.Parameters), "parameters");
        Assert.True(gradients.AsSpan().SequenceEqual(trainer.Gradients.Span), "gradients");
        Assert.Equal(steps, trainer.Steps);
        Assert.Equal(rate, trainer.LearningRate);
        Assert.Equal(before, Checkpoint(trainer)); // parameters, Adam's moments and the position, byte for byte

        // The next step is the one the trainer would have taken without the sweep.
        using var twin = QuadraticTrainer.Create(new Adam(0.05f));
        for (int i = 0; i < 4; i++)
        {
            twin.Step(batch);
        }

        trainer.Step(batch);
        Assert.True(twin.Parameters.SequenceEqual(trainer.Parameters));
    }

    [Fact]
    public void BadOptions_Throw()
    {
        using var trainer = QuadraticTrainer.Create(new Sgd(0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateFinder.Run(trainer, new NoBatches(), new LearningRateFinderOptions { MinLearningRate = 1f, MaxLearningRate = 0.1f }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateFinder.Run(trainer, new NoBatches(), new LearningRateFinderOptions { Steps = 1 }));
        Assert.Equal(0, trainer.Steps);
    }

    private static string Checkpoint(QuadraticTrainer trainer)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lrfinder-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            trainer.SaveCheckpoint(path);
            return Convert.ToHexString(System.IO.File.ReadAllBytes(path));
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }
}
