using System;
using System.IO;
using Google.Protobuf;
using ModelDsl.IO;
using Onnx;

namespace ModelDsl.Onnx;

/// <summary>
/// Writes an <see cref="OnnxGraph"/> as a standard <c>.onnx</c> file: an ONNX <c>ModelProto</c> (IR
/// <see cref="OnnxGraph.IrVersion"/>, default-domain opset <see cref="OnnxGraph.Opset"/>) serialized by Google.Protobuf from the
/// official <c>onnx.proto</c>. The file is written atomically: to a temporary file in the same folder, flushed, then renamed
/// over the target, so a failed or interrupted export never leaves a partial file under <c>path</c>.
/// </summary>
public static class OnnxFile
{
    /// <summary>The producer name written into the file.</summary>
    public const string Producer = "ModelDsl";

    /// <summary>The serialized model (what <see cref="Write"/> writes).</summary>
    public static byte[] ToBytes(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var model = new ModelProto
        {
            IrVersion = OnnxGraph.IrVersion,
            ProducerName = Producer,
            ProducerVersion = typeof(OnnxFile).Assembly.GetName().Version?.ToString() ?? "0.0.0.0",
            Graph = graph.Proto,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OnnxGraph.Opset });
        return model.ToByteArray();
    }

    /// <summary>Writes <paramref name="graph"/> to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    public static void Write(OnnxGraph graph, string path)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = ToBytes(graph);
        string fullPath = Path.GetFullPath(path);
        TemporaryFiles.RemoveStale(fullPath);
        string temporary = TemporaryFiles.For(fullPath);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // Best effort: the original error matters more than a leftover temporary file.
            }

            throw;
        }

        TemporaryFiles.FlushDirectory(Path.GetDirectoryName(fullPath)!);
    }
}
