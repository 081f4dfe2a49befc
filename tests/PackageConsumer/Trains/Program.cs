using ModelDsl;
using ModelDsl.Decoding;
using ModelDsl.Optim;

// A user's program built against the ModelDsl package only. Exit code 0 when both models learned and decoding ran.
int failures = 0;

// 1. The classifier of the package's README: is the first token larger than the last one?
var classifier = new TinyClassifier(seed: 1);
Console.WriteLine(TinyClassifier.Summary());
using (var trainer = classifier.CreateTrainer(new AdamW(3e-3f)))
{
    var batch = new TinyClassifier.Batch();
    var random = new Random(1);
    float first = 0, last = 0;
    for (int step = 1; step <= 300; step++)
    {
        batch.Count = TinyClassifier.MaxBatch;
        for (int row = 0; row < batch.Count; row++)
        {
            int length = random.Next(2, TinyClassifier.Length + 1);
            int[] tokens = Enumerable.Range(0, length).Select(_ => random.Next(TinyClassifier.Vocab)).ToArray();
            batch.SetText(row, tokens);
            batch.SetLabel(row, tokens[0] > tokens[^1] ? 1 : 0);
        }

        float loss = trainer.Step(batch);
        first += step <= 20 ? loss / 20 : 0;
        last += step > 280 ? loss / 20 : 0;
    }

    Console.WriteLine($"classifier: mean loss of the first 20 steps {first:F4}, of the last 20 {last:F4}");
    failures += Check(last < 0.6f * first, "the classifier's loss fell below 60 % of its start");
}

// 2. A small encoder-decoder that copies its source, decoded greedily with the generated StepDecoder.
const int Bos = 1, Eos = 2;
var copier = new Copier(seed: 2);
using (var trainer = copier.CreateTrainer(new Adam(3e-3f)))
{
    var batch = new Copier.Batch();
    var random = new Random(2);
    float first = 0, last = 0;
    for (int step = 1; step <= 400; step++)
    {
        Fill(batch, random);
        float loss = trainer.Step(batch);
        first += step <= 20 ? loss / 20 : 0;
        last += step > 380 ? loss / 20 : 0;
    }

    Console.WriteLine($"copier: mean loss of the first 20 steps {first:F4}, of the last 20 {last:F4}");
    failures += Check(last < 0.5f * first, "the copier's loss fell by half");

    using var decoder = copier.CreateDecoder(maxRows: Copier.MaxBatch);
    var greedy = new GreedySearch(Copier.MaxBatch, Copier.TargetLength, Copier.Vocab);
    var heldOut = new Random(3);
    int[][] sources = Fill(batch, heldOut);
    decoder.Begin(batch);
    greedy.Run(decoder, batch.Count, Bos, Eos, Copier.TargetLength);
    int copied = Enumerable.Range(0, batch.Count).Count(row => greedy.Ended(row) && greedy.Tokens(row).SequenceEqual(sources[row]));
    Console.WriteLine($"copier: greedy decoding copied {copied} of {batch.Count} held-out sources exactly");
    failures += Check(copied >= 24, "greedy decoding copied at least 24 of 32 sources exactly");
}

Console.WriteLine(failures == 0 ? "package consumer: OK" : $"package consumer: {failures} check(s) failed");
return failures == 0 ? 0 : 1;

static int Check(bool condition, string what)
{
    Console.WriteLine($"  {(condition ? "ok" : "FAILED")}: {what}");
    return condition ? 0 : 1;
}

// Sources of 1-5 tokens from 3..Vocab-1; the decoder reads <s> + source and predicts source + </s>.
static int[][] Fill(Copier.Batch batch, Random random)
{
    batch.Count = Copier.MaxBatch;
    var sources = new int[batch.Count][];
    for (int row = 0; row < batch.Count; row++)
    {
        int[] source = Enumerable.Range(0, random.Next(1, Copier.SourceLength + 1)).Select(_ => random.Next(3, Copier.Vocab)).ToArray();
        sources[row] = source;
        batch.SetSource(row, source);
        batch.SetTarget(row, [Bos, .. source]);
        batch.SetLabels(row, [.. source, Eos]);
    }

    return sources;
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

[Model(MaxBatch = 32)]
public partial class Copier
{
    public const int Vocab = 10, D = 32, SourceLength = 5, TargetLength = SourceLength + 1;

    [Input(SourceLength)] public partial TokenInput Source { get; }
    [Input(TargetLength)] public partial TokenInput Target { get; }
    [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
    [LearnedPositions(SourceLength)] public partial Positions SourcePositions { get; }
    [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 64, Mask = Masks.KeyPadding, Dropout = 0f)]
    public partial EncoderStack Encoder { get; }
    [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
    [LearnedPositions(TargetLength)] public partial Positions TargetPositions { get; }
    [TransformerDecoder(Layers = 1, Heads = 2, FeedForward = 64, Memory = nameof(Encoder), Dropout = 0f)]
    public partial DecoderStack Decoder { get; }
    [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
}
