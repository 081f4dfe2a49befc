using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelDsl.Decoding;
using ModelDsl.Examples.DateTranslator;
using ModelDsl.Examples.TinyGpt;
using ModelDsl.Optim;

namespace ModelDsl.Onnx.Tests;

/// <summary>
/// The decoding graphs: <c>ToOnnxEncoder</c> (once per source batch: each cross-attention's memory keys and values) and
/// <c>ToOnnxStep</c> (one position, key/value caches in and out), run in ONNX Runtime.
/// </summary>
public sealed class DecodingTests
{
    private const int Start = 1, End = 2;

    /// <summary>A greedy decode through ONNX Runtime (encoder once, then steps with caches) gives GreedySearch's tokens on the DateTranslator.</summary>
    [Fact]
    public void DateTranslatorGreedyDecodeEqualsGreedySearch()
    {
        var model = new DateModel(seed: 21);
        var batch = new DateModel.Batch();
        var random = new Random(21);
        int[] sources = [23, 9, 31, 14, 5, 18];
        for (int row = 0; row < sources.Length; row++)
        {
            batch.SetSource(row, ForwardTests.RandomIds(random, sources[row], DateModel.Vocab));
            int[] target = ForwardTests.RandomIds(random, DateModel.TargetLength, DateModel.Vocab);
            batch.SetTarget(row, target);
            batch.SetLabels(row, target);
        }

        int rows = batch.Count = sources.Length;
        using (var trainer = model.CreateTrainer(new AdamW(1e-3f)))
        {
            ForwardTests.Train(() => trainer.Step(batch));
        }

        // ModelDsl: the generated StepDecoder under GreedySearch.
        using var decoder = model.CreateDecoder(maxRows: rows);
        decoder.Begin(batch);
        var greedy = new GreedySearch(rows, DateModel.TargetLength, DateModel.Vocab);
        greedy.Run(decoder, rows, Start, End, DateModel.TargetLength);

        // ONNX Runtime: the encoder once, then one step per position, the present caches fed back as the next step's past.
        string encoderPath = OnnxRun.TempPath(), stepPath = OnnxRun.TempPath();
        try
        {
            model.WriteOnnxEncoder(encoderPath);
            model.WriteOnnxStep(stepPath);
            using var options = new SessionOptions { IntraOpNumThreads = 1 };
            using var encoder = new InferenceSession(encoderPath, options);
            using var step = new InferenceSession(stepPath, options);
            NamedOnnxValue lengths = OnnxRun.Lengths("source_lengths", batch.SourceLengths, rows);
            var memory = OnnxRun.RunAll(encoder, [OnnxRun.Ids("source", batch.Source, DateModel.SourceLength, rows, LongestSource(batch, rows)), lengths]);
            List<int>[] tokens = Decode(step, memory, lengths, rows, layers: 2, width: DateModel.D, out bool[] ended);
            int compared = 0;
            for (int row = 0; row < rows; row++)
            {
                Assert.Equal(greedy.Tokens(row).ToArray(), tokens[row].ToArray());
                Assert.Equal(greedy.Ended(row), ended[row]);
                compared += tokens[row].Count;
            }

            Assert.True(compared >= rows * 3, "the decode is too short to compare anything (" + compared + " tokens)");
        }
        finally
        {
            File.Delete(encoderPath);
            File.Delete(stepPath);
        }
    }

