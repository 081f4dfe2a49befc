using System;
using System.IO;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Tokenization;

namespace ModelDsl.Training.Tests;

/// <summary>The README's "Training with Fit" quick start, line for line (the CSV goes to a temporary folder here).</summary>
public sealed class QuickStartTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "modeldsl-quickstart-" + Guid.NewGuid().ToString("N"));

    public QuickStartTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_readme_quick_start_trains_evaluates_and_writes_its_history()
    {
        var output = new StringWriter();
        // --- README: from here ---
        string[] texts = ["good movie", "great fun", "bad plot", "awful acting", "great acting", "bad fun", "good plot", "awful movie"];
        int[] labels = [1, 1, 0, 0, 1, 0, 1, 0];

        var vocabulary = WordVocabulary.Build(texts);
        var examples = texts.Select((text, i) => new LabeledTokens(vocabulary.Encode(text), labels[i])).ToArray();
        var (train, validation) = DataSplit.Split(examples, validationFraction: 0.25, seed: 1);

        var model = new Review(seed: 1);
        using var trainer = model.CreateTrainer(new AdamW(0.05f));
        History history = trainer.Fit(
            new BatchLoader<Review.Batch, LabeledTokens>(train, Rows.Classification<Review.Batch>()),
            new BatchLoader<Review.Batch, LabeledTokens>(validation, Rows.Classification<Review.Batch>(), new() { Shuffle = false }),
            new FitOptions { Epochs = 40, Metrics = [new Accuracy()], Callbacks = [new ConsoleLinesCallback(output, everySteps: 20)] });

        history.WriteCsv(Path.Combine(_folder, "history.csv"));
        output.WriteLine($"validation accuracy {history.Evaluations[^1].Metrics["accuracy"]:P0}");
        // --- README: to here ---

        Assert.Equal(40, history.StepCount); // 6 training examples: one batch per epoch
        Assert.Equal(40, history.Evaluations.Count);
        Assert.Equal(41, File.ReadAllLines(Path.Combine(_folder, "history.csv")).Length);
        Assert.True(history.StepLosses[^1] < history.StepLosses[0] / 4, "the training loss falls on six separable examples");
        Assert.Contains("step 40/40 epoch 39", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("validation accuracy", output.ToString(), StringComparison.Ordinal);
    }
}
