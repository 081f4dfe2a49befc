using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using ModelDsl.Examples.MiniBert;
using ModelDsl.Tokenization;

// A small BERT on real English: pretrained with masked words and next-sentence prediction on the sentence pairs of ~4500
// fortunes of Debian's fortunes package (data/README.md), then fine-tuned on few labels: whether the second of two sentences
// is the real continuation of the first (Fortunes.ContinuationPairs) from 300 labelled fortunes. The learning rates were
// chosen on 1000 validation fortunes; the test fortunes (held out from pretraining too) are read once. The same classifier,
// seed and number of steps from a random encoder is the baseline. Prints both test accuracies with their standard deviations.
// Usage: dotnet run -c Release --project examples/MiniBert [threads = 2] [pretraining steps = 2000] [fine-tuning steps = 300]
//        [output folder = examples/MiniBert/output] [pretrained rate = 3e-4] [scratch rate = 1e-3] [labelled fortunes = 300]
//        [validate] [task = Continuation | OddWord]
// 0 pretraining steps reuse the output folder's pretrained.safetensors (to try fine-tuning settings quickly); "validate"
// prints the validation accuracies only and leaves the test fortunes unread (settings are chosen that way).
int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
int pretrainSteps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
int fineTuneSteps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 300;
string output = args.Length > 3 ? args[3] : Path.Combine("examples", "MiniBert", "output");
float pretrainedRate = args.Length > 4 ? float.Parse(args[4], CultureInfo.InvariantCulture) : 3e-4f;
float scratchRate = args.Length > 5 ? float.Parse(args[5], CultureInfo.InvariantCulture) : 1e-3f;
int labelled = args.Length > 6 ? int.Parse(args[6], CultureInfo.InvariantCulture) : 300;
bool validationOnly = args.Length > 7 && args[7] == "validate";
FineTuneTask task = args.Length > 8 ? Enum.Parse<FineTuneTask>(args[8], ignoreCase: true) : FineTuneTask.Continuation;
var settings = new Settings(pretrainSteps, fineTuneSteps, threads, pretrainedRate, labelled, validationOnly, task, scratchRate);

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

FineTuned fromPretrained = Experiment.FineTune(split, vocabulary, settings, pretrained.Path, Console.Out);
FineTuned fromScratch = Experiment.FineTune(split, vocabulary, settings, pretrained: null, Console.Out);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{task} accuracy after {fineTuneSteps} fine-tuning steps on {labelled} labelled fortunes, rates {pretrainedRate} (pretrained) and {scratchRate} (scratch) (chance 50 %; ± one binomial standard deviation, [95 % interval]):"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  validation: pretrained {fromPretrained.ValidationAccuracy:P1}, from scratch {fromScratch.ValidationAccuracy:P1}"));
if (!validationOnly)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  test ({fromPretrained.TestItems} items, read once):"));
    Console.WriteLine(Line("pretrained encoder", fromPretrained.Accuracy, fromPretrained.StandardDeviation));
    Console.WriteLine(Line("from scratch      ", fromScratch.Accuracy, fromScratch.StandardDeviation));
    double difference = fromPretrained.Accuracy - fromScratch.Accuracy;
    double differenceSd = Math.Sqrt((fromPretrained.StandardDeviation * fromPretrained.StandardDeviation) + (fromScratch.StandardDeviation * fromScratch.StandardDeviation));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  difference {100 * difference:+0.0;-0.0} points ± {100 * differenceSd:F1} ({difference / differenceSd:F1} standard deviations)"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total {clock.Elapsed.TotalSeconds:F0} s"));

static string Line(string name, double accuracy, double sd) => string.Create(CultureInfo.InvariantCulture,
    $"    {name} {accuracy:P1} ± {100 * sd:F1} points [{accuracy - (1.96 * sd):P1}, {accuracy + (1.96 * sd):P1}]");
