using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Decoding;
using ModelDsl.Examples.DateTranslator;
using ModelDsl.Metrics;
using ModelDsl.Reports;
using ModelDsl.Tokenization;
using ModelDsl.Training;
using Spectre.Console;

// Date translator: reads dates written the way people write them ("Monday, November 23, 2026", "23.11.26") and
// writes the ISO form ("2026-11-23") with one of four encoder-decoders declared in this folder: the Transformer of
// DateModel.cs, or a GRU encoder-decoder with Bahdanau attention, Luong attention or none (GruBahdanauModel.cs,
// GruLuongModel.cs, GruPlainModel.cs). Every model goes through the same path (Translator.cs and its adapters): the
// library's character vocabulary, batch loader and trainer.Fit (progress, curves, a time limit), then exact match on
// held-out dates (greedy decoding) overall and by source length, character BLEU, greedy next to beam search on a few
// inputs, and the attention of one translation (PNG heatmap and console rendering; the model without attention has none).
// --model transformer-copy adds a pointer-generator head (DateCopyModel.cs) and also trains the plain Transformer with the
// same seeds and steps, printing both models' exact match by source length.
// Usage: dotnet run -c Release --project examples/DateTranslator -- [--model transformer|gru-bahdanau|gru-luong|gru-plain|transformer-copy]
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

const int BatchSize = 64, TrainCount = 50_000, ValidationCount = 10_000, EvaluatedDuringTraining = 512, BeamWidth = 4;
string name = Options.Name(options.Model);
var clock = Stopwatch.StartNew();
(DateDataset train, DateDataset validation) = DateDataset.Create(TrainCount, ValidationCount, seed: 1);
CharVocabulary vocabulary = DateDataset.Vocabulary;
int longestSource = DateDataset.LongestPossibleSource;

AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"[bold]DateTranslator[/] ({name}): {train.Count:N0} training and {validation.Count:N0} held-out pairs (no source text in both), {options.Threads} thread(s), built in {clock.Elapsed.TotalMilliseconds:F0} ms"));
AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"  vocabulary: {vocabulary.VocabularySize} ids = {SpecialTokens.Texts.Length} special tokens ({Markup.Escape(string.Join(' ', SpecialTokens.Texts))}) + {DateGenerator.Alphabet.Length} characters [grey]{Markup.Escape(DateGenerator.Alphabet)}[/]"));
AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"  source length: longest {train.LongestSource} (train), {validation.LongestSource} (held out), {longestSource} possible; mean {train.MeanSourceLength:F1}; target {DateDataset.TargetLength} + <s>/</s>"));

var examples = new Table().AddColumns("source", "target", "source ids");
for (int i = 0; i < 6; i++)
{
    DatePair pair = train.Pairs[i];
    examples.AddRow(Markup.Escape(pair.Source), Markup.Escape(pair.Target), string.Join(' ', train.SourceIds(i).ToArray()));
}

AnsiConsole.Write(examples);

using Translator translator = Translator.Create(options.Model, options.Steps, options.Threads, BeamWidth);
if (vocabulary.VocabularySize > translator.Decoder.Vocabulary || longestSource > translator.SourceLength)
{
    Console.Error.WriteLine($"The {name} model is too small: vocabulary {translator.Decoder.Vocabulary} < {vocabulary.VocabularySize} ids or source length {translator.SourceLength} < {longestSource} characters.");
    return 1;
}

AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"  model: {translator.ParameterCount:N0} parameters; {Markup.Escape(translator.Description)}"));
Directory.CreateDirectory(options.OutputDirectory);
string vocabularyFile = Path.Combine(options.OutputDirectory, "vocabulary.json");
vocabulary.Save(vocabularyFile);

// Training: Fit over shuffled epochs of the 50,000 pairs (batch 64, seed 2), teacher-forced token accuracy and exact
// match on the first 512 held-out pairs every 250 steps, a live progress bar (plain lines when redirected), the curves
// as PNG (the loss on a log scale) and CSV at the end, and the time limit.
using var progress = new FitProgress("training " + name);
var curves = new CurvesCallback(options.OutputDirectory, "training-" + name, logLoss: true);
var callbacks = new List<IFitCallback> { progress, curves };
if (options.TimeLimit is { } budget)
{
    callbacks.Add(new TimeLimit(budget));
}

