using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using ModelDsl.Examples.Sentiment;
using ModelDsl.Optim;

// Trains the generated SentimentModel on generated reviews with a fixed seed and compares its held-out accuracy
// with a bag-of-words logistic regression. Usage: dotnet run -c Release --project examples/Sentiment [threads] [epochs]
int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
int epochs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
IReadOnlyList<string> vocabulary = ReviewGenerator.Vocabulary;
if (vocabulary.Count > SentimentModel.Vocab)
{
    throw new InvalidOperationException($"The review vocabulary has {vocabulary.Count} words; raise SentimentModel.Vocab.");
}

var index = new Dictionary<string, int>(StringComparer.Ordinal);
for (int i = 0; i < vocabulary.Count; i++)
{
    index[vocabulary[i]] = i;
}

Review[] train = new ReviewGenerator(1).Take(20_000);
Review[] heldOut = new ReviewGenerator(2).Take(2_000);

var model = new SentimentModel(seed: 1);
Console.WriteLine(SentimentModel.Summary());
using SentimentModel.Trainer trainer = model.CreateTrainer(new AdamW(1e-3f, weightDecay: 0.01f), threads);
var batch = new SentimentModel.Batch();
int[] ids = new int[SentimentModel.Length];

void Fill(Review[] reviews, int start, int count)
{
    for (int row = 0; row < count; row++)
    {
        Review review = reviews[start + row];
        for (int t = 0; t < review.Words.Length; t++)
        {
            ids[t] = index[review.Words[t]];
        }

        batch.SetText(row, ids.AsSpan(0, review.Words.Length));
        batch.SetLabel(row, review.Positive ? 1 : 0);
    }

    batch.Count = count;
}

double Accuracy(Review[] reviews)
{
    int correct = 0;
    for (int start = 0; start < reviews.Length; start += SentimentModel.MaxBatch)
    {
        int count = Math.Min(SentimentModel.MaxBatch, reviews.Length - start);
        Fill(reviews, start, count);
        trainer.Evaluate(batch);
        for (int row = 0; row < count; row++)
        {
            correct += trainer.Predict(row) == batch.Labels[row] ? 1 : 0;
        }
    }

    return correct / (double)reviews.Length;
}

var clock = Stopwatch.StartNew();
for (int epoch = 1; epoch <= epochs; epoch++)
{
    double sum = 0;
    int steps = 0;
    for (int start = 0; start + SentimentModel.MaxBatch <= train.Length; start += SentimentModel.MaxBatch)
    {
        Fill(train, start, SentimentModel.MaxBatch);
        sum += trainer.Step(batch);
        steps++;
        if (steps % 125 == 0)
        {
            Console.WriteLine(FormattableString.Invariant($"epoch {epoch} step {steps,4}: mean loss {sum / steps:F4} ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
    }

    Console.WriteLine(FormattableString.Invariant($"epoch {epoch}: mean loss {sum / steps:F4}, held-out accuracy {Accuracy(heldOut):P2}"));
}

var baseline = new BagOfWordsBaseline(vocabulary);
baseline.Train(train);
Console.WriteLine(FormattableString.Invariant($"Transformer (generated) held-out accuracy: {Accuracy(heldOut):P2}"));
Console.WriteLine(FormattableString.Invariant($"Bag-of-words baseline held-out accuracy:   {baseline.Accuracy(heldOut):P2}"));
Console.WriteLine(FormattableString.Invariant($"Training time: {clock.Elapsed.TotalSeconds:F1} s on {threads} thread(s)"));
