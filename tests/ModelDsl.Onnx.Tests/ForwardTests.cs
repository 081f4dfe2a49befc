using System;
using System.IO;
using Microsoft.ML.OnnxRuntime;
using ModelDsl.Examples.DateTranslator;
using ModelDsl.Examples.Reverse;
using ModelDsl.Examples.Sentiment;
using ModelDsl.Examples.TinyGpt;
using ModelDsl.Onnx.Tests.Models;
using ModelDsl.Optim;

namespace ModelDsl.Onnx.Tests;

/// <summary>
/// Every exportable example model and several generated test models, trained a few steps (so biases, norms and BatchNorm's
/// running statistics are no longer at their initial values), exported with <c>WriteOnnx</c> and run in ONNX Runtime on a
/// padded batch of rows of different lengths: the outputs equal ModelDsl's <c>Evaluate</c> outputs at every position,
/// padded ones included, within <see cref="OnnxRun.Tolerance"/>.
/// </summary>
public sealed class ForwardTests
{
    private const int TrainSteps = 3;

    [Fact]
    public void SentimentClassifier()
    {
        var model = new SentimentModel(seed: 11);
        var batch = new SentimentModel.Batch();
        var random = new Random(1);
        int[] lengths = [24, 5, 17, 1, 9];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetText(row, RandomIds(random, lengths[row], SentimentModel.Vocab));
            batch.SetLabel(row, row % 2);
        }

