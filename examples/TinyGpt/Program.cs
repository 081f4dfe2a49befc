using System;
using System.Diagnostics;
using System.Text;
using ModelDsl.Data;
using ModelDsl.Examples.TinyGpt;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Reports;
using ModelDsl.Tokenization;
using ModelDsl.Training;
using Spectre.Console;

// Trains the character model on sentences from a grammar the project owns, reports validation loss
// next to the unigram baseline (the entropy of character frequencies), then samples text.
int threads = args.Length > 0 && int.TryParse(args[0], out int t) ? t : Environment.ProcessorCount;
int steps = args.Length > 1 && int.TryParse(args[1], out int s) ? s : 1500;
const int B = 16, T = CharacterModel.Context;

// Character ids from the library's CharVocabulary, without special tokens (GrammarCorpus.Vocabulary).
CharVocabulary vocabulary = GrammarCorpus.Vocabulary;
int alphabet = vocabulary.VocabularySize;
if (alphabet > CharacterModel.Vocab)
{
    throw new InvalidOperationException($"The corpus has {alphabet} characters; CharacterModel.Vocab is {CharacterModel.Vocab}.");
}

string trainText = new GrammarCorpus(seed: 1).Text(400_000);
string validationText = new GrammarCorpus(seed: 2).Text(40_000);
int[] train = vocabulary.Encode(trainText), validation = vocabulary.Encode(validationText);

// Unigram baseline: cross-entropy of predicting every character from the training frequencies.
var counts = new double[alphabet];
foreach (int id in train)
{
    counts[id]++;
}

double unigram = 0;
foreach (int id in validation)
{
    unigram -= Math.Log(counts[id] / train.Length);
}

unigram /= validation.Length;
AnsiConsole.MarkupLine($"[bold]TinyGpt[/]: {train.Length:N0} training and {validation.Length:N0} validation characters, alphabet {alphabet}, {threads} thread(s)");
AnsiConsole.MarkupLine($"  e.g. [grey]{Markup.Escape(trainText[..trainText.IndexOf('\n', StringComparison.Ordinal)])}[/]");
Console.WriteLine(CharacterModel.Summary());

var model = new CharacterModel(seed: 1);
using var trainer = model.CreateTrainer(new AdamW(3e-3f, weightDecay: 0.01f), threads,
    new WarmupCosineSchedule(3e-3f, warmupSteps: 100, totalSteps: steps, floor: 3e-4f), clipNorm: 1f);
var batch = new CharacterModel.Batch();

// Windows of T + 1 characters: the library's language-model rows read the first T as input and the last T as labels.
// Training windows start every T / 2 characters (overlapping, shuffled each epoch); validation windows every T, the
// first 640 of them (40 batches of 16, as before).
int[][] Windows(int[] data, int stride, int limit)
{
    var windows = new System.Collections.Generic.List<int[]>();
    for (int start = 0; start + T + 1 <= data.Length && windows.Count < limit; start += stride)
    {
        windows.Add(data[start..(start + T + 1)]);
    }

    return [.. windows];
}

RowWriter<CharacterModel.Batch, int[]> languageModel = RowWriters.LanguageModel<CharacterModel.Batch>();
var trainBatches = new BatchLoader<CharacterModel.Batch, int[]>(Windows(train, T / 2, int.MaxValue), languageModel, new LoaderOptions { BatchSize = B, Seed = 3 });
var validationBatches = new BatchLoader<CharacterModel.Batch, int[]>(Windows(validation, T, 40 * B), languageModel, new LoaderOptions { BatchSize = B, Shuffle = false });

// The library's progress display: a live bar on a console, plain lines when the output is redirected.
var clock = Stopwatch.StartNew();
using var progress = new FitProgress("TinyGpt");
History history = trainer.Fit(trainBatches, validationBatches, new FitOptions
{
    Steps = steps,
    EvaluateEvery = steps,
    Metrics = [new Perplexity()],
    Callbacks = [progress],
});

double validationLoss = history.Evaluations[^1].Metrics["loss"];
var table = new Table().AddColumns("model", "validation loss (nats/char)");
table.AddRow("TinyGpt (2 pre-norm causal blocks, D=64)", $"{validationLoss:F3} (perplexity {history.Evaluations[^1].Metrics["perplexity"]:F3})");
table.AddRow("unigram baseline (character frequencies)", $"{unigram:F3}");
AnsiConsole.Write(table);
AnsiConsole.MarkupLine($"{steps:N0} steps of {B}×{T} characters in {clock.Elapsed.TotalSeconds:F1} s ({clock.Elapsed.TotalMilliseconds / steps:F1} ms/step)");

// Sampling: feed the text so far (last Context characters), read the last position's logits, sample
// with temperature 0.8, append, repeat.
var text = new StringBuilder("the ");
var sampler = new System.Random(11);
var ignore = new int[T];
Array.Fill(ignore, -1);
var probabilities = new double[CharacterModel.Vocab];
for (int produced = 0; produced < 300; produced++)
{
    int length = Math.Min(text.Length, T);
    var context = vocabulary.Encode(text.ToString(text.Length - length, length));
    batch.SetText(0, context);
    batch.SetLabels(0, ignore.AsSpan(0, length));
    batch.Count = 1;
    trainer.Evaluate(batch);
    var logits = trainer.Logits.Slice((length - 1) * CharacterModel.Vocab, CharacterModel.Vocab);
    double max = double.NegativeInfinity, total = 0;
    for (int c = 0; c < alphabet; c++)
    {
        max = Math.Max(max, logits[c]);
    }

    for (int c = 0; c < alphabet; c++)
    {
        probabilities[c] = Math.Exp((logits[c] - max) / 0.8);
        total += probabilities[c];
    }

    double u = sampler.NextDouble() * total;
    int chosen = alphabet - 1;
    for (int c = 0; c < alphabet; c++)
    {
        u -= probabilities[c];
        if (u <= 0)
        {
            chosen = c;
            break;
        }
    }

    text.Append(vocabulary.TokenOf(chosen));
}

AnsiConsole.MarkupLine("[bold]sample[/] (temperature 0.8):");
Console.WriteLine(text.ToString());
return validationLoss < unigram ? 0 : 1;
