using System;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ModelDsl.Examples.DateTranslator;
using ModelDsl.Examples.Sentiment;
using ModelDsl.Onnx.Tests.Models;
using Onnx;

namespace ModelDsl.Onnx.Tests;

/// <summary>What an exported file is (format, opset, names, dynamic dimensions) and what happens to a model that cannot be exported.</summary>
public sealed class ExportTests
{
    [Fact]
    public void FileIsAStandardOnnxModelWithStateDictInitializersAndDynamicDimensions()
    {
        var model = new SentimentModel(seed: 3);
        string path = OnnxRun.TempPath();
        try
        {
            model.WriteOnnx(path);
            ModelProto proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            Assert.Equal(OnnxGraph.IrVersion, proto.IrVersion);
            OperatorSetIdProto opset = Assert.Single(proto.OpsetImport);
            Assert.Equal(string.Empty, opset.Domain);
            Assert.True(opset.Version >= 17);
            Assert.Equal("ModelDsl", proto.ProducerName);

            // Every parameter is an initializer under its PyTorch state_dict name, with its shape and its values.
            foreach (ParameterEntry entry in SentimentModel.ParameterTable)
            {
                TensorProto tensor = Assert.Single(proto.Graph.Initializer, t => t.Name == entry.Name);
                Assert.Equal(entry.Shape.Select(d => (long)d), tensor.Dims);
                float[] values = MemoryMarshalFloats(tensor.RawData.ToByteArray());
                Assert.Equal(model.Parameters.Span.Slice(entry.Offset, entry.Length).ToArray(), values);
            }

            // Inputs: ids [batch, text_length] and lengths [batch], both dimensions named (dynamic).
            ValueInfoProto text = Assert.Single(proto.Graph.Input, i => i.Name == "text");
            Assert.Equal(["batch", "text_length"], text.Type.TensorType.Shape.Dim.Select(d => d.DimParam));
            ValueInfoProto lengths = Assert.Single(proto.Graph.Input, i => i.Name == "text_lengths");
            Assert.Equal(["batch"], lengths.Type.TensorType.Shape.Dim.Select(d => d.DimParam));
            Assert.Equal(["logits"], proto.Graph.Output.Select(o => o.Name));

            // ONNX Runtime accepts it as it is and reports the same signature.
            using var session = new InferenceSession(path);
            Assert.Equal([-1, -1], session.InputMetadata["text"].Dimensions);
            Assert.Equal(["batch", "text_length"], session.InputMetadata["text"].SymbolicDimensions);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WritingReplacesTheFileAtomicallyAndLeavesNoTemporaryFile()
    {
        var model = new SentimentModel(seed: 4);
        string directory = Path.Combine(Path.GetTempPath(), "modeldsl-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string path = Path.Combine(directory, "sentiment.onnx");
            File.WriteAllText(path, "an older file");
            model.WriteOnnx(path);
            Assert.Equal(OnnxFile.ToBytes(model.ToOnnx()), File.ReadAllBytes(path));
            Assert.Equal(["sentiment.onnx"], Directory.GetFiles(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void WritingIntoAMissingFolderThrowsAndWritesNothing()
    {
        string directory = Path.Combine(Path.GetTempPath(), "modeldsl-onnx-missing-" + Guid.NewGuid().ToString("N"));
        var model = new SentimentModel(seed: 5);
        Assert.Throws<DirectoryNotFoundException>(() => model.WriteOnnx(Path.Combine(directory, "model.onnx")));
        Assert.False(Directory.Exists(directory));
    }

    /// <summary>
    /// The recurrent decoders' decoding graphs: the encoder graph outputs the initial state (LSTM: and a zero cell), the memory and its
    /// projection when the attention reads them; the step carries the state as past/present inputs and outputs.
    /// </summary>
    [Fact]
    public void RecurrentDecoderGraphsCarryTheStateAndReadTheMemoryOnce()
    {
        var lstm = new LstmLuongTranslator(seed: 1);
        Assert.Equal(["decoder.initial_state", "decoder.initial_cell", "decoder.memory", "decoder.memory_projection"], lstm.ToOnnxEncoder().OutputNames);
        OnnxGraph step = lstm.ToOnnxStep();
        Assert.Equal(["target", "position", "decoder.past_state", "decoder.past_cell", "decoder.memory", "decoder.memory_projection", "source_lengths"], step.InputNames);
        Assert.Equal(["decoder.present_state", "decoder.present_cell", "logits"], step.OutputNames);
        Assert.DoesNotContain("decoder.attention.memory_weight", ForwardTests.Initializers(step)); // the encoder graph projects the memory

        var plain = new GruPlainModel(seed: 1);
        Assert.Equal(["decoder.initial_state"], plain.ToOnnxEncoder().OutputNames);
        Assert.Equal(["target", "position", "decoder.past_state"], plain.ToOnnxStep().InputNames);
        Assert.Contains("decoder.bridge.weight", ForwardTests.Initializers(plain.ToOnnxEncoder()));
        Assert.Equal(["source", "target", "source_lengths", "target_lengths"], new GruBahdanauModel(seed: 1).ToOnnx().InputNames);
    }

    [Fact]
    public void ABuilderErrorNamesTheValue()
    {
        var graph = new OnnxGraph("Broken", [1f, 2f], []);
        var unknown = Assert.Throws<InvalidOperationException>(() => graph.Add("sum", "missing", "also_missing"));
        Assert.Contains("'missing'", unknown.Message, StringComparison.Ordinal);
        graph.Param("w", 0, 2);
        var twice = Assert.Throws<InvalidOperationException>(() => graph.Param("w", 1, 1));
        Assert.Contains("'w'", twice.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.Param("outside", 1, 2));
    }

    private static float[] MemoryMarshalFloats(byte[] bytes)
    {
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}
