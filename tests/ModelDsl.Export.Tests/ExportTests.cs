using System;
using System.IO;
using System.Linq;
using ModelDsl.IO;

namespace ModelDsl.Export;

/// <summary>What the export refuses and the batch file's format, without PyTorch.</summary>
public sealed class ExportTests
{
    [Fact]
    public void ALayerThatCannotBeExported_Throws_NamingTheLayerAndWhy_AndWritesNothing()
    {
        var source = Assert.Throws<NotSupportedException>(() => KeywordModel.PyTorchSource);
        Assert.Contains("layer Lambda", source.Message, StringComparison.Ordinal);
        Assert.Contains("'lambda' is a Python keyword", source.Message, StringComparison.Ordinal);
        using var folder = new TempFolder();
        var write = Assert.Throws<NotSupportedException>(() => KeywordModel.WritePyTorch(folder.Path));
        Assert.Equal(source.Message, write.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Fact]
    public void WriteBatches_WritesTheFilledRowsUnderTheBatchNames()
    {
        using var folder = new TempFolder();
        var first = new GraphClassifier.Batch();
        first.SetNodes(0, [3, 4, 5]);
        first.SetNodes(1, [7]);
        first.SetNodesEdge(1, 0, 0, true);
        first.SetLabel(0, 2);
        first.SetLabel(1, 1);
        first.Count = 2;
        var second = new GraphClassifier.Batch();
        second.SetNodes(0, [1, 2, 3, 4, 5, 6]);
        second.SetLabel(0, 0);
        second.Count = 1;
        string path = folder.File("batches.safetensors");
        GraphClassifier.WriteBatches(path, first, second);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(BatchFile.Format, file.Metadata["format"]);
        Assert.Equal("2", file.Metadata["batches"]);
        Assert.Equal("GraphClassifier", file.Metadata["model"]);
        Assert.Equal(
            ["0.Labels", "0.Nodes", "0.NodesAdjacency", "0.NodesLengths", "1.Labels", "1.Nodes", "1.NodesAdjacency", "1.NodesLengths"],
            file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(SafeTensorsDType.I64, file["0.Nodes"].DType);
        Assert.Equal("[2, 6]", file["0.Nodes"].ShapeText);
        Assert.Equal([3L, 4, 5, 0, 0, 0, 7, 0, 0, 0, 0, 0], file.ReadIntegers("0.Nodes"));
        Assert.Equal([3L, 1], file.ReadIntegers("0.NodesLengths"));
        Assert.Equal([2L, 1], file.ReadIntegers("0.Labels"));
        Assert.Equal(SafeTensorsDType.Bool, file["0.NodesAdjacency"].DType);
        long[] adjacency = file.ReadIntegers("0.NodesAdjacency");
        Assert.Equal(2 * 6 * 6, adjacency.Length);
        Assert.Equal(1, adjacency.Sum());
        Assert.Equal(1, adjacency[36]); // row 1, query 0, key 0
        Assert.Equal("[1, 6]", file["1.Nodes"].ShapeText);
    }

    [Fact]
    public void WriteBatches_RefusesAnEmptyBatchAndARowWithoutLength_NamingThem()
    {
        using var folder = new TempFolder();
        string path = folder.File("batches.safetensors");
        var empty = Assert.Throws<ArgumentException>(() => FeatureRegressor.WriteBatches(path, new FeatureRegressor.Batch()));
        Assert.Contains("batch 0 is empty", empty.Message, StringComparison.Ordinal);

        var batch = new SharedTranslator.Batch();
        batch.SetSource(0, [1, 2]);
        batch.SetTarget(0, [3]);
        batch.SetLabels(0, [4]);
        batch.SetTarget(1, [5]);
        batch.SetLabels(1, [6]);
        batch.Count = 2; // row 1 has no source
        var missing = Assert.Throws<ArgumentException>(() => SharedTranslator.WriteBatches(path, batch));
        Assert.Contains("batch 0, row 1: Source has length 0", missing.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void BatchFile_RefusesTensorsBeforeABatchAndNonFiniteValues()
    {
        var file = new BatchFile("M");
        Assert.Throws<InvalidOperationException>(() => file.AddInts("X", [1], [1]));
        file.BeginBatch();
        var nan = Assert.Throws<ArgumentException>(() => file.AddFloats("Targets", [2], [1f, float.NaN]));
        Assert.Contains("Targets of batch 0", nan.Message, StringComparison.Ordinal);
        var shape = Assert.Throws<ArgumentException>(() => file.AddInts("X", [2, 2], [1, 2, 3]));
        Assert.Contains("X has shape [2, 2]", shape.Message, StringComparison.Ordinal);
        file.AddInts("X", [1], [1]);
        Assert.Throws<ArgumentException>(() => file.AddInts("X", [1], [2]));
    }
}
