using System;
using System.IO;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Tokenization;
using ModelDsl.Training;

namespace ModelDsl.Reports.Tests;

/// <summary>
/// The README's "Training with Fit" quick start, line for line, except where its files and lines go: the progress lines
/// to a writer the test reads, the curves into a temporary folder.
/// </summary>
public sealed class QuickStartTests : IDisposable
{
    private readonly string _folder = Pictures.NewFolder("quickstart");

    public void Dispose() => Pictures.Delete(_folder);

    [Fact]
    public void The_readme_quick_start_trains_evaluates_and_writes_its_curves()
    {
        var output = new StringWriter();
        string runs = Path.Combine(_folder, "runs", "review");
        // --- README: from here ---
        string[] texts = ["good movie", "great fun", "bad plot", "awful acting", "great acting", "bad fun", "good plot", "awful movie"];
        int[] labels = [1, 1, 0, 0, 1, 0, 1, 0];

        var vocabulary = WordVocabulary.Build(texts);
        var examples = texts.Select((text, i) => new LabeledTokens(vocabulary.Encode(text), labels[i])).ToArray();
        var (train, validation) = DataSplit.Split(examples, validationFraction: 0.25, seed: 1);

        var model = new Review(seed: 1);
        using var trainer = model.CreateTrainer(new AdamW(0.05f));
        History history = trainer.Fit(
            new BatchLoader<Review.Batch, LabeledTokens>(train, RowWriters.Classification<Review.Batch>()),
            new BatchLoader<Review.Batch, LabeledTokens>(validation, RowWriters.Classification<Review.Batch>(), new() { Shuffle = false }),
            new FitOptions { Epochs = 40, Metrics = [new Accuracy()], Callbacks = [new FitProgress("review", output), new CurvesCallback(runs)] });

        output.WriteLine($"validation accuracy {history.Evaluations[^1].Metrics["accuracy"]:P0}");
        // --- README: to here ---

        Assert.Equal(40, history.StepCount); // 6 training examples: one batch per epoch
        Assert.Equal(40, history.Evaluations.Count);
        Assert.True(history.StepLosses[^1] < history.StepLosses[0] / 4, "the training loss falls on six separable examples");
        Assert.Equal((800, 480), Pictures.AssertPng(Path.Combine(runs, "training-loss.png")));
        Pictures.AssertPng(Path.Combine(runs, "training-accuracy.png"));
        Assert.Equal(41, File.ReadAllLines(Path.Combine(runs, "training.csv")).Length);
        Assert.Contains("review step 40/40 (100%)", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("validation accuracy", output.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>The README quick start's model: words, mean, two classes.</summary>
[Model(MaxBatch = 8)]
public partial class Review
{
    [Input(8)] public partial TokenInput Text { get; }
    [Embedding(32, 16)] public partial TokenEmbedding Words { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(2)] [CrossEntropyLoss] public partial Dense Head { get; }
}
