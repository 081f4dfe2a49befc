using System;
using System.Globalization;
using ModelDsl.Examples.Reverse;

// Sequence reversal: the smallest seq2seq task ("a7kq" -> "qk7a"); a model without attention must squeeze the whole
// input into one state, one with attention learns an anti-diagonal alignment. For now a placeholder that builds the
// data and prints examples; the model goes where TODO(lead) says.
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

// TODO(lead): model wiring — declare the seq2seq model (Vocab >= ReverseVocabulary.Size, source length
// ReverseData.MaxLength, target length ReverseData.MaxLength + 1), train it on train.FillRandom(batch, random)
// batches, then report held-out exact-match accuracy with greedy decoding (ReverseVocabulary.Decode up to EOS
// compared with ReverseData.Reverse(source)).
return 0;
