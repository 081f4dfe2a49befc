using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using ModelDsl.Examples.MiniBert;
using ModelDsl.Tokenization;

// A small BERT on real English: pretrained with masked words and next-sentence prediction on the sentence pairs of ~4500 fortunes of Debian's fortunes package (data/README.md),
// then fine-tuned to tell whether one word of a fortune was replaced by another word of the corpus (the odd-word task,
// Fortunes.OddWord) on 3000 labelled fortunes, tested on 1000 held-out ones (not in the pretraining corpus either); the same
// classifier, seed and number of steps from a random encoder is the baseline. Prints both test accuracies.
// Usage: dotnet run -c Release --project examples/MiniBert [threads = 2] [pretraining steps = 2000] [fine-tuning steps = 300]
//        [output folder = examples/MiniBert/output] [fine-tuning learning rate = 1e-3]
// 0 pretraining steps reuse the output folder's pretrained.safetensors (to try fine-tuning settings quickly).
int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
int pretrainSteps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
int fineTuneSteps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 300;
string output = args.Length > 3 ? args[3] : Path.Combine("examples", "MiniBert", "output");
float fineTuneRate = args.Length > 4 ? float.Parse(args[4], CultureInfo.InvariantCulture) : 1e-3f;
var settings = new Settings(pretrainSteps, fineTuneSteps, threads, fineTuneRate);

var clock = Stopwatch.StartNew();
Fortune[] all = Fortunes.Load(Fortunes.DefaultPath);
FortuneSplit split = Fortunes.Split(all);
WordVocabulary vocabulary = Fortunes.Vocabulary(split.Pretraining);
Console.WriteLine($"fortunes: {all.Length}; pretraining corpus {split.Pretraining.Length} (unlabelled), fine-tuning {split.Train.Length} labelled, test {split.Test.Length}; vocabulary {vocabulary.VocabularySize} words");
Console.WriteLine(MiniBertPretraining.Summary());

Directory.CreateDirectory(output);
string path = Path.Combine(output, "pretrained.safetensors");
// 0 pretraining steps: reuse the parameters the last run wrote (to try fine-tuning settings quickly).
Pretrained pretrained = pretrainSteps > 0 ? Experiment.Pretrain(split, vocabulary, settings, path, Console.Out) : new Pretrained(path, double.NaN, double.NaN, double.NaN);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"pretrained in {clock.Elapsed.TotalSeconds:F0} s: held-out masked words {pretrained.MaskedAccuracy:P1} right (MLM loss {pretrained.MlmLoss:F3}), NSP loss {pretrained.NspLoss:F3} (coin flip 0.693)"));

double fromPretrained = Experiment.FineTune(split, vocabulary, settings, pretrained.Path, Console.Out).Accuracy;
double fromScratch = Experiment.FineTune(split, vocabulary, settings, pretrained: null, Console.Out).Accuracy;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"odd-word test accuracy after {fineTuneSteps} fine-tuning steps on {split.Train.Length} labelled fortunes ({split.Test.Length} held out, chance 50 %):"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  pretrained encoder {fromPretrained:P1}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  from scratch       {fromScratch:P1}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total {clock.Elapsed.TotalSeconds:F0} s"));
