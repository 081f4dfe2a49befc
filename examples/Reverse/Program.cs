using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Decoding;
using ModelDsl.Examples.Reverse;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Tokenization;
using ModelDsl.Training;

// Sequence reversal: the smallest seq2seq task ("a7kq" -> "qk7a"); a model without attention must squeeze the whole
// input into one state, one with attention learns an anti-diagonal alignment. Trains the Transformer encoder-decoder
// of ReverseModel.cs with the library's Fit (teacher-forced token accuracy and exact match every 1,000 steps) and
// reports held-out exact match with greedy decoding. The ids come from the library's CharVocabulary, reserving only
// <pad> <s> </s> (ReverseData.Vocabulary).
// Usage: dotnet run -c Release --project examples/Reverse
const int BatchSize = 32;
(ReverseData train, ReverseData validation) = ReverseData.Create(trainCount: 20_000, validationCount: 1_000, seed: 1);
CharVocabulary vocabulary = ReverseData.Vocabulary;
int bos = vocabulary.Special.Bos, eos = vocabulary.Special.Eos;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Reverse: {train.Count:N0} training and {validation.Count:N0} held-out sequences (none in both), lengths {ReverseData.MinLength}..{ReverseData.MaxLength}, vocabulary {vocabulary.VocabularySize} ids ({string.Join(' ', vocabulary.Tokens.Take(vocabulary.SpecialCount))} + {ReverseData.Characters})"));
for (int i = 0; i < 5; i++)
{
    string source = train.Sources[i];
    Console.WriteLine($"  {source,-12} -> {ReverseData.Reverse(source),-12}  ids {string.Join(' ', train.SourceIds(i).ToArray())} -> {string.Join(' ', train.TargetIds(i).ToArray())}");
}

// The library fills the generated batch: source, decoder input <s> y1..yn, labels y1..yn </s> (RowWriters.TeacherForcing).
RowWriter<ReverseModel.Batch, TokenPair> teacherForcing = RowWriters.TeacherForcing<ReverseModel.Batch>(bos, eos, ReverseData.MaxLength);
var trainBatches = new BatchLoader<ReverseModel.Batch, TokenPair>(train.Pairs(), teacherForcing, new LoaderOptions { BatchSize = BatchSize, Seed = 2 });
var validationBatches = new BatchLoader<ReverseModel.Batch, TokenPair>(validation.Pairs(), teacherForcing, new LoaderOptions { Shuffle = false });
var modelBatch = new ReverseModel.Batch();
trainBatches.Fill(modelBatch, 0);
Console.WriteLine($"  batch row 0: source {string.Join(' ', modelBatch.Source.AsSpan(0, modelBatch.SourceLengths[0]).ToArray())}, decoder input {string.Join(' ', modelBatch.Target.AsSpan(0, modelBatch.TargetLengths[0]).ToArray())}, labels {string.Join(' ', ((IBatchRows)modelBatch).LabelsOf(0).ToArray())}");

var model = new ReverseModel(seed: 1);
using ReverseModel.Trainer trainer = model.CreateTrainer(new Adam(2e-3f), threads: Environment.ProcessorCount, clipNorm: 1f);
var clock = Stopwatch.StartNew();
const int Steps = 3000;
History history = trainer.Fit(trainBatches, validationBatches, new FitOptions
{
    Steps = Steps,
    EvaluateEvery = 1000,
    Metrics = [new TokenAccuracy(), new ExactMatch()],
    Callbacks = [new ConsoleLinesCallback(Console.Out, everySteps: 250)],
});

// Held-out exact match with greedy decoding.
using ReverseModel.StepDecoder decoder = model.CreateDecoder(maxRows: ReverseModel.MaxBatch);
var greedy = new GreedySearch(ReverseModel.MaxBatch, ReverseModel.TargetLength, ReverseModel.Vocab);
int correct = 0;
for (int start = 0; start < validation.Count; start += ReverseModel.MaxBatch)
{
    int rows = Math.Min(ReverseModel.MaxBatch, validation.Count - start);
    for (int row = 0; row < rows; row++)
    {
        modelBatch.SetSource(row, validation.SourceIds(start + row));
    }

    modelBatch.Count = rows;
    decoder.Begin(modelBatch);
    greedy.Run(decoder, rows, bos, eos, ReverseModel.TargetLength);
    for (int row = 0; row < rows; row++)
    {
        string expected = ReverseData.Reverse(validation.Sources[start + row]);
        string actual = vocabulary.Decode(greedy.Tokens(row));
        correct += greedy.Ended(row) && actual == expected ? 1 : 0;
        if (start == 0 && row < 4)
        {
            Console.WriteLine($"  {validation.Sources[start + row],-12} -> {actual,-12} (expected {expected})");
        }
    }
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held-out exact match: {correct / (double)validation.Count:P2} ({correct} of {validation.Count}), trained {history.StepCount} steps in {clock.Elapsed.TotalSeconds:F1} s"));
return 0;
