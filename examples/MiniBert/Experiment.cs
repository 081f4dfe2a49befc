using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.IO;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Tokenization;
using ModelDsl.Training;

namespace ModelDsl.Examples.MiniBert;

/// <summary>How long each phase trains.</summary>
/// <param name="PretrainSteps">Masked-language-model steps.</param>
/// <param name="FineTuneSteps">Classifier steps, the same for the pretrained and the scratch encoder.</param>
/// <param name="Threads">Worker threads of each trainer.</param>
/// <param name="FineTuneLearningRate">The peak learning rate of fine-tuning the pretrained encoder, chosen on the validation fortunes.</param>
/// <param name="Labelled">Labelled fortunes fine-tuning learns from (at most <see cref="Experiment.MaxLabelled"/>), each seen both ways.</param>
/// <param name="ValidationOnly">Measure on the validation fortunes only, leave the test fortunes unread (to choose settings).</param>
/// <param name="Task">The labelled task.</param>
/// <param name="ScratchLearningRate">The peak learning rate of fine-tuning the random encoder, chosen on the validation fortunes.</param>
public sealed record Settings(int PretrainSteps = 2000, int FineTuneSteps = 300, int Threads = 2, float FineTuneLearningRate = 3e-4f,
    int Labelled = 300, bool ValidationOnly = false, FineTuneTask Task = FineTuneTask.Continuation, float ScratchLearningRate = 1e-3f);

/// <summary>The labelled task fine-tuning learns.</summary>
public enum FineTuneTask
{
    /// <summary>Is the second sentence the real continuation of the first (<see cref="Fortunes.ContinuationPairs"/>)?</summary>
    Continuation,

    /// <summary>Was one word replaced (<see cref="Fortunes.OddWordPair"/>)?</summary>
    OddWord,
}

/// <summary>What the pretraining reached.</summary>
/// <param name="Path">The pretrained parameters (a checkpoint of <see cref="MiniBertPretraining"/>).</param>
/// <param name="MaskedAccuracy">The share of held-out masked words predicted right.</param>
/// <param name="MlmLoss">The held-out masked-word loss.</param>
/// <param name="NspLoss">The held-out next-sentence loss (ln 2 = 0.693 for a coin flip).</param>
public sealed record Pretrained(string Path, double MaskedAccuracy, double MlmLoss, double NspLoss);

/// <summary>What a fine-tuning run reached.</summary>
/// <param name="Accuracy">The test accuracy after the last step (NaN with <see cref="Settings.ValidationOnly"/>).</param>
/// <param name="TestItems">The test items it is measured on (each test fortune as written and with a word replaced).</param>
/// <param name="ValidationAccuracy">The validation accuracy after the last step, what settings are chosen on.</param>
/// <param name="Report">What the non-strict load took from the pretrained file; null from scratch.</param>
public sealed record FineTuned(double Accuracy, int TestItems, double ValidationAccuracy, LoadReport? Report)
{
    /// <summary>One binomial standard deviation of <see cref="Accuracy"/>: sqrt(p (1 - p) / n).</summary>
    public double StandardDeviation => Math.Sqrt(Accuracy * (1 - Accuracy) / TestItems);
}

/// <summary>The two phases of the example, callable with short settings from the tests.</summary>
public static class Experiment
{
    /// <summary>Every this many documents of the pretraining corpus, one is held out to measure the heads.</summary>
    public const int ValidationEvery = 20;

    /// <summary>The seed of the classifier's initialization, its data order and its dropout, the same for both runs.</summary>
    public const int FineTuneSeed = 2;

    /// <summary>The first this many of the labelled fortunes are the validation set; fine-tuning learns from the others.</summary>
    public const int ValidationCount = 1000;

    /// <summary>The most labelled fortunes fine-tuning can learn from.</summary>
    public const int MaxLabelled = Fortunes.TrainCount - ValidationCount;

