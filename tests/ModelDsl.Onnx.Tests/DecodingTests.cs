using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelDsl.Decoding;
using ModelDsl.Examples.DateTranslator;
using ModelDsl.Examples.TinyGpt;
using ModelDsl.Onnx.Tests.Models;
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
        AssertOnnxGreedy(greedy, model.WriteOnnxEncoder, model.WriteOnnxStep, rows,
            OnnxRun.Ids("source", batch.Source, DateModel.SourceLength, rows, LongestSource(batch.SourceLengths, rows)),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, rows), _ => EmptyCaches("decoder", layers: 2, rows, DateModel.D));
    }

    /// <summary>GruPlainModel (no attention): ONNX Runtime's greedy decode (state carried as past/present) equals GreedySearch.</summary>
    [Fact]
    public void GruPlainGreedyDecodeEqualsGreedySearch()
    {
        var model = new GruPlainModel(seed: 51);
        var batch = new GruPlainModel.Batch();
        int rows = batch.Count = Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        using (var trainer = model.CreateTrainer(new AdamW(1e-3f)))
        {
            ForwardTests.Train(() => trainer.Step(batch));
        }

        using var decoder = model.CreateDecoder(maxRows: rows);
        decoder.Begin(batch);
        var greedy = new GreedySearch(rows, DateModel.TargetLength, DateModel.Vocab);
        greedy.Run(decoder, rows, Start, End, DateModel.TargetLength);
        AssertOnnxGreedy(greedy, model.WriteOnnxEncoder, model.WriteOnnxStep, rows,
            OnnxRun.Ids("source", batch.Source, DateModel.SourceLength, rows, LongestSource(batch.SourceLengths, rows)),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, rows), InitialStates);
    }

    /// <summary>GruBahdanauModel: attention from the previous state over the memory and its projection from the encoder graph.</summary>
    [Fact]
    public void GruBahdanauGreedyDecodeEqualsGreedySearch()
    {
        var model = new GruBahdanauModel(seed: 52);
        var batch = new GruBahdanauModel.Batch();
        int rows = batch.Count = Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        using (var trainer = model.CreateTrainer(new AdamW(1e-3f)))
        {
            ForwardTests.Train(() => trainer.Step(batch));
        }

        using var decoder = model.CreateDecoder(maxRows: rows);
        decoder.Begin(batch);
        var greedy = new GreedySearch(rows, DateModel.TargetLength, DateModel.Vocab);
        greedy.Run(decoder, rows, Start, End, DateModel.TargetLength);
        AssertOnnxGreedy(greedy, model.WriteOnnxEncoder, model.WriteOnnxStep, rows,
            OnnxRun.Ids("source", batch.Source, DateModel.SourceLength, rows, LongestSource(batch.SourceLengths, rows)),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, rows), InitialStates);
    }

    /// <summary>GruLuongModel: Luong general attention from the new state, <c>tanh(W_c [c; s])</c> as the output.</summary>
    [Fact]
    public void GruLuongGreedyDecodeEqualsGreedySearch()
    {
        var model = new GruLuongModel(seed: 53);
        var batch = new GruLuongModel.Batch();
        int rows = batch.Count = Fill(batch.SetSource, batch.SetTarget, batch.SetLabels);
        using (var trainer = model.CreateTrainer(new AdamW(1e-3f)))
        {
            ForwardTests.Train(() => trainer.Step(batch));
        }

        using var decoder = model.CreateDecoder(maxRows: rows);
        decoder.Begin(batch);
        var greedy = new GreedySearch(rows, DateModel.TargetLength, DateModel.Vocab);
        greedy.Run(decoder, rows, Start, End, DateModel.TargetLength);
        AssertOnnxGreedy(greedy, model.WriteOnnxEncoder, model.WriteOnnxStep, rows,
            OnnxRun.Ids("source", batch.Source, DateModel.SourceLength, rows, LongestSource(batch.SourceLengths, rows)),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, rows), InitialStates);
    }

    /// <summary>LstmLuongTranslator: the LSTM's cell is carried too (<c>past_cell</c> / <c>present_cell</c>, zeros from the encoder graph).</summary>
    [Fact]
    public void LstmLuongGreedyDecodeEqualsGreedySearch()
    {
        var model = new LstmLuongTranslator(seed: 54);
        var batch = new LstmLuongTranslator.Batch();
        int[] sources = [9, 4, 7, 2, 6];
        var random = new Random(54);
        for (int row = 0; row < sources.Length; row++)
        {
            batch.SetSource(row, ForwardTests.RandomIds(random, sources[row], LstmLuongTranslator.Vocab));
            int[] target = ForwardTests.RandomIds(random, LstmLuongTranslator.TargetLength, LstmLuongTranslator.Vocab);
            batch.SetTarget(row, target);
            batch.SetLabels(row, target);
        }

        int rows = batch.Count = sources.Length;
        using (var trainer = model.CreateTrainer(new AdamW(1e-2f)))
        {
            ForwardTests.Train(() => trainer.Step(batch));
        }

        using var decoder = model.CreateDecoder(maxRows: rows);
        decoder.Begin(batch);
        var greedy = new GreedySearch(rows, LstmLuongTranslator.TargetLength, LstmLuongTranslator.Vocab);
        greedy.Run(decoder, rows, Start, End, LstmLuongTranslator.TargetLength);
        AssertOnnxGreedy(greedy, model.WriteOnnxEncoder, model.WriteOnnxStep, rows,
            OnnxRun.Ids("source", batch.Source, LstmLuongTranslator.SourceLength, rows, LongestSource(batch.SourceLengths, rows)),
            OnnxRun.Lengths("source_lengths", batch.SourceLengths, rows), InitialStates, LstmLuongTranslator.TargetLength);
    }

    /// <summary>Writes both decoding graphs, decodes greedily through ONNX Runtime and compares every row's tokens and end with <paramref name="greedy"/>.</summary>
    private static void AssertOnnxGreedy(GreedySearch greedy, Action<string> writeEncoder, Action<string> writeStep, int rows, NamedOnnxValue source,
        NamedOnnxValue lengths, Func<Dictionary<string, (float[] Values, int[] Dims)>, List<NamedOnnxValue>> initialPast, int steps = DateModel.TargetLength)
    {
        string encoderPath = OnnxRun.TempPath(), stepPath = OnnxRun.TempPath();
        try
        {
            writeEncoder(encoderPath);
            writeStep(stepPath);
            using var options = new SessionOptions { IntraOpNumThreads = 1 };
            using var encoder = new InferenceSession(encoderPath, options);
            using var step = new InferenceSession(stepPath, options);
            var memory = OnnxRun.RunAll(encoder, [source, lengths]);
            List<int>[] tokens = Decode(step, memory, lengths, rows, initialPast(memory), steps, out bool[] ended);
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

    /// <summary>A recurrent decoder's first past: the encoder graph's <c>{layer}.initial_state</c> (and <c>initial_cell</c>) as <c>{layer}.past_*</c>.</summary>
    private static List<NamedOnnxValue> InitialStates(Dictionary<string, (float[] Values, int[] Dims)> encoderOutputs)
    {
        var past = new List<NamedOnnxValue>();
        foreach ((string name, (float[] values, int[] dims)) in encoderOutputs)
        {
            if (name.Contains(".initial_", StringComparison.Ordinal))
            {
                past.Add(NamedOnnxValue.CreateFromTensor(name.Replace(".initial_", ".past_", StringComparison.Ordinal), new DenseTensor<float>(values, dims)));
            }
        }

        Assert.NotEmpty(past);
        return past;
    }

    /// <summary>Six rows of DateTranslator-sized random sources and full-length targets (the labels equal the targets).</summary>
    private static int Fill(RecurrentDecoderTests.SetIds setSource, RecurrentDecoderTests.SetIds setTarget, RecurrentDecoderTests.SetIds setLabels)
    {
        int[] sources = [23, 9, 31, 14, 5, 18];
        var random = new Random(sources.Length);
        for (int row = 0; row < sources.Length; row++)
        {
            setSource(row, ForwardTests.RandomIds(random, sources[row], DateModel.Vocab));
            int[] target = ForwardTests.RandomIds(random, DateModel.TargetLength, DateModel.Vocab);
            setTarget(row, target);
            setLabels(row, target);
        }

        return sources.Length;
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

    private static int LongestSource(int[] sourceLengths, int rows)
    {
        int longest = 0;
        for (int row = 0; row < rows; row++)
        {
            longest = Math.Max(longest, sourceLengths[row]);
        }

        return longest;
    }

    /// <summary>
    /// Greedy decoding as GreedySearch does it: start token at step 0, argmax (lowest id on ties), ended rows fed the end token. The encoder's
    /// outputs (but the initial states) are fed at every step; every <c>*.present_*</c> output is the next step's <c>*.past_*</c>.
    /// </summary>
    private static List<int>[] Decode(InferenceSession step, Dictionary<string, (float[] Values, int[] Dims)> memory, NamedOnnxValue lengths, int rows,
        List<NamedOnnxValue> past, int steps, out bool[] ended)
    {
        var tokens = new List<int>[rows];
        ended = new bool[rows];
        var feed = new int[rows];
        for (int row = 0; row < rows; row++)
        {
            tokens[row] = [];
            feed[row] = Start;
        }

        for (int position = 0; position < steps; position++)
        {
            var tokenTensor = new DenseTensor<long>(new[] { rows, 1 });
            for (int row = 0; row < rows; row++)
            {
                tokenTensor[row, 0] = feed[row];
            }

            var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("target", tokenTensor), Position(position) };
            if (step.InputMetadata.ContainsKey(lengths.Name))
            {
                inputs.Add(lengths); // a decoder without attention reads no source lengths
            }

            foreach ((string name, (float[] values, int[] dims)) in memory)
            {
                if (name.Contains(".initial_", StringComparison.Ordinal))
                {
                    continue;
                }

                inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(values, dims)));
            }

            inputs.AddRange(past);
            var outputs = OnnxRun.RunAll(step, inputs);
            (float[] logits, int[] logitDims) = outputs["logits"];
            int vocab = logitDims[2];
            bool all = true;
            for (int row = 0; row < rows; row++)
            {
                if (ended[row])
                {
                    feed[row] = End;
                    continue;
                }

                int best = 0;
                for (int v = 1; v < vocab; v++)
                {
                    if (logits[(row * vocab) + v] > logits[(row * vocab) + best])
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

            past = Presents(outputs);
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

    /// <summary>Every <c>*.present_*</c> output under its <c>*.past_*</c> name.</summary>
    private static List<NamedOnnxValue> Presents(Dictionary<string, (float[] Values, int[] Dims)> outputs)
    {
        var past = new List<NamedOnnxValue>();
        foreach ((string name, (float[] values, int[] dims)) in outputs)
        {
            if (name.Contains(".present_", StringComparison.Ordinal))
            {
                past.Add(NamedOnnxValue.CreateFromTensor(name.Replace(".present_", ".past_", StringComparison.Ordinal), new DenseTensor<float>(values, dims)));
            }
        }

        return past;
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
