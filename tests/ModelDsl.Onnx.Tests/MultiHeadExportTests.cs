using System;
using System.IO;
using ModelDsl.Onnx.Tests.Models;

namespace ModelDsl.Onnx.Tests;

/// <summary>A model with several loss heads is refused by the ONNX export, naming the heads, and no file is written.</summary>
public sealed class MultiHeadExportTests
{
    [Fact]
    public void SeveralHeadsAreRefusedByNameAndNothingIsWritten()
    {
        var model = new TwoHeadEncoder(seed: 1);
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnx());
        Assert.StartsWith("TwoHeadEncoder cannot be exported to ONNX yet: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("the model has 2 heads (Mlm, Nsp) and the ONNX export writes one output", error.Message, StringComparison.Ordinal);

        string path = Path.Combine(Path.GetTempPath(), "two-heads-" + Guid.NewGuid().ToString("N") + ".onnx");
        Assert.Throws<NotSupportedException>(() => model.WriteOnnx(path));
        Assert.False(File.Exists(path));
    }
}
