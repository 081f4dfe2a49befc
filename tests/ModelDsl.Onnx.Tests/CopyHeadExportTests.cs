using System;
using System.IO;
using ModelDsl.Examples.DateTranslator;

namespace ModelDsl.Onnx.Tests;

/// <summary>A model with a [PointerGenerator] head is refused by the ONNX export, naming the layer, and no file is written.</summary>
public sealed class CopyHeadExportTests
{
    private const string Reason = "Logits ([PointerGenerator]): the pointer-generator head (Logits) scatters attention weights onto token ids; no ONNX nodes are written for it.";

    [Fact]
    public void ThePointerGeneratorHeadIsRefusedByNameAndNothingIsWritten()
    {
        var model = new DateCopyModel(seed: 1);
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnx());
        Assert.Equal("DateCopyModel cannot be exported to ONNX yet: " + Reason, error.Message);

        string path = Path.Combine(Path.GetTempPath(), "copy-head-" + Guid.NewGuid().ToString("N") + ".onnx");
        Assert.Throws<NotSupportedException>(() => model.WriteOnnx(path));
        Assert.False(File.Exists(path));
    }
}