    /// <summary>
    /// Pretrains <see cref="MiniBertPretraining"/>'s two heads together on sentence pairs of the unlabelled corpus
    /// (<see cref="SentencePairs"/>: half the second sentences follow the first, half are random) with BERT's masking over
    /// the pair (a new draw every time a pair is read), and writes its parameters to <paramref name="path"/>.
    /// </summary>
    public static Pretrained Pretrain(FortuneSplit split, WordVocabulary vocabulary, Settings settings, string path, TextWriter log)
    {
        List<IReadOnlyList<int[]>> documents = Fortunes.Documents(vocabulary, split.Pretraining);
        SentencePair[] train = SentencePairs.Build([.. documents.Where((_, i) => i % ValidationEvery != 0)], vocabulary.Special, Sizes.Length, seed: 5);
        SentencePair[] validation = SentencePairs.Build([.. documents.Where((_, i) => i % ValidationEvery == 0)], vocabulary.Special, Sizes.Length, seed: 6);
        var masking = new MaskedLanguageModeling(vocabulary, seed: 7);
        var trainBatches = new BatchLoader<MiniBertPretraining.Batch, SentencePair>(train, PairWriter(masking, sameEveryTime: false), new LoaderOptions { Seed = 1 });
        var validationBatches = new BatchLoader<MiniBertPretraining.Batch, SentencePair>(validation, PairWriter(masking, sameEveryTime: true),
            new LoaderOptions { Shuffle = false });

        const float LearningRate = 3e-3f;
        var schedule = new WarmupCosineSchedule(LearningRate, warmupSteps: Math.Min(100, settings.PretrainSteps / 10), totalSteps: settings.PretrainSteps, floor: LearningRate / 20);
        var model = new MiniBertPretraining(seed: 1);
        using MiniBertPretraining.Trainer trainer = model.CreateTrainer(new AdamW(LearningRate, weightDecay: 0.01f), settings.Threads, schedule, clipNorm: 1f);
        trainer.ExcludeFromWeightDecay(TrainerBase.BiasesAndNorms);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pretraining MLM (15 % of positions: 80 % <mask>, 10 % random, 10 % kept) + NSP on {train.Length} sentence pairs of {documents.Count} fortunes, {validation.Length} pairs held out"));
        History history = trainer.Fit(trainBatches, validationBatches, new FitOptions
        {
            Steps = settings.PretrainSteps,
            EvaluateEvery = Math.Max(1, settings.PretrainSteps / 3),
            Metrics = [new Accuracy()],
            Callbacks = [new ConsoleLinesCallback(log, everySteps: 250)],
        });
        trainer.SaveCheckpoint(path);
        var last = history.Evaluations[^1].Metrics;
        return new Pretrained(path, last["accuracy"], last["loss_Mlm"], last["loss_Nsp"]);
    }

    /// <summary>A pair, corrupted by <paramref name="masking"/>, into the batch: the ids, the MLM labels and the NSP label.</summary>
    public static RowWriter<MiniBertPretraining.Batch, SentencePair> PairWriter(MaskedLanguageModeling masking, bool sameEveryTime)
    {
        ArgumentNullException.ThrowIfNull(masking);
        int[] inputs = new int[Sizes.Length], labels = new int[Sizes.Length];
        ulong written = 0;
        return (batch, row, pair) =>
        {
            int n = pair.Tokens.Length;
            masking.Apply(pair.Tokens, inputs.AsSpan(0, n), labels.AsSpan(0, n), sameEveryTime ? MaskedLanguageModeling.ContentHash(pair.Tokens) : written++);
            batch.SetText(row, inputs.AsSpan(0, n));
            batch.SetMlmLabels(row, labels.AsSpan(0, n));
            batch.SetNspLabel(row, pair.IsRandomNext);
        };
    }

