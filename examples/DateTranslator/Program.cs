using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelDsl.Decoding;
using ModelDsl.Examples.DateTranslator;
using ModelDsl.Optim;
using Spectre.Console;

// Date translator: reads dates written the way people write them ("Monday, November 23, 2026", "23.11.26") and
// writes the ISO form ("2026-11-23") with a Transformer encoder-decoder declared in DateModel.cs: trains it on
// generated pairs, reports exact match on held-out dates (greedy decoding), compares greedy with beam search on a few
// inputs and draws the cross-attention of one translation (PNG heatmap and console rendering).
// Usage: dotnet run -c Release --project examples/DateTranslator -- [--model transformer|gru-bahdanau|gru-luong|gru-plain]
//        [--steps N] [--minutes M] [--threads N] [--out DIR]
Options options;
try
{
    options = Options.Parse(args);
}
catch (FormatException error)
{
    Console.Error.WriteLine(error.Message);
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(Options.Usage);
    return 0;
}

if (Console.IsOutputRedirected)
{
    // Spectre.Console assumes 80 columns when it cannot ask the terminal; logs read better unwrapped.
    AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
}

const int BatchSize = 64, TrainCount = 50_000, ValidationCount = 2_000, BeamWidth = 4;
var clock = Stopwatch.StartNew();
(DateDataset train, DateDataset validation) = DateDataset.Create(TrainCount, ValidationCount, seed: 1);
int longestSource = DateDataset.LongestPossibleSource;

AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"[bold]DateTranslator[/] ({Options.Name(options.Model)}): {train.Count:N0} training and {validation.Count:N0} held-out pairs (no source text in both), {options.Threads} thread(s), built in {clock.Elapsed.TotalMilliseconds:F0} ms"));
AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"  vocabulary: {CharVocabulary.Size} ids = <pad> <s> </s> + {CharVocabulary.Characters.Length} characters [grey]{Markup.Escape(CharVocabulary.Characters)}[/]"));
AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"  source length: longest {train.LongestSource} (train), {validation.LongestSource} (held out), {longestSource} possible; mean {train.MeanSourceLength:F1}; target {DateDataset.TargetLength} + <s>/</s>"));

var examples = new Table().AddColumns("source", "target", "source ids");
for (int i = 0; i < 6; i++)
{
    DatePair pair = train.Pairs[i];
    examples.AddRow(Markup.Escape(pair.Source), Markup.Escape(pair.Target), string.Join(' ', train.SourceIds(i).ToArray()));
}

AnsiConsole.Write(examples);

if (options.Model != ModelKind.Transformer)
{
    // The RNN encoder-decoders (GRU + Bahdanau / Luong / no attention) have runtime kernels but no DSL layer yet.
    Console.Error.WriteLine($"--model {Options.Name(options.Model)} is not available yet: only the Transformer encoder-decoder is declarable today.");
    return 2;
}

if (CharVocabulary.Size > DateModel.Vocab || longestSource > DateModel.SourceLength)
{
    Console.Error.WriteLine($"DateModel is too small: Vocab {DateModel.Vocab} < {CharVocabulary.Size} ids or SourceLength {DateModel.SourceLength} < {longestSource} characters.");
    return 1;
}

var model = new DateModel(seed: 7);
using DateModel.Trainer trainer = model.CreateTrainer(
    new Adam(1e-3f), options.Threads, new WarmupCosineSchedule(2e-3f, warmupSteps: 200, totalSteps: Math.Max(options.Steps, 201), floor: 1e-4f), clipNorm: 1f);
AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"  model: {DateModel.ParameterCount:N0} parameters; Transformer encoder-decoder, D {DateModel.D}, 2 + 2 layers, 4 heads; Adam, warmup + cosine"));

var batch = new SequenceBatch(BatchSize, longestSource, DateDataset.TargetLength);
var modelBatch = new DateModel.Batch();
using DateModel.StepDecoder decoder = model.CreateDecoder(maxRows: DateModel.MaxBatch * BeamWidth, options.Threads);
var greedy = new GreedySearch(DateModel.MaxBatch, DateModel.TargetLength, DateModel.Vocab);

var random = new System.Random(2);
TrainingResult result = TrainingProgress.Run("training", options.Steps, options.TimeLimit, BatchSize, (step, progress) =>
{
    train.FillRandom(batch, random);
    Copy(batch, modelBatch);
    float loss = trainer.Step(modelBatch);
    if (step % 1000 == 0)
    {
        (double accuracy, _) = ExactMatch(validation, 512);
        progress.Log(string.Create(CultureInfo.InvariantCulture, $"step {step}: loss {loss:F4}, held-out exact match {accuracy:P2} (first 512 pairs, greedy)"));
        if (accuracy == 1.0 && step >= 3000)
        {
            progress.Stop();
        }
    }

    return loss;
});
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{result.Steps} steps in {result.Elapsed.TotalSeconds:F1} s ({result.Elapsed.TotalMilliseconds / Math.Max(1, result.Steps):F1} ms/step, {result.ExamplesPerSecond:N0} examples/s), last loss {result.LastLoss:F4}, smoothed {result.SmoothedLoss:F4}, stopped by {result.StopReason}"));