clock.Restart();
History history = translator.Fit(train.Examples, validation.Examples.Take(EvaluatedDuringTraining).ToArray(), new FitOptions
{
    Steps = options.Steps,
    EvaluateEvery = 250,
    Metrics = [new TokenAccuracy(), new ExactMatch()],
    Callbacks = callbacks,
}, new LoaderOptions { BatchSize = BatchSize, Seed = 2 });
TimeSpan trainingTime = clock.Elapsed;
double msPerStep = trainingTime.TotalMilliseconds / Math.Max(1, history.StepCount);
IReadOnlyDictionary<string, double> last = history.Evaluations[^1].Metrics;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{history.StepCount} steps in {trainingTime.TotalSeconds:F1} s ({msPerStep:F1} ms/step), last loss {history.StepLosses[^1]:F4}, {history.StopReason}; teacher-forced on {EvaluatedDuringTraining} held-out pairs: token accuracy {last["token_accuracy"]:P2}, exact match {last["exact_match"]:P2}"));
Console.WriteLine($"curves written to {string.Join(", ", curves.Written.Select(Path.GetFullPath))}; vocabulary to {Path.GetFullPath(vocabularyFile)}");

var greedy = new GreedySearch(translator.MaxBatch, translator.TargetLength, translator.Decoder.Vocabulary);
var tally = new ExactMatchByLength(10, 15, 20, 25);
int bos = vocabulary.Special.Bos, eos = vocabulary.Special.Eos;
clock.Restart();
tally.Clear();
var bleu = new CorpusBleu();
translator.ExactMatch(validation, validation.Count, greedy, tally, bleu);
double exact = tally.Accuracy;
AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
    $"[bold]held-out exact match: {exact:P2}[/] ({tally.TotalCorrect:N0} of {tally.TotalPairs:N0} dates, greedy decoding, {clock.Elapsed.TotalMilliseconds:F0} ms); character BLEU-4 {100 * bleu.Score().Score:F2}"));
var byLength = new Table().AddColumns("source characters", "dates", "exact", "exact match");
for (int bucket = 0; bucket < tally.BucketCount; bucket++)
{
    byLength.AddRow(Markup.Escape(tally.Label(bucket)), tally.Pairs(bucket).ToString("N0", CultureInfo.InvariantCulture),
        tally.Correct(bucket).ToString("N0", CultureInfo.InvariantCulture), Percent(tally.BucketAccuracy(bucket)));
}

AnsiConsole.Write(byLength);

// One line with the run's figures, for comparing models across runs.
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"summary {name}: {history.StepCount} steps, {trainingTime.TotalSeconds:F0} s, {msPerStep:F1} ms/step, exact {exact:P2}; by source length {string.Join(", ", Enumerable.Range(0, tally.BucketCount).Select(bucket => string.Create(CultureInfo.InvariantCulture, $"{tally.Label(bucket)}: {Percent(tally.BucketAccuracy(bucket))} ({tally.Correct(bucket)}/{tally.Pairs(bucket)})")))}"));

// transformer-copy: the same Transformer without the copy head, trained with the same seeds and steps, for the comparison
// the copy head is for (exact match by source length, the shortest all-digit sources first).
if (options.Model == ModelKind.TransformerCopy)
{
    using Translator baseline = Translator.Create(ModelKind.Transformer, options.Steps, options.Threads, BeamWidth);
    using var baselineProgress = new FitProgress("training transformer (no copy, baseline)");
    var baselineCallbacks = new List<IFitCallback> { baselineProgress };
    if (options.TimeLimit is { } baselineBudget)
    {
        baselineCallbacks.Add(new TimeLimit(baselineBudget));
    }

    History baselineHistory = baseline.Fit(train.Examples, validation.Examples.Take(EvaluatedDuringTraining).ToArray(), new FitOptions
    {
        Steps = options.Steps,
        EvaluateEvery = 250,
        Metrics = [new TokenAccuracy(), new ExactMatch()],
        Callbacks = baselineCallbacks,
    }, new LoaderOptions { BatchSize = BatchSize, Seed = 2 });
    var baselineTally = new ExactMatchByLength(10, 15, 20, 25);
    baseline.ExactMatch(validation, validation.Count, greedy, baselineTally, new CorpusBleu());
    var comparison = new Table().AddColumns("source characters", "dates", "transformer (no copy)", "transformer-copy");
    for (int bucket = 0; bucket < tally.BucketCount; bucket++)
    {
        comparison.AddRow(Markup.Escape(tally.Label(bucket)), tally.Pairs(bucket).ToString("N0", CultureInfo.InvariantCulture),
            Percent(baselineTally.BucketAccuracy(bucket)), Percent(tally.BucketAccuracy(bucket)));
    }

    comparison.AddRow("all", tally.TotalPairs.ToString("N0", CultureInfo.InvariantCulture), Percent(baselineTally.Accuracy), Percent(tally.Accuracy));
    AnsiConsole.Write(comparison);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"copy vs no copy after {history.StepCount} / {baselineHistory.StepCount} steps (same seeds): shortest sources ({tally.Label(0)}) {Percent(tally.BucketAccuracy(0))} vs {Percent(baselineTally.BucketAccuracy(0))}; all {Percent(tally.Accuracy)} vs {Percent(baselineTally.Accuracy)}"));
}