    /// <summary>TinyGpt's step graph fed a sequence one token at a time gives the forward pass's logits at every position.</summary>
    [Fact]
    public void TinyGptStepsEqualTheForwardPass()
    {
        var model = new CharacterModel(seed: 22);
        var batch = new CharacterModel.Batch();
        var random = new Random(22);
        const int Rows = 3, Length = 20;
        for (int row = 0; row < Rows; row++)
        {
            int[] ids = ForwardTests.RandomIds(random, Length, CharacterModel.Vocab);
            batch.SetText(row, ids);
            batch.SetLabels(row, ids);
        }

        batch.Count = Rows;
        using var trainer = model.CreateTrainer(new AdamW(1e-3f));
        ForwardTests.Train(() => trainer.Step(batch));
        trainer.Evaluate(batch);
        float[] expected = trainer.Logits.ToArray(); // [Rows, Length, Vocab]
        string path = OnnxRun.TempPath();
        try
        {
            model.WriteOnnxStep(path);
            using var options = new SessionOptions { IntraOpNumThreads = 1 };
            using var step = new InferenceSession(path, options);
            var past = EmptyCaches("blocks", layers: 2, Rows, CharacterModel.D);
            for (int position = 0; position < Length; position++)
            {
                var feed = new DenseTensor<long>(new[] { Rows, 1 });
                for (int row = 0; row < Rows; row++)
                {
                    feed[row, 0] = batch.Text[(row * CharacterModel.Context) + position];
                }

                var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("text", feed), Position(position) };
                inputs.AddRange(past);
                var outputs = OnnxRun.RunAll(step, inputs);
                (float[] logits, int[] dims) = outputs["logits"];
                Assert.Equal([Rows, 1, CharacterModel.Vocab], dims);
                for (int row = 0; row < Rows; row++)
                {
                    OnnxRun.AssertClose(expected.AsSpan(((row * Length) + position) * CharacterModel.Vocab, CharacterModel.Vocab),
                        logits.AsSpan(row * CharacterModel.Vocab, CharacterModel.Vocab), "TinyGpt step " + position + " row " + row);
                }

                past = NextPast(outputs, "blocks", layers: 2);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int LongestSource(DateModel.Batch batch, int rows)
    {
        int longest = 0;
        for (int row = 0; row < rows; row++)
        {
            longest = Math.Max(longest, batch.SourceLengths[row]);
        }

        return longest;
    }

    /// <summary>Greedy decoding as GreedySearch does it: start token at step 0, argmax (lowest id on ties), ended rows fed the end token.</summary>
    private static List<int>[] Decode(InferenceSession step, Dictionary<string, (float[] Values, int[] Dims)> memory, NamedOnnxValue lengths, int rows, int layers, int width, out bool[] ended)
    {
        var tokens = new List<int>[rows];
        ended = new bool[rows];
        var feed = new int[rows];
        for (int row = 0; row < rows; row++)
        {
            tokens[row] = [];
            feed[row] = Start;
        }

        List<NamedOnnxValue> past = EmptyCaches("decoder", layers, rows, width);
        for (int position = 0; position < DateModel.TargetLength; position++)
        {
            var tokenTensor = new DenseTensor<long>(new[] { rows, 1 });
            for (int row = 0; row < rows; row++)
            {
                tokenTensor[row, 0] = feed[row];
            }

            var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("target", tokenTensor), Position(position), lengths };
            foreach ((string name, (float[] values, int[] dims)) in memory)
            {
                inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(values, dims)));
            }

            inputs.AddRange(past);
            var outputs = OnnxRun.RunAll(step, inputs);
            float[] logits = outputs["logits"].Values;
            bool all = true;
            for (int row = 0; row < rows; row++)
            {
                if (ended[row])
                {
                    feed[row] = End;
                    continue;
                }

                int best = 0;
                for (int v = 1; v < DateModel.Vocab; v++)
                {
                    if (logits[(row * DateModel.Vocab) + v] > logits[(row * DateModel.Vocab) + best])
                    {
                        best = v;
                    }
                }

                if (best == End)
                {
                    ended[row] = true;
                }
                else
                {
                    tokens[row].Add(best);
                    all = false;
                }

                feed[row] = best;
            }

            if (all)
            {
                break;
            }

            past = NextPast(outputs, "decoder", layers);
        }

        return tokens;
    }

    private static NamedOnnxValue Position(int position) =>
        NamedOnnxValue.CreateFromTensor("position", new DenseTensor<long>(new long[] { position }, new[] { 1 }));

    private static List<NamedOnnxValue> EmptyCaches(string stack, int layers, int rows, int width)
    {
        var caches = new List<NamedOnnxValue>();
        for (int l = 0; l < layers; l++)
        {
            foreach (string kind in new[] { "key", "value" })
            {
                caches.Add(NamedOnnxValue.CreateFromTensor(stack + ".layers." + l + ".past_" + kind, new DenseTensor<float>(new[] { rows, 0, width })));
            }
        }

        return caches;
    }

    private static List<NamedOnnxValue> NextPast(Dictionary<string, (float[] Values, int[] Dims)> outputs, string stack, int layers)
    {
        var caches = new List<NamedOnnxValue>();
        for (int l = 0; l < layers; l++)
        {
            foreach (string kind in new[] { "key", "value" })
            {
                (float[] values, int[] dims) = outputs[stack + ".layers." + l + ".present_" + kind];
                caches.Add(NamedOnnxValue.CreateFromTensor(stack + ".layers." + l + ".past_" + kind, new DenseTensor<float>(values, dims)));
            }
        }

        return caches;
    }
}
