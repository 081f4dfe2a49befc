using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Examples.Vision;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Training;

// Trains the generated DigitCnn on the UCI optical digits (scikit-learn's copy, data/digits.csv.gz) with the fixed 80/20
// split of Digits.Split, with the library's Fit (shuffled epochs, AdamW, warmup + cosine), draws the first test scans with
// its predictions, then trains the generated DigitVit (a Vision Transformer) on the same split for twice the epochs, and
// draws the ViT's attention from the class token over the patches, then trains the generated DigitMixer (an MLP-Mixer) on the
// same split, then trains ShapeCnn, ShapeVit and ShapeMixer on 32x32 shapes the example draws (Shapes, ShapesRun), and prints the
// six test accuracies.
// Usage: dotnet run -c Release --project examples/Vision [threads = 2] [epochs = 40] [output folder = examples/Vision/output]
//        [part = all | digits | shapes]
int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
int epochs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
string output = args.Length > 2 ? args[2] : Path.Combine("examples", "Vision", "output");
string part = args.Length > 3 ? args[3] : "all";
if (part is not ("all" or "digits" or "shapes"))
{
    Console.Error.WriteLine($"part '{part}': expected all, digits or shapes.");
    return 2;
}

if (part == "shapes")
{
    PrintShapes(RunShapes(threads, epochs));
    Console.WriteLine(FormattableString.Invariant($"on {threads} thread(s)"));
    return 0;
}


Scan[] all = Digits.Load(Digits.DefaultPath);
(Scan[] train, Scan[] test) = Digits.Split(all);
Console.WriteLine($"UCI optical digits: {all.Length} scans, {train.Length} for training, {test.Length} held out for testing");

RowWriter<DigitCnn.Batch, LabeledFeatures> rows = RowWriters.FeatureClassification<DigitCnn.Batch>();
var trainBatches = new BatchLoader<DigitCnn.Batch, LabeledFeatures>(train.Select(Digits.ToExample).ToArray(), rows, new LoaderOptions { Seed = 1 });
var testBatches = new BatchLoader<DigitCnn.Batch, LabeledFeatures>(test.Select(Digits.ToExample).ToArray(), rows, new LoaderOptions { Shuffle = false });

var model = new DigitCnn(seed: 1);
Console.WriteLine(DigitCnn.Summary());
const float LearningRate = 3e-3f;
long steps = (long)epochs * ((train.Length + DigitCnn.MaxBatch - 1) / DigitCnn.MaxBatch);
var schedule = new WarmupCosineSchedule(LearningRate, warmupSteps: 50, totalSteps: steps, floor: LearningRate / 100);
using DigitCnn.Trainer trainer = model.CreateTrainer(new AdamW(LearningRate, weightDecay: 1e-4f), threads, schedule);

var clock = Stopwatch.StartNew();
History history = trainer.Fit(trainBatches, testBatches, new FitOptions
{
    Epochs = epochs,
    Metrics = [new Accuracy()],
    Callbacks = [new ConsoleLinesCallback(Console.Out, everySteps: 450)],
});
clock.Stop();
double accuracy = history.Evaluations[^1].Metrics["accuracy"];

// The first scans of the test split with the trained model's predictions.
const int Shown = 16;
var batch = new DigitCnn.Batch();
for (int row = 0; row < Shown; row++)
{
    batch.SetPixels(row, test[row].Pixels);
    batch.SetLabel(row, test[row].Digit);
}

batch.Count = Shown;
trainer.Evaluate(batch);
int[] predictions = [.. Enumerable.Range(0, Shown).Select(row => trainer.Predict(row))];
string png = Path.Combine(output, "digit-predictions.png");
PredictionGrid.WritePng(png, test[..Shown], predictions, columns: 8,
    string.Create(CultureInfo.InvariantCulture, $"DigitCnn on held-out UCI digits: predicted (true), test accuracy {accuracy:P2}"));

Console.WriteLine($"predictions drawn in {Path.GetFullPath(png)}");

// The generated ViT on the same split: patches, class token, positions, two pre-norm encoder layers.
RowWriter<DigitVit.Batch, LabeledFeatures> vitRows = RowWriters.FeatureClassification<DigitVit.Batch>();
var vitTrain = new BatchLoader<DigitVit.Batch, LabeledFeatures>(train.Select(Digits.ToExample).ToArray(), vitRows, new LoaderOptions { Seed = 1 });
var vitTest = new BatchLoader<DigitVit.Batch, LabeledFeatures>(test.Select(Digits.ToExample).ToArray(), vitRows, new LoaderOptions { Shuffle = false });
const int VitEpochs = 80; // at the default 40 CNN epochs; scaled with the epochs argument
const float VitLearningRate = 1e-3f;
var vit = new DigitVit(seed: 1);
Console.WriteLine(DigitVit.Summary());
int vitEpochs = VitEpochs * epochs / 40;
long vitSteps = (long)vitEpochs * ((train.Length + DigitVit.MaxBatch - 1) / DigitVit.MaxBatch);
var vitSchedule = new WarmupCosineSchedule(VitLearningRate, warmupSteps: 100, totalSteps: vitSteps, floor: VitLearningRate / 100);
using DigitVit.Trainer vitTrainer = vit.CreateTrainer(new AdamW(VitLearningRate, weightDecay: 0.05f), threads, vitSchedule);
var vitClock = Stopwatch.StartNew();
History vitHistory = vitTrainer.Fit(vitTrain, vitTest, new FitOptions
{
    Epochs = vitEpochs,
    Metrics = [new Accuracy()],
    Callbacks = [new ConsoleLinesCallback(Console.Out, everySteps: 900)],
});
vitClock.Stop();
double vitAccuracy = vitHistory.Evaluations[^1].Metrics["accuracy"];