// A few translations: greedy next to beam search (width 4), with the model's log-probability of each.
var beam = new BeamSearch(translator.MaxBatch, BeamWidth, translator.TargetLength, translator.Decoder.Vocabulary);
var shownPairs = new Table().AddColumns("written", "expected", "greedy", "beam 4", "log p (beam)");
string[] samples = ["Monday, November 30, 2026", "30.11.26", "11/30/2026", "30 Nov 2026", "November 2026, 30", "Sun, Jan 1, 1950", "31-Dec-2049"];
translator.Begin(samples);
greedy.Run(translator.Decoder, samples.Length, bos, eos, translator.TargetLength);
string[] greedyText = new string[samples.Length];
for (int i = 0; i < samples.Length; i++)
{
    greedyText[i] = Show(greedy.Tokens(i));
}

translator.Begin(samples, BeamWidth);
beam.Run(translator.Decoder, samples.Length, BeamWidth, bos, eos, translator.TargetLength);
for (int i = 0; i < samples.Length; i++)
{
    string expected = DateGenerator.TryParse(samples[i], out DateOnly date) ? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "?";
    string beamText = Show(beam.Tokens(i));
    shownPairs.AddRow(Markup.Escape(samples[i]), expected, Mark(greedyText[i], expected), Mark(beamText, expected), beam.LogProbability(i).ToString("F4", CultureInfo.InvariantCulture));
}

AnsiConsole.Write(shownPairs);

// The attention of one held-out translation: which source characters each output character looked at.
if (translator.HasAttention)
{
    DatePair shown = validation.Pairs.First(pair => pair.Source.Contains(',', StringComparison.Ordinal));
    translator.Begin([shown.Source]);
    greedy.Run(translator.Decoder, 1, bos, eos, translator.TargetLength);
    string translated = Show(greedy.Tokens(0));
    int rows = greedy.Tokens(0).Length + (greedy.Ended(0) ? 1 : 0), columns = translator.DecodedSourceLength(0);
    float[] attention = AttentionHeatmap.Collect(translator.CrossAttention, row: 0, steps: rows, columns);
    string png = Path.Combine(options.OutputDirectory, $"attention-{name}.png");
    AttentionHeatmap.WritePng(png, attention, rows, columns, shown.Source, translated,
        $"{translator.Attention}: \"{shown.Source}\" -> \"{translated}\"");
    Console.WriteLine($"attention map written to {Path.GetFullPath(png)}");
    Console.Write(AttentionText.Render(attention, rows, columns, shown.Source, translated));
}
else
{
    Console.WriteLine($"no attention map: the {name} model has no attention (its decoder sees only the encoder's final state).");
}

// Exit 1 when the model misses the exact match its issue asked for (the attention-free baseline has no bar).
return translator.Target is { } target && exact < target ? 1 : 0;

// The decoded characters, one per token; '?' for an id that is not a character (a special token or an id past the
// vocabulary, which a barely trained model may write).
static string Show(ReadOnlySpan<int> tokens)
{
    char[] text = new char[tokens.Length];
    for (int i = 0; i < tokens.Length; i++)
    {
        int id = tokens[i];
        text[i] = id >= SpecialTokens.Texts.Length && id < DateDataset.Vocabulary.VocabularySize ? DateDataset.Vocabulary.TokenOf(id)[0] : '?';
    }

    return new string(text);
}

static string Percent(double rate) => double.IsNaN(rate) ? "-" : rate.ToString("P2", CultureInfo.InvariantCulture);

static string Mark(string text, string expected) => text == expected ? "[green]" + Markup.Escape(text) + "[/]" : "[red]" + Markup.Escape(text) + "[/]";
