using ModelDsl;
using ModelDsl.Optim;
using ModelDsl.Reports;
using ModelDsl.Training;

// A user's program built against the ModelDsl and ModelDsl.Reports packages only: trains a small classifier, reporting
// through the Fit callbacks (plain progress lines, since output is redirected; curves and CSV at the end), and prints the
// generated Mermaid diagram. Exit code 0 when every file was written and the loss fell.
// Usage: Reports [folder]   (the curves go there; a new temporary folder by default)
const int Steps = 300, EvaluateEvery = 100, Examples = 32;
const float LearningRate = 3e-3f;
string folder = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "modeldsl-reports-consumer-" + Guid.NewGuid().ToString("N"));
int failures = 0;

Console.Write(TinyClassifier.Mermaid());

var model = new TinyClassifier(seed: 1);
using var trainer = model.CreateTrainer(new AdamW(LearningRate));
var batch = new TinyClassifier.Batch();
var validation = new TinyClassifier.Batch();
var random = new Random(1);
int[] validationLabels = Fill(validation, new Random(2));

// The loop Fit runs, written out: the callbacks see what they would see inside Fit.
IFitCallback[] callbacks = [new FitProgress("consumer", Console.Out), new CurvesCallback(folder)];
var history = new History(["loss", "accuracy"], capacity: Steps);
foreach (IFitCallback callback in callbacks)
{
    callback.OnFitBegin(new FitStart(Steps, Steps, 0, history.MetricNames));
}

for (int step = 1; step <= Steps; step++)
{
    Fill(batch, random);
    float loss = trainer.Step(batch);
    history.AddStep(step, loss);
    var fitStep = new FitStep(step, 0, loss, LearningRate, (long)step * Examples);
    foreach (IFitCallback callback in callbacks)
    {
        callback.OnStepEnd(in fitStep);
    }

    if (step % EvaluateEvery == 0)
    {
        float validationLoss = trainer.Evaluate(validation);
        int correct = Enumerable.Range(0, validation.Count).Count(row => trainer.Predict(row) == validationLabels[row]);
        var evaluation = new FitEvaluation(step, 0, new Dictionary<string, double> { ["loss"] = validationLoss, ["accuracy"] = correct / (double)validation.Count }, IsBest: false);
        history.AddEvaluation(evaluation);
        foreach (IFitCallback callback in callbacks)
        {
            callback.OnEvaluation(evaluation);
        }
    }
}

foreach (IFitCallback callback in callbacks)
{
    callback.OnFitEnd(history);
}

float[] losses = history.StepLosses.ToArray();
failures += Check(losses[^20..].Average() < 0.6f * losses[..20].Average(), "the classifier's loss fell below 60 % of its start");
foreach (string file in (string[])["training-loss.png", "training-accuracy.png"])
{
    byte[] bytes = File.ReadAllBytes(Path.Combine(folder, file));
    failures += Check(bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G', file + " is a PNG");
}

string[] csv = File.ReadAllLines(Path.Combine(folder, "training.csv"));
failures += Check(csv[0] == "step,epoch,train_loss,val_loss,val_accuracy" && csv.Length == Steps + 1, "training.csv has a header and one row per step");
Console.WriteLine(failures == 0 ? "reports consumer: OK" : $"reports consumer: {failures} check(s) failed");
return failures == 0 ? 0 : 1;

static int Check(bool condition, string what)
{
    Console.WriteLine($"  {(condition ? "ok" : "FAILED")}: {what}");
    return condition ? 0 : 1;
}

// Is the first token larger than the last one? Random sequences of 2..Length tokens; returns the labels.
static int[] Fill(TinyClassifier.Batch batch, Random random)
{
    batch.Count = TinyClassifier.MaxBatch;
    var labels = new int[batch.Count];
    for (int row = 0; row < batch.Count; row++)
    {
        int length = random.Next(2, TinyClassifier.Length + 1);
        int[] tokens = Enumerable.Range(0, length).Select(_ => random.Next(TinyClassifier.Vocab)).ToArray();
        batch.SetText(row, tokens);
        labels[row] = tokens[0] > tokens[^1] ? 1 : 0;
        batch.SetLabel(row, labels[row]);
    }

    return labels;
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
