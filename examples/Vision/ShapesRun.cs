using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Training;

namespace ModelDsl.Examples.Vision;

/// <summary>One model's result on the shapes' test set.</summary>
/// <param name="Model">Its name.</param>
/// <param name="Accuracy">The last epoch's test accuracy.</param>
/// <param name="Epochs">Epochs trained.</param>
/// <param name="Seconds">Training time (Fit, with the per-epoch evaluation).</param>
public sealed record ShapesResult(string Model, double Accuracy, int Epochs, double Seconds);

/// <summary>
/// The shapes part of the example: the fixed 3,000/600 sets of <see cref="Shapes"/>, then <see cref="ShapeCnn"/>,
/// <see cref="ShapeVit"/> and <see cref="ShapeMixer"/> each trained with the library's Fit (AdamW, warmup + cosine decay,
/// batches of 32 shuffled with seed 1), a few epochs each.
/// </summary>
public static class ShapesRun
{
    /// <summary>Epochs of each model at the example's default 40 digit-CNN epochs (scaled with that argument, at least 1).</summary>
    public const int CnnEpochs = 6, VitEpochs = 12, MixerEpochs = 12;

    /// <summary>Trains the three models on <paramref name="threads"/> threads and returns their test accuracies.</summary>
    public static ShapesResult[] Run(ShapeImage[] train, ShapeImage[] test, int threads, int epochs, TextWriter log)
    {
        LabeledFeatures[] trainExamples = [.. train.Select(Shapes.ToExample)], testExamples = [.. test.Select(Shapes.ToExample)];
        int Scaled(int modelEpochs) => Math.Max(1, modelEpochs * epochs / 40);
        long Steps(int modelEpochs, int maxBatch) => (long)modelEpochs * ((train.Length + maxBatch - 1) / maxBatch);

        int cnnEpochs = Scaled(CnnEpochs);
        var cnnRows = RowWriters.FeatureClassification<ShapeCnn.Batch>();
        log.WriteLine(ShapeCnn.Summary());
        const float CnnRate = 3e-3f;
        var cnnSchedule = new WarmupCosineSchedule(CnnRate, warmupSteps: 30, totalSteps: Steps(cnnEpochs, ShapeCnn.MaxBatch), floor: CnnRate / 100);
        using ShapeCnn.Trainer cnn = new ShapeCnn(seed: 1).CreateTrainer(new AdamW(CnnRate, weightDecay: 1e-4f), threads, cnnSchedule);
        ShapesResult cnnResult = Fit("ShapeCnn", cnnEpochs, log, options => cnn.Fit(
            new BatchLoader<ShapeCnn.Batch, LabeledFeatures>(trainExamples, cnnRows, new LoaderOptions { Seed = 1 }),
            new BatchLoader<ShapeCnn.Batch, LabeledFeatures>(testExamples, cnnRows, new LoaderOptions { Shuffle = false }), options));

        int vitEpochs = Scaled(VitEpochs);
        var vitRows = RowWriters.FeatureClassification<ShapeVit.Batch>();
        log.WriteLine(ShapeVit.Summary());
        const float VitRate = 6e-3f;
        var vitSchedule = new WarmupCosineSchedule(VitRate, warmupSteps: 50, totalSteps: Steps(vitEpochs, ShapeVit.MaxBatch), floor: VitRate / 100);
        using ShapeVit.Trainer vit = new ShapeVit(seed: 1).CreateTrainer(new AdamW(VitRate, weightDecay: 0.05f), threads, vitSchedule);
        ShapesResult vitResult = Fit("ShapeVit", vitEpochs, log, options => vit.Fit(
            new BatchLoader<ShapeVit.Batch, LabeledFeatures>(trainExamples, vitRows, new LoaderOptions { Seed = 1 }),
            new BatchLoader<ShapeVit.Batch, LabeledFeatures>(testExamples, vitRows, new LoaderOptions { Shuffle = false }), options));

        int mixerEpochs = Scaled(MixerEpochs);
        var mixerRows = RowWriters.FeatureClassification<ShapeMixer.Batch>();
        log.WriteLine(ShapeMixer.Summary());
        const float MixerRate = 6e-3f;
        var mixerSchedule = new WarmupCosineSchedule(MixerRate, warmupSteps: 50, totalSteps: Steps(mixerEpochs, ShapeMixer.MaxBatch), floor: MixerRate / 100);
        using ShapeMixer.Trainer mixer = new ShapeMixer(seed: 1).CreateTrainer(new AdamW(MixerRate, weightDecay: 0.05f), threads, mixerSchedule);
        ShapesResult mixerResult = Fit("ShapeMixer", mixerEpochs, log, options => mixer.Fit(
            new BatchLoader<ShapeMixer.Batch, LabeledFeatures>(trainExamples, mixerRows, new LoaderOptions { Seed = 1 }),
            new BatchLoader<ShapeMixer.Batch, LabeledFeatures>(testExamples, mixerRows, new LoaderOptions { Shuffle = false }), options));

        return [cnnResult, vitResult, mixerResult];
    }

    private static ShapesResult Fit(string model, int epochs, TextWriter log, Func<FitOptions, History> fit)
    {
        var clock = Stopwatch.StartNew();
        History history = fit(new FitOptions
        {
            Epochs = epochs,
            Metrics = [new Accuracy()],
            Callbacks = [new ConsoleLinesCallback(log, everySteps: 500)],
        });
        clock.Stop();
        return new ShapesResult(model, history.Evaluations[^1].Metrics["accuracy"], epochs, clock.Elapsed.TotalSeconds);
    }
}
