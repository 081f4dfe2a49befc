using System;
using System.Collections.Generic;
using System.Diagnostics;
using ModelDsl.Examples.HandWritten;
using ModelDsl.Examples.Sentiment;
using ModelDsl.Optim;
using Spectre.Console;

// Trains the hand-composed Transformer encoder on reviews whose label depends on word order
// ("not bad" is positive; in "good at first , but ... dull" the clause after "but" decides),
// and compares it with a bag-of-words logistic regression that cannot see order.
int threads = args.Length > 0 && int.TryParse(args[0], out int t) ? t : Environment.ProcessorCount;
const int B = EncoderClassifier.MaxBatch, T = EncoderClassifier.MaxLength, Epochs = 2;

var vocabulary = ReviewGenerator.Vocabulary;
var index = new Dictionary<string, int>(StringComparer.Ordinal);
for (int i = 0; i < vocabulary.Count; i++)
{
    index[vocabulary[i]] = i;
}

var train = new ReviewGenerator(seed: 1).Take(20_000);
var validation = new ReviewGenerator(seed: 2).Take(2_000);
AnsiConsole.MarkupLine($"[bold]Sentiment with word order[/]: {train.Length:N0} training and {validation.Length:N0} held-out reviews, vocabulary {vocabulary.Count}, {threads} thread(s)");
AnsiConsole.MarkupLine($"  e.g. [grey]{Markup.Escape(train[0].ToString())}[/]");

var tokens = new int[B * T];
var lengths = new int[B];
var labels = new int[B];
void Fill(Review[] data, int start)
{
    Array.Clear(tokens);
    for (int b = 0; b < B; b++)
    {
        var review = data[(start + b) % data.Length];
        for (int p = 0; p < review.Words.Length; p++)
        {
            tokens[b * T + p] = index[review.Words[p]];
        }

        lengths[b] = review.Words.Length;
        labels[b] = review.Positive ? 1 : 0;
    }
}

double Accuracy(EncoderClassifier model, Review[] data)
{
    int correct = 0, seen = 0;
    for (int s = 0; s + B <= data.Length; s += B)
    {
        Fill(data, s);
        model.Forward(tokens, lengths, labels, B, T);
        for (int b = 0; b < B; b++)
        {
            correct += model.Predict(b) == labels[b] ? 1 : 0;
        }

        seen += B;
    }

    return (double)correct / seen;
}

using var model = new EncoderClassifier(seed: 1, new AdamW(1e-3f, weightDecay: 0.01f), threads);
int stepsPerEpoch = train.Length / B;
var clock = Stopwatch.StartNew();
float loss = 0;
AnsiConsole.Progress()
    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
    .Start(context =>
    {
        for (int epoch = 1; epoch <= Epochs; epoch++)
        {
            var task = context.AddTask($"epoch {epoch}", maxValue: stepsPerEpoch);
            for (int step = 0; step < stepsPerEpoch; step++)
            {
                Fill(train, step * B);
                loss = model.Step(tokens, lengths, labels, B, T, 1e-3f);
                task.Increment(1);
                if (step % 25 == 0)
                {
                    task.Description = $"epoch {epoch}  loss {loss:F4}  {(epoch - 1) * stepsPerEpoch + step + 1:N0} steps  {((epoch - 1) * stepsPerEpoch + step + 1) * B / clock.Elapsed.TotalSeconds:N0} reviews/s";
                }
            }
        }
    });

double accuracy = Accuracy(model, validation);
var baseline = new BagOfWordsBaseline(vocabulary);
baseline.Train(train[..4000]);
var table = new Table().AddColumns("model", "held-out accuracy");
table.AddRow("Transformer encoder (hand-composed kernels)", $"{accuracy:P2}");
table.AddRow("bag of words (logistic regression)", $"{baseline.Accuracy(validation):P2}");
AnsiConsole.Write(table);
AnsiConsole.MarkupLine($"trained {Epochs * stepsPerEpoch:N0} steps of batch {B} in {clock.Elapsed.TotalSeconds:F1} s ({clock.Elapsed.TotalMilliseconds / (Epochs * stepsPerEpoch):F1} ms/step), final loss {loss:F4}");
return accuracy >= 0.95 ? 0 : 1;