    /// <summary>
    /// Fine-tunes <see cref="MiniBertClassifier"/> on <see cref="Settings.Labelled"/> labelled fortunes (the task of
    /// <see cref="Settings.Task"/>) for <see cref="Settings.FineTuneSteps"/> steps, from the pretrained encoder when
    /// <paramref name="pretrained"/> is given (loaded non-strictly: the MLM and NSP heads are skipped, the new head keeps its
    /// initialization) or from scratch, measures the validation fortunes after the last step and then, unless
    /// <see cref="Settings.ValidationOnly"/>, the test fortunes once.
    /// </summary>
    public static FineTuned FineTune(FortuneSplit split, WordVocabulary vocabulary, Settings settings, string? pretrained, TextWriter log)
    {
        if (settings.Labelled is < 1 or > MaxLabelled)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Labelled, $"Labelled must be within 1..{MaxLabelled}.");
        }

        // The replacements are drawn from the pretraining corpus (the test fortunes are not in it). Every fortune gives two
        // items, as written and with a word replaced; the indexes keep the draws of the three sets apart.
        int[][] corpus = [.. split.Pretraining.Select(f => Fortunes.Encode(vocabulary, f)).Where(ids => ids.Length > 2)];
        LabeledTokens[] Items(IEnumerable<Fortune> fortunes, int first) => settings.Task == FineTuneTask.OddWord
            ? [.. fortunes.SelectMany((f, i) => Fortunes.OddWordPair(vocabulary, f, first + i, corpus))]
            : [.. Fortunes.ContinuationPairs(vocabulary, fortunes, seed: 31 + (ulong)first)];
        LabeledTokens[] validation = Items(split.Train[..ValidationCount], 0);
        LabeledTokens[] train = Items(split.Train[ValidationCount..(ValidationCount + settings.Labelled)], ValidationCount);
        RowWriter<MiniBertClassifier.Batch, LabeledTokens> rows = RowWriters.Classification<MiniBertClassifier.Batch>();
        var trainBatches = new BatchLoader<MiniBertClassifier.Batch, LabeledTokens>(train, rows, new LoaderOptions { Seed = FineTuneSeed });
        var validationBatches = new BatchLoader<MiniBertClassifier.Batch, LabeledTokens>(validation, rows, new LoaderOptions { Shuffle = false });

        float LearningRate = pretrained is null ? settings.ScratchLearningRate : settings.FineTuneLearningRate;
        var schedule = new WarmupCosineSchedule(LearningRate, warmupSteps: Math.Min(30, settings.FineTuneSteps / 10), totalSteps: settings.FineTuneSteps, floor: LearningRate / 20);
        var model = new MiniBertClassifier(seed: FineTuneSeed);
        using MiniBertClassifier.Trainer trainer = model.CreateTrainer(new AdamW(LearningRate, weightDecay: 0.01f), settings.Threads, schedule,
            clipNorm: 1f, dropoutSeed: FineTuneSeed);
        trainer.ExcludeFromWeightDecay(TrainerBase.BiasesAndNorms);
        string name = pretrained is null ? "from scratch" : "pretrained";
        LoadReport? report = pretrained is null ? null : trainer.LoadMatchingParameters(pretrained);
        if (report is not null)
        {
            log.WriteLine(report);
        }

        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fine-tuning ({name}) on the {settings.Task} task: {train.Length} items from {settings.Labelled} labelled fortunes, {settings.FineTuneSteps} steps, validating on {validation.Length} items"));
        History history = trainer.Fit(trainBatches, validationBatches, new FitOptions
        {
            Steps = settings.FineTuneSteps,
            EvaluateEvery = settings.FineTuneSteps,                   // once, after the last step
            Metrics = [new Accuracy()],
            Callbacks = [new ConsoleLinesCallback(log, everySteps: 100)],
        });
        double validationAccuracy = history.Evaluations[^1].Metrics["accuracy"];
        if (settings.ValidationOnly)
        {
            return new FineTuned(double.NaN, 0, validationAccuracy, report);
        }

        // The test fortunes are read once, after the last step.
        LabeledTokens[] test = Items(split.Test, Fortunes.TrainCount);
        return new FineTuned(Accuracy(trainer, test), test.Length, validationAccuracy, report);
    }

    /// <summary>The share of <paramref name="items"/> the trained classifier labels right (dropout off).</summary>
    public static double Accuracy(MiniBertClassifier.Trainer trainer, IReadOnlyList<LabeledTokens> items)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(items);
        RowWriter<MiniBertClassifier.Batch, LabeledTokens> rows = RowWriters.Classification<MiniBertClassifier.Batch>();
        var batch = new MiniBertClassifier.Batch();
        int right = 0;
        for (int first = 0; first < items.Count; first += Sizes.Batch)
        {
            int count = Math.Min(Sizes.Batch, items.Count - first);
            for (int row = 0; row < count; row++)
            {
                rows(batch, row, items[first + row]);
            }

            batch.Count = count;
            trainer.Evaluate(batch);
            for (int row = 0; row < count; row++)
            {
                right += trainer.Predict(row) == items[first + row].Label ? 1 : 0;
            }
        }

        return (double)right / items.Count;
    }
}