        batch.Count = lengths.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-3f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] expected = trainer.Logits.ToArray();
        float[] actual = Export(model.WriteOnnx, [5, 2], OnnxRun.Ids("text", batch.Text, SentimentModel.Length, batch.Count, trainer.LongestText),
            OnnxRun.Lengths("text_lengths", batch.TextLengths, batch.Count));
        OnnxRun.AssertClose(expected, actual, "Sentiment logits");
    }

    [Fact]
    public void TinyGptCharacterModel()
    {
        var model = new CharacterModel(seed: 12);
        var batch = new CharacterModel.Batch();
        var random = new Random(2);
        int[] lengths = [40, 12, 33];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetText(row, RandomIds(random, lengths[row], CharacterModel.Vocab));
            batch.SetLabels(row, RandomIds(random, lengths[row], CharacterModel.Vocab));
        }

        batch.Count = lengths.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-3f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = Export(model.WriteOnnx, [3, 40, CharacterModel.Vocab], OnnxRun.Ids("text", batch.Text, CharacterModel.Context, batch.Count, trainer.LongestText));
        OnnxRun.AssertClose(trainer.Logits, actual, "TinyGpt logits");
    }

    [Fact]
    public void DateTranslatorTransformer()
    {
        var model = new DateModel(seed: 13);
        var batch = new DateModel.Batch();
        Fill(batch, new Random(3), [29, 11, 20, 7], [11, 11, 6, 3], DateModel.Vocab);
        using var trainer = model.CreateTrainer(new AdamW(1e-3f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = Export(model.WriteOnnx, [4, 11, DateModel.Vocab],
            OnnxRun.Ids("source", batch.Source, DateModel.SourceLength, batch.Count, trainer.LongestSource),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, batch.Count),
            OnnxRun.Ids("target", batch.Target, DateModel.TargetLength, batch.Count, trainer.LongestTarget));
        OnnxRun.AssertClose(trainer.Logits, actual, "DateModel logits");
    }

    [Fact]
    public void ReverseTransformer()
    {
        var model = new ReverseModel(seed: 14);
        var batch = new ReverseModel.Batch();
        Fill(batch, new Random(4), [12, 4, 9], [10, 5, 13], ReverseModel.Vocab);
        using var trainer = model.CreateTrainer(new AdamW(1e-3f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = Export(model.WriteOnnx, [3, 13, ReverseModel.Vocab],
            OnnxRun.Ids("source", batch.Source, ReverseModel.SourceLength, batch.Count, trainer.LongestSource),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, batch.Count),
            OnnxRun.Ids("target", batch.Target, ReverseModel.TargetLength, batch.Count, trainer.LongestTarget));
        OnnxRun.AssertClose(trainer.Logits, actual, "Reverse logits");
    }

    [Fact]
    public void SharedEmbeddingsTiedHeadTranslator()
    {
        var model = new SharedTranslator(seed: 15);
        var batch = new SharedTranslator.Batch();
        Fill(batch, new Random(5), [9, 2, 6, 4], [7, 7, 1, 3], SharedTranslator.Vocab);
        using var trainer = model.CreateTrainer(new AdamW(1e-3f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        string path = OnnxRun.TempPath();
        try
        {
            model.WriteOnnx(path);
            (float[] actual, _) = OnnxRun.Run(path,
                OnnxRun.Ids("source", batch.Source, SharedTranslator.SourceLength, batch.Count, trainer.LongestSource),
                OnnxRun.Lengths("source_lengths", batch.SourceLengths, batch.Count),
                OnnxRun.Ids("target", batch.Target, SharedTranslator.TargetLength, batch.Count, trainer.LongestTarget),
                OnnxRun.Lengths("target_lengths", batch.TargetLengths, batch.Count));
            OnnxRun.AssertClose(trainer.Logits, actual, "SharedTranslator logits");
        }
        finally
        {
            File.Delete(path);
        }

        // The shared table is one initializer; the tied head reads it too.
        var graph = model.ToOnnx();
        Assert.DoesNotContain("target_embedding.weight", Initializers(graph));
        Assert.DoesNotContain("logits.weight", Initializers(graph));
        Assert.Contains("source_embedding.weight", Initializers(graph));
    }

    [Fact]
    public void FeatureRegressorWithBatchNorm()
    {
        var model = new Regressor(seed: 16);
        var batch = new Regressor.Batch();
        var random = new Random(6);
        for (int row = 0; row < 4; row++)
        {
            batch.SetX(row, RandomFloats(random, 10));
            batch.SetTarget(row, RandomFloats(random, 3));
        }

        batch.Count = 4;
        using var trainer = model.CreateTrainer(new AdamW(1e-2f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = Export(model.WriteOnnx, [4, 3], OnnxRun.Dense("x", batch.X, 10, batch.Count));
        OnnxRun.AssertClose(trainer.Predictions, actual, "Regressor predictions");
    }

    [Fact]
    public void FeatureSequencesWithAttentionAndBatchNorm()
    {
        var model = new SequenceRegressor(seed: 17);
        var batch = new SequenceRegressor.Batch();
        var random = new Random(7);
        int[] signal = [12, 3, 8], context = [2, 6, 5];
        for (int row = 0; row < signal.Length; row++)
        {
            batch.SetSignal(row, RandomFloats(random, signal[row] * SequenceRegressor.Features));
            batch.SetContext(row, RandomFloats(random, context[row] * SequenceRegressor.D));
            batch.SetTarget(row, RandomFloats(random, signal[row] * 2));
        }

        batch.Count = signal.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-2f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = Export(model.WriteOnnx, [3, 12, 2],
            OnnxRun.Features("signal", batch.Signal, SequenceRegressor.Length, SequenceRegressor.Features, batch.Count, trainer.LongestSignal),
            OnnxRun.Lengths("signal_lengths", batch.SignalLengths, batch.Count),
            OnnxRun.Features("context", batch.Context, SequenceRegressor.ContextLength, SequenceRegressor.D, batch.Count, trainer.LongestContext),
            OnnxRun.Lengths("context_lengths", batch.ContextLengths, batch.Count));
        OnnxRun.AssertClose(trainer.Predictions, actual, "SequenceRegressor predictions");
    }

    [Fact]
    public void LocalWindowPreNormLastTokenClassifier()
    {
        var model = new WindowClassifier(seed: 18);
        var batch = new WindowClassifier.Batch();
        var random = new Random(8);
        int[] lengths = [16, 7, 1, 11, 14];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetText(row, RandomIds(random, lengths[row], WindowClassifier.Vocab));
            batch.SetLabel(row, row % 3);
        }

        batch.Count = lengths.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-2f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = Export(model.WriteOnnx, [5, 3], OnnxRun.Ids("text", batch.Text, WindowClassifier.Length, batch.Count, trainer.LongestText),
            OnnxRun.Lengths("text_lengths", batch.TextLengths, batch.Count));
        OnnxRun.AssertClose(trainer.Logits, actual, "WindowClassifier logits");
    }

    [Fact]
    public void GraphMaskFirstTokenModel()
    {
        var model = new GraphClassifier(seed: 19);
        var batch = new GraphClassifier.Batch();
        var random = new Random(9);
        int[] lengths = [9, 4, 6];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetGraph(row, RandomIds(random, lengths[row], GraphClassifier.Vocab));
            for (int i = 0; i < lengths[row]; i++)
            {
                for (int j = 0; j < lengths[row]; j++)
                {
                    batch.SetGraphEdge(row, i, j, i == j || random.Next(3) == 0);
                }
            }

            batch.SetTarget(row, RandomFloats(random, 2));
        }

        batch.Count = lengths.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-2f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = Export(model.WriteOnnx, [3, 2], OnnxRun.Ids("graph", batch.Graph, GraphClassifier.Nodes, batch.Count, trainer.LongestGraph),
            OnnxRun.Lengths("graph_lengths", batch.GraphLengths, batch.Count),
            OnnxRun.Adjacency("graph_adjacency", batch.GraphAdjacency, GraphClassifier.Nodes, batch.Count, trainer.LongestGraph));
        OnnxRun.AssertClose(trainer.Predictions, actual, "GraphClassifier predictions");
    }

    [Fact]
    public void StackedBidirectionalGruFinalState()
    {
        var model = new GruClassifier(seed: 23);
        var batch = new GruClassifier.Batch();
        var random = new Random(23);
        int[] lengths = [11, 4, 8, 1, 6];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetText(row, RandomIds(random, lengths[row], GruClassifier.Vocab));
            batch.SetLabel(row, row % 3);
        }

        batch.Count = lengths.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-2f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = Export(model.WriteOnnx, [5, 3], OnnxRun.Ids("text", batch.Text, GruClassifier.Length, batch.Count, trainer.LongestText),
            OnnxRun.Lengths("text_lengths", batch.TextLengths, batch.Count));
        OnnxRun.AssertClose(trainer.Logits, actual, "GruClassifier logits");
    }

    [Fact]
    public void BidirectionalLstmTagger()
    {
        var model = new LstmTagger(seed: 24);
        var batch = new LstmTagger.Batch();
        var random = new Random(24);
        int[] lengths = [5, 9, 2];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetText(row, RandomIds(random, lengths[row], LstmTagger.Vocab));
            batch.SetLabels(row, RandomIds(random, lengths[row], 4));
        }

        batch.Count = lengths.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-2f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = Export(model.WriteOnnx, [3, 9, 4], OnnxRun.Ids("text", batch.Text, LstmTagger.Length, batch.Count, trainer.LongestText),
            OnnxRun.Lengths("text_lengths", batch.TextLengths, batch.Count));
        OnnxRun.AssertClose(trainer.Logits, actual, "LstmTagger logits");
    }

    [Fact]
    public void StackedRnnOverFeatures()
    {
        var model = new RnnRegressor(seed: 25);
        var batch = new RnnRegressor.Batch();
        var random = new Random(25);
        int[] lengths = [10, 3, 7, 5];
        for (int row = 0; row < lengths.Length; row++)
        {
            batch.SetSignal(row, RandomFloats(random, lengths[row] * RnnRegressor.Features));
            batch.SetTarget(row, RandomFloats(random, 2));
        }

        batch.Count = lengths.Length;
        using var trainer = model.CreateTrainer(new AdamW(1e-2f));
        Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] actual = Export(model.WriteOnnx, [4, 2],
            OnnxRun.Features("signal", batch.Signal, RnnRegressor.Length, RnnRegressor.Features, batch.Count, trainer.LongestSignal),
            OnnxRun.Lengths("signal_lengths", batch.SignalLengths, batch.Count));
        OnnxRun.AssertClose(trainer.Predictions, actual, "RnnRegressor predictions");
    }

    internal static void Train(Func<float> step)
    {
        for (int i = 0; i < TrainSteps; i++)
        {
            Assert.True(float.IsFinite(step()));
        }
    }

    /// <summary>Writes the model with <paramref name="write"/> to a unique file, runs it, checks the output's shape, deletes the file.</summary>
    internal static float[] Export(Action<string> write, int[] dims, params NamedOnnxValue[] inputs)
    {
        string path = OnnxRun.TempPath();
        try
        {
            write(path);
            (float[] values, int[] actualDims) = OnnxRun.Run(path, inputs);
            Assert.Equal(dims, actualDims);
            return values;
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static System.Collections.Generic.List<string> Initializers(OnnxGraph graph)
    {
        var names = new System.Collections.Generic.List<string>();
        foreach (var tensor in graph.Proto.Initializer)
        {
            names.Add(tensor.Name);
        }

        return names;
    }

    internal static int[] RandomIds(Random random, int length, int vocab)
    {
        var ids = new int[length];
        for (int i = 0; i < length; i++)
        {
            ids[i] = random.Next(vocab);
        }

        return ids;
    }

    internal static float[] RandomFloats(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    private static void Fill(DateModel.Batch batch, Random random, int[] sources, int[] targets, int vocab)
    {
        for (int row = 0; row < sources.Length; row++)
        {
            batch.SetSource(row, RandomIds(random, sources[row], vocab));
            batch.SetTarget(row, RandomIds(random, targets[row], vocab));
            batch.SetLabels(row, RandomIds(random, targets[row], vocab));
        }

        batch.Count = sources.Length;
    }

    private static void Fill(ReverseModel.Batch batch, Random random, int[] sources, int[] targets, int vocab)
    {
        for (int row = 0; row < sources.Length; row++)
        {
            batch.SetSource(row, RandomIds(random, sources[row], vocab));
            batch.SetTarget(row, RandomIds(random, targets[row], vocab));
            batch.SetLabels(row, RandomIds(random, targets[row], vocab));
        }

        batch.Count = sources.Length;
    }

    private static void Fill(SharedTranslator.Batch batch, Random random, int[] sources, int[] targets, int vocab)
    {
        for (int row = 0; row < sources.Length; row++)
        {
            batch.SetSource(row, RandomIds(random, sources[row], vocab));
            batch.SetTarget(row, RandomIds(random, targets[row], vocab));
            batch.SetLabels(row, RandomIds(random, targets[row], vocab));
        }

        batch.Count = sources.Length;
    }
}
