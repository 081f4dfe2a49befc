using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Examples.Sentiment;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Tokenization;
using ModelDsl.Training;

// Trains the generated SentimentModel on generated reviews with a fixed seed (the library's Fit: shuffled epochs,
// held-out accuracy after each) and compares its held-out accuracy with a bag-of-words logistic regression.
// Usage: dotnet run -c Release --project examples/Sentiment [threads] [epochs]
int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
int epochs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
WordVocabulary vocabulary = ReviewGenerator.Vocabulary;
if (vocabulary.VocabularySize > SentimentModel.Vocab)
{
    throw new InvalidOperationException($"The review vocabulary has {vocabulary.VocabularySize} ids; raise SentimentModel.Vocab.");
}

Review[] train = new ReviewGenerator(1).Take(20_000);
Review[] heldOut = new ReviewGenerator(2).Take(2_000);

// Word ids from the library's WordVocabulary (<pad> 0, then the words) and labels, checked once by the loaders (a review
// too long or a word id out of range is named by its index).
LabeledTokens Encode(Review review) => new(review.Words.Select(vocabulary.IdOf).ToArray(), review.Positive ? 1 : 0);
RowWriter<SentimentModel.Batch, LabeledTokens> rows = RowWriters.Classification<SentimentModel.Batch>();
var trainBatches = new BatchLoader<SentimentModel.Batch, LabeledTokens>(train.Select(Encode).ToArray(), rows, new LoaderOptions { Seed = 1 });
var heldOutBatches = new BatchLoader<SentimentModel.Batch, LabeledTokens>(heldOut.Select(Encode).ToArray(), rows, new LoaderOptions { Shuffle = false });

var model = new SentimentModel(seed: 1);
Console.WriteLine(SentimentModel.Summary());
using SentimentModel.Trainer trainer = model.CreateTrainer(new AdamW(1e-3f, weightDecay: 0.01f), threads);

var clock = Stopwatch.StartNew();
History history = trainer.Fit(trainBatches, heldOutBatches, new FitOptions
{
    Epochs = epochs,
    Metrics = [new Accuracy()],
    Callbacks = [new ConsoleLinesCallback(Console.Out, everySteps: 125)],
});
double accuracy = history.Evaluations[^1].Metrics["accuracy"];

var baseline = new BagOfWordsBaseline(vocabulary.Tokens);
baseline.Train(train);
Console.WriteLine(FormattableString.Invariant($"Transformer (generated) held-out accuracy: {accuracy:P2}"));
Console.WriteLine(FormattableString.Invariant($"Bag-of-words baseline held-out accuracy:   {baseline.Accuracy(heldOut):P2}"));
Console.WriteLine(FormattableString.Invariant($"Training time: {clock.Elapsed.TotalSeconds:F1} s on {threads} thread(s)"));
