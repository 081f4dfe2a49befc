using ModelDsl;
using ModelDsl.Data;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Reports;
using ModelDsl.Training;

// A user's program built against the ModelDsl and ModelDsl.Reports packages only: trains a small classifier with Fit,
// reporting through the ModelDsl.Reports callbacks (plain progress lines, since output is redirected; curves and CSV at
// the end), and prints the generated Mermaid diagram. Exit code 0 when every file was written and the loss fell.
// Usage: Reports [folder]   (the curves go there; a new temporary folder by default)
string folder = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "modeldsl-reports-consumer-" + Guid.NewGuid().ToString("N"));
int failures = 0;

Console.Write(TinyClassifier.Mermaid());

// Is the first token larger than the last one? Random sequences of 2..Length tokens: 30 batches of 32 to train on.
var random = new Random(1);
LabeledTokens[] train = [.. Enumerable.Range(0, 960).Select(_ => Example(random))];
LabeledTokens[] validation = [.. Enumerable.Range(0, 64).Select(_ => Example(random))];

var model = new TinyClassifier(seed: 1);
using var trainer = model.CreateTrainer(new AdamW(3e-3f));
var curves = new CurvesCallback(folder);
History history = trainer.Fit(
    new BatchLoader<TinyClassifier.Batch, LabeledTokens>(train, RowWriters.Classification<TinyClassifier.Batch>()),
    new BatchLoader<TinyClassifier.Batch, LabeledTokens>(validation, RowWriters.Classification<TinyClassifier.Batch>(), new() { Shuffle = false }),
    new FitOptions { Steps = 300, EvaluateEvery = 100, Metrics = [new Accuracy()], Callbacks = [new FitProgress("consumer", Console.Out), curves] });

float[] losses = history.StepLosses.ToArray();
failures += Check(losses.Length == 300 && losses[^20..].Average() < 0.6f * losses[..20].Average(), "the classifier's loss fell below 60 % of its start");
failures += Check(curves.Written.Select(Path.GetFileName).SequenceEqual(["training-loss.png", "training-accuracy.png", "training.csv"]), "CurvesCallback wrote two pictures and the CSV");
foreach (string file in (string[])["training-loss.png", "training-accuracy.png"])
{
    byte[] bytes = File.ReadAllBytes(Path.Combine(folder, file));
    failures += Check(bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G', file + " is a PNG");
}

string[] csv = File.ReadAllLines(Path.Combine(folder, "training.csv"));
failures += Check(csv[0] == "step,epoch,train_loss,val_loss,val_accuracy" && csv.Length == 301, "training.csv has a header and one row per step");
Console.WriteLine(failures == 0 ? "reports consumer: OK" : $"reports consumer: {failures} check(s) failed");
return failures == 0 ? 0 : 1;

static int Check(bool condition, string what)
{
    Console.WriteLine($"  {(condition ? "ok" : "FAILED")}: {what}");
    return condition ? 0 : 1;
}

static LabeledTokens Example(Random random)
{
    int[] tokens = [.. Enumerable.Range(0, random.Next(2, TinyClassifier.Length + 1)).Select(_ => random.Next(TinyClassifier.Vocab))];
    return new LabeledTokens(tokens, tokens[0] > tokens[^1] ? 1 : 0);
}

[Model(MaxBatch = 32)]
public partial class TinyClassifier
{
    public const int Vocab = 20, D = 32, Length = 12, Classes = 2;

    [Input(Length)]                                          public partial TokenInput Text { get; }
    [Embedding(Vocab, D)]                                    public partial TokenEmbedding Tokens { get; }
    [LearnedPositions(Length)]                               public partial Positions Positions { get; }
    [TransformerEncoder(Layers = 1, Heads = 4, FeedForward = 64, Mask = Masks.KeyPadding)]
                                                             public partial EncoderStack Encoder { get; }
    [MeanPool]                                               public partial Pool Pool { get; }
    [Dense(Classes)] [CrossEntropyLoss]                      public partial Dense Head { get; }
}