clock.Restart();
(double exact, int wrong) = ExactMatch(validation, validation.Count);
AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"[bold]held-out exact match: {exact:P2}[/] ({validation.Count - wrong:N0} of {validation.Count:N0} dates, greedy decoding, {clock.Elapsed.TotalMilliseconds:F0} ms)"));

// A few translations: greedy next to beam search (width 4), with the model's log-probability of each.
var beam = new BeamSearch(DateModel.MaxBatch, BeamWidth, DateModel.TargetLength, DateModel.Vocab);
var shownPairs = new Table().AddColumns("written", "expected", "greedy", "beam 4", "log p (beam)");
string[] samples = ["Monday, November 30, 2026", "30.11.26", "11/30/2026", "30 Nov 2026", "November 2026, 30", "Sun, Jan 1, 1950", "31-Dec-2049"];
FillSources(samples, modelBatch);
decoder.Begin(modelBatch);
greedy.Run(decoder, samples.Length, CharVocabulary.Bos, CharVocabulary.Eos, DateModel.TargetLength);
string[] greedyText = new string[samples.Length];
for (int i = 0; i < samples.Length; i++)
{
    greedyText[i] = CharVocabulary.Decode(greedy.Tokens(i));
}

decoder.Begin(modelBatch, BeamWidth);
beam.Run(decoder, samples.Length, BeamWidth, CharVocabulary.Bos, CharVocabulary.Eos, DateModel.TargetLength);
for (int i = 0; i < samples.Length; i++)
{
    string expected = DateGenerator.TryParse(samples[i], out DateOnly date) ? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "?";
    string beamText = CharVocabulary.Decode(beam.Tokens(i));
    shownPairs.AddRow(Markup.Escape(samples[i]), expected, Mark(greedyText[i], expected), Mark(beamText, expected), beam.LogProbability(i).ToString("F4", CultureInfo.InvariantCulture));
}

AnsiConsole.Write(shownPairs);

// The cross-attention of one held-out translation: which source characters each output character looked at.
DatePair shown = validation.Pairs.First(pair => pair.Source.Contains(',', StringComparison.Ordinal));
FillSources([shown.Source], modelBatch);
decoder.Begin(modelBatch);
greedy.Run(decoder, 1, CharVocabulary.Bos, CharVocabulary.Eos, DateModel.TargetLength);
string translated = CharVocabulary.Decode(greedy.Tokens(0));
int rows = greedy.Tokens(0).Length + (greedy.Ended(0) ? 1 : 0), columns = decoder.SourceLength(0);
float[] attention = new float[rows * columns];
for (int t = 0; t < rows; t++)
{
    decoder.CrossAttention(0, t).CopyTo(attention.AsSpan(t * columns, columns));
}

string png = Path.Combine(options.OutputDirectory, "attention.png");
AttentionHeatmap.WritePng(png, attention, rows, columns, shown.Source, translated,
    $"cross-attention (last decoder layer, mean of heads): \"{shown.Source}\" -> \"{translated}\"");
Console.WriteLine($"attention map written to {Path.GetFullPath(png)}");
Console.Write(AttentionText.Render(attention, rows, columns, shown.Source, translated));
return exact >= 0.99 ? 0 : 1;

// Greedy-decodes the first `count` held-out pairs in batches of MaxBatch; returns the exact-match rate and the misses.
(double Accuracy, int Wrong) ExactMatch(DateDataset data, int count)
{
    int wrongCount = 0;
    Span<char> text = stackalloc char[DateModel.TargetLength];
    for (int start = 0; start < count; start += DateModel.MaxBatch)
    {
        int rowsHere = Math.Min(DateModel.MaxBatch, count - start);
        for (int row = 0; row < rowsHere; row++)
        {
            modelBatch.SetSource(row, data.SourceIds(start + row));
        }

        modelBatch.Count = rowsHere;
        decoder.Begin(modelBatch);
        greedy.Run(decoder, rowsHere, CharVocabulary.Bos, CharVocabulary.Eos, DateModel.TargetLength);
        for (int row = 0; row < rowsHere; row++)
        {
            int length = CharVocabulary.Decode(greedy.Tokens(row), text);
            if (!greedy.Ended(row) || !text[..length].SequenceEqual(data.Pairs[start + row].Target))
            {
                wrongCount++;
            }
        }
    }

    return (1.0 - (wrongCount / (double)count), wrongCount);
}

static void Copy(SequenceBatch from, DateModel.Batch to)
{
    for (int row = 0; row < from.Count; row++)
    {
        to.SetSource(row, from.SourceRow(row));
        to.SetTarget(row, from.DecoderInputRow(row));
        to.SetLabels(row, from.LabelRow(row));
    }

    to.Count = from.Count;
}

static void FillSources(string[] sources, DateModel.Batch to)
{
    Span<int> ids = stackalloc int[DateModel.SourceLength];
    for (int row = 0; row < sources.Length; row++)
    {
        int length = CharVocabulary.Encode(sources[row], ids);
        to.SetSource(row, ids[..length]);
    }

    to.Count = sources.Length;
}

static string Mark(string text, string expected) => text == expected ? "[green]" + Markup.Escape(text) + "[/]" : "[red]" + Markup.Escape(text) + "[/]";
