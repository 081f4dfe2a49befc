using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using ModelDsl.Examples.DateTranslator;
using Spectre.Console;

// Date translator: reads dates written the way people write them ("Monday, November 23, 2026", "23.11.26") and
// writes the ISO form ("2026-11-23") with a seq2seq model. For now a placeholder: it builds the data, runs a
// synthetic training loop through the progress display and draws a synthetic attention map; the places where the
// model goes are marked TODO(lead).
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

const int BatchSize = 32, TrainCount = 50_000, ValidationCount = 2_000;
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

// TODO(lead): model wiring — declare the seq2seq model (per options.Model) with Vocab >= CharVocabulary.Size,
// a source length >= DateDataset.LongestPossibleSource and a target length of DateDataset.TargetLength + 1
// (BOS/EOS); check the sizes here as TinyGpt does; create the model and its trainer with options.Threads.
var batch = new SequenceBatch(BatchSize, longestSource, DateDataset.TargetLength);
train.FillBatch(batch, 0);
AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"  batch row 0: source [grey]{string.Join(' ', batch.SourceRow(0).ToArray())}[/] (length {batch.SourceLengths[0]} of {batch.SourceColumns})"));
AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"               decoder input [grey]{string.Join(' ', batch.DecoderInputRow(0).ToArray())}[/], labels [grey]{string.Join(' ', batch.LabelRow(0).ToArray())}[/]"));

var random = new System.Random(2);
TrainingResult result = TrainingProgress.Run("training", options.Steps, options.TimeLimit, BatchSize, (step, progress) =>
{
    train.FillRandom(batch, random);
    // TODO(lead): model wiring — copy the batch into the model's Batch (Source/SourceLengths, DecoderInput, Labels)
    // and return trainer.Step(modelBatch); log a held-out accuracy with progress.Log(...) now and then.
    Thread.Sleep(5); // stands in for the step's work so the display can be watched
    // A synthetic loss curve until the model is wired in.
    return (float)(3.4 * Math.Exp(-step / 40.0) + 0.05 + 0.05 * random.NextDouble());
});
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{result.Steps} steps in {result.Elapsed.TotalSeconds:F1} s ({result.Elapsed.TotalMilliseconds / Math.Max(1, result.Steps):F1} ms/step, {result.ExamplesPerSecond:N0} examples/s), last loss {result.LastLoss:F4}, smoothed {result.SmoothedLoss:F4}, stopped by {result.StopReason}"));

// TODO(lead): model wiring — held-out exact-match accuracy (greedy decoding of every validation source,
// CharVocabulary.Decode up to EOS, compared with pair.Target), a few decoded examples, and the real
// cross-attention weights of one validation pair instead of the synthetic matrix below.
DatePair shown = validation.Pairs[0];
int rows = shown.Target.Length + 1, columns = shown.Source.Length;
float[] attention = SyntheticAttention(rows, columns);
string png = Path.Combine(options.OutputDirectory, "attention.png");
AttentionHeatmap.WritePng(png, attention, rows, columns, shown.Source, shown.Target,
    $"synthetic attention (placeholder): \"{shown.Source}\" -> \"{shown.Target}\"");
Console.WriteLine($"attention map written to {Path.GetFullPath(png)}");
Console.Write(AttentionText.Render(attention, rows, columns, shown.Source, shown.Target));
return 0;

// A diagonal-ish matrix for the placeholder: row t is a softmax of -(s - centre)^2 / 2 around the source position
// proportional to t; the last row (EOS) looks at the end of the source.
static float[] SyntheticAttention(int rows, int columns)
{
    var weights = new float[rows * columns];
    for (int t = 0; t < rows; t++)
    {
        double centre = rows == 1 ? 0 : t * (columns - 1) / (double)(rows - 1);
        double sum = 0;
        for (int s = 0; s < columns; s++)
        {
            double e = Math.Exp(-(s - centre) * (s - centre) / 2);
            weights[t * columns + s] = (float)e;
            sum += e;
        }

        for (int s = 0; s < columns; s++)
        {
            weights[t * columns + s] /= (float)sum;
        }
    }

    return weights;
}
