using System;
using System.IO;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Optim;

namespace ModelDsl.Training.Tests;

/// <summary>
/// The learning-rate finder and reduce-on-plateau on a generated trainer (TinyClassifier: dropout, AdamW, a parameter group), fed
/// by a shuffled <see cref="BatchLoader{TBatch, TExample}"/>.
/// </summary>
public sealed class LearningRateFinderModelTests
{
    private static BatchLoader<TinyClassifier.Batch, LabeledTokens> Loader() =>
        new([.. Enumerable.Range(0, 24).Select(i => new LabeledTokens([3 + (i % 9), 1 + (i % 2), 2], (3 + (i % 9)) % 3))],
            RowWriters.Classification<TinyClassifier.Batch>(), new LoaderOptions { Seed = 3 });

    private static TinyClassifier.Trainer NewTrainer(TinyClassifier model)
    {
        var trainer = model.CreateTrainer(new AdamW(0.01f), dropoutSeed: 9);
        trainer.SetParameterGroup(nameof(TinyClassifier.Tokens), 0.5f, 0f);
        return trainer;
    }

    [Fact]
    public void Sweep_on_a_generated_trainer_leaves_its_run_unchanged()
    {
        var loader = Loader();
        var batch = new TinyClassifier.Batch();
        var model = new TinyClassifier(seed: 2);
        using var trainer = NewTrainer(model);
        for (int i = 0; i < 4; i++)
        {
            loader.Fill(batch, trainer.Steps);
            trainer.Step(batch);
        }

        string before = Checkpoint(trainer);
        LearningRateCurve curve = LearningRateFinder.Run(trainer, loader, new LearningRateFinderOptions { MinLearningRate = 1e-5f, MaxLearningRate = 100f, Steps = 40 });
        Assert.True(curve.LearningRates.Count >= 2);
        Assert.True(curve.LearningRates.Zip(curve.LearningRates.Skip(1)).All(pair => pair.Second > pair.First), "rates rise");
        Assert.Equal(before, Checkpoint(trainer));

        // The run continues as one that never swept: the same dropout masks, moments and parameters, to the bit.
        var twinModel = new TinyClassifier(seed: 2);
        using var twin = NewTrainer(twinModel);
        for (int i = 0; i < 8; i++)
        {
            loader.Fill(batch, twin.Steps);
            twin.Step(batch);
            if (i >= 4)
            {
                loader.Fill(batch, trainer.Steps);
                trainer.Step(batch);
            }
        }

        Assert.True(model.Parameters.Span.SequenceEqual(twinModel.Parameters.Span));
    }

    private static string Checkpoint(TinyClassifier.Trainer trainer)
    {
        string path = Path.Combine(Path.GetTempPath(), "lrfinder-model-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            trainer.SaveCheckpoint(path);
            return Convert.ToHexString(File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
