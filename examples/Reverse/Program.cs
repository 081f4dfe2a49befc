using System;
using System.Diagnostics;
using System.Globalization;
using ModelDsl.Decoding;
using ModelDsl.Examples.Reverse;
using ModelDsl.Optim;

// Sequence reversal: the smallest seq2seq task ("a7kq" -> "qk7a"); a model without attention must squeeze the whole
// input into one state, one with attention learns an anti-diagonal alignment. Trains the Transformer encoder-decoder
// of ReverseModel.cs and reports held-out exact match with greedy decoding.
// Usage: dotnet run -c Release --project examples/Reverse
const int BatchSize = 32;
(ReverseData train, ReverseData validation) = ReverseData.Create(trainCount: 20_000, validationCount: 1_000, seed: 1);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Reverse: {train.Count:N0} training and {validation.Count:N0} held-out sequences (none in both), lengths {ReverseData.MinLength}..{ReverseData.MaxLength}, vocabulary {ReverseVocabulary.Size} ids (<pad> <s> </s> + {ReverseVocabulary.Characters})"));
for (int i = 0; i < 5; i++)
{
    string source = train.Sources[i];
    Console.WriteLine($"  {source,-12} -> {ReverseData.Reverse(source),-12}  ids {string.Join(' ', train.SourceIds(i).ToArray())} -> {string.Join(' ', train.TargetIds(i).ToArray())}");
}

var batch = new SequenceBatch(BatchSize, ReverseData.MaxLength, ReverseData.MaxLength);
train.FillBatch(batch, 0);
Console.WriteLine($"  batch row 0: source {string.Join(' ', batch.SourceRow(0).ToArray())}, decoder input {string.Join(' ', batch.DecoderInputRow(0).ToArray())}, labels {string.Join(' ', batch.LabelRow(0).ToArray())}");

var model = new ReverseModel(seed: 1);
using ReverseModel.Trainer trainer = model.CreateTrainer(new Adam(2e-3f), threads: Environment.ProcessorCount, clipNorm: 1f);
var modelBatch = new ReverseModel.Batch();
var random = new System.Random(2);
var clock = Stopwatch.StartNew();
const int Steps = 3000;
for (int step = 1; step <= Steps; step++)
{
    train.FillRandom(batch, random);
    for (int row = 0; row < batch.Count; row++)
    {
        modelBatch.SetSource(row, batch.SourceRow(row));
        modelBatch.SetTarget(row, batch.DecoderInputRow(row));
        modelBatch.SetLabels(row, batch.LabelRow(row));
    }

    modelBatch.Count = batch.Count;
    float loss = trainer.Step(modelBatch);
    if (step % 250 == 0)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  step {step,5}  loss {loss:F4}  {clock.Elapsed.TotalSeconds,5:F1} s"));
    }
}

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
    greedy.Run(decoder, rows, ReverseVocabulary.Bos, ReverseVocabulary.Eos, ReverseModel.TargetLength);
    for (int row = 0; row < rows; row++)
    {
        string expected = ReverseData.Reverse(validation.Sources[start + row]);
        string actual = ReverseVocabulary.Decode(greedy.Tokens(row));
        correct += greedy.Ended(row) && actual == expected ? 1 : 0;
        if (start == 0 && row < 4)
        {
            Console.WriteLine($"  {validation.Sources[start + row],-12} -> {actual,-12} (expected {expected})");
        }
    }
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held-out exact match: {correct / (double)validation.Count:P2} ({correct} of {validation.Count}), trained {Steps} steps in {clock.Elapsed.TotalSeconds:F1} s"));
return 0;