// The class token's attention over the 4x4 patches in the last encoder layer, averaged over the heads, for the first test
// scans: the probabilities the trainer kept from its last forward pass (Evaluate, dropout off), read by name.
const int AttentionShown = 8, GridSide = DigitVit.Side / DigitVit.Patch, Tokens = 1 + (GridSide * GridSide);
var vitBatch = new DigitVit.Batch();
for (int row = 0; row < AttentionShown; row++)
{
    vitBatch.SetPixels(row, test[row].Pixels);
    vitBatch.SetLabel(row, test[row].Digit);
}

vitBatch.Count = AttentionShown;
vitTrainer.Evaluate(vitBatch);
string lastLayer = FormattableString.Invariant($"encoder_layers_{DigitVit.Dims.EncoderLayers - 1}_self_attn_probs");
ReadOnlySpan<float> probs = vitTrainer.Activation(lastLayer);
float[][] maps = new float[AttentionShown][];
for (int row = 0; row < AttentionShown; row++)
{
    maps[row] = ClassTokenAttention.PatchWeights(probs, row, DigitVit.Dims.EncoderHeads, Tokens);
}

int[] vitPredictions = [.. Enumerable.Range(0, AttentionShown).Select(row => vitTrainer.Predict(row))];
string attentionPng = Path.Combine(output, "vit-attention.png");
ClassTokenAttention.WritePng(attentionPng, test[..AttentionShown], maps, vitPredictions, GridSide, columns: 4,
    string.Create(CultureInfo.InvariantCulture, $"DigitVit: class-token attention over the 4x4 patches (last layer, mean of {DigitVit.Dims.EncoderHeads} heads)"));
Console.WriteLine($"class-token attention drawn in {Path.GetFullPath(attentionPng)}");

// The generated MLP-Mixer on the same split: the same patch embedding, two blocks of token and channel mixing, mean over the tokens.
RowWriter<DigitMixer.Batch, LabeledFeatures> mixerRows = RowWriters.FeatureClassification<DigitMixer.Batch>();
var mixerTrain = new BatchLoader<DigitMixer.Batch, LabeledFeatures>(train.Select(Digits.ToExample).ToArray(), mixerRows, new LoaderOptions { Seed = 1 });
var mixerTest = new BatchLoader<DigitMixer.Batch, LabeledFeatures>(test.Select(Digits.ToExample).ToArray(), mixerRows, new LoaderOptions { Shuffle = false });
const int MixerEpochs = 80; // at the default 40 CNN epochs; scaled with the epochs argument
const float MixerLearningRate = 1e-3f;
var mixer = new DigitMixer(seed: 1);
Console.WriteLine(DigitMixer.Summary());
int mixerEpochs = MixerEpochs * epochs / 40;
long mixerSteps = (long)mixerEpochs * ((train.Length + DigitMixer.MaxBatch - 1) / DigitMixer.MaxBatch);
var mixerSchedule = new WarmupCosineSchedule(MixerLearningRate, warmupSteps: 100, totalSteps: mixerSteps, floor: MixerLearningRate / 100);
using DigitMixer.Trainer mixerTrainer = mixer.CreateTrainer(new AdamW(MixerLearningRate, weightDecay: 0.05f), threads, mixerSchedule);
var mixerClock = Stopwatch.StartNew();
History mixerHistory = mixerTrainer.Fit(mixerTrain, mixerTest, new FitOptions
{
    Epochs = mixerEpochs,
    Metrics = [new Accuracy()],
    Callbacks = [new ConsoleLinesCallback(Console.Out, everySteps: 900)],
});
mixerClock.Stop();
double mixerAccuracy = mixerHistory.Evaluations[^1].Metrics["accuracy"];

ShapesResult[] shapes = part == "all" ? RunShapes(threads, epochs) : [];
Console.WriteLine(FormattableString.Invariant($"CNN (generated) test accuracy: {accuracy:P2} ({Math.Round(accuracy * test.Length)} of {test.Length}), {clock.Elapsed.TotalSeconds:F1} s, {epochs} epochs"));
Console.WriteLine(FormattableString.Invariant($"ViT (generated) test accuracy: {vitAccuracy:P2} ({Math.Round(vitAccuracy * test.Length)} of {test.Length}), {vitClock.Elapsed.TotalSeconds:F1} s, {vitEpochs} epochs"));
Console.WriteLine(FormattableString.Invariant($"Mixer (generated) test accuracy: {mixerAccuracy:P2} ({Math.Round(mixerAccuracy * test.Length)} of {test.Length}), {mixerClock.Elapsed.TotalSeconds:F1} s, {mixerEpochs} epochs"));
PrintShapes(shapes);
Console.WriteLine(FormattableString.Invariant($"on {threads} thread(s)"));
return 0;

static ShapesResult[] RunShapes(int threads, int epochs)
{
    (ShapeImage[] train, ShapeImage[] test) = Shapes.Sets();
    Console.WriteLine($"Drawn shapes (32x32, {string.Join(", ", Enum.GetNames<ShapeKind>())}): {train.Length} for training, {test.Length} for testing");
    return ShapesRun.Run(train, test, threads, epochs, Console.Out);
}

static void PrintShapes(ShapesResult[] results)
{
    foreach (ShapesResult result in results)
    {
        Console.WriteLine(FormattableString.Invariant(
            $"{result.Model} (generated) on the shapes: {result.Accuracy:P2} ({Math.Round(result.Accuracy * Shapes.TestCount)} of {Shapes.TestCount}), {result.Seconds:F1} s, {result.Epochs} epochs"));
    }
}
