using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using ModelDsl.IO;

namespace ModelDsl.Tests.IO;

/// <summary>
/// <see cref="ParameterFile.LoadMatching"/> on hand-built safetensors files (header and bytes written here, not by the
/// library's writer): what matches by name and shape is loaded, the rest is reported with its reason and keeps its values.
/// </summary>
public sealed class LoadMatchingTests : IDisposable
{
    private const float Untouched = -7f;

    /// <summary>The model: an encoder to transfer and a head whose class count changed.</summary>
    private static readonly ParameterInfo[] Model =
    [
        new("encoder.weight", 0, [2, 3]), new("encoder.bias", 6, [2]), new("head.weight", 8, [4, 2]), new("head.bias", 16, [4]),
    ];

    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-loadmatching-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void LoadMatching_LoadsWhatMatchesAndReportsTheRest()
    {
        string path = Write(
            ("encoder.weight", "F32", [2, 3], [1, 2, 3, 4, 5, 6]),
            ("encoder.bias", "F32", [2], [0.5f, -0.5f]),
            ("head.weight", "F32", [3, 2], [9, 9, 9, 9, 9, 9]),
            ("pooler.weight", "F32", [2, 2], [8, 8, 8, 8]));
        float[] block = Block();

        LoadReport report = ParameterFile.LoadMatching(path, Model, block);

        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, 0.5f, -0.5f }, block[..8]);
        Assert.All(block[8..], x => Assert.Equal(Untouched, x));
        Assert.Equal(["encoder.weight", "encoder.bias"], report.Loaded);
        Assert.Equal(["head.bias"], report.MissingKeys);
        Assert.Equal(["pooler.weight"], report.UnexpectedKeys);
        Assert.Equal(["head.weight"], report.ShapeMismatches);
        SkippedTensor mismatch = report.Skipped.Single(s => s.Reason == SkipReason.ShapeMismatch);
        Assert.Equal([3L, 2L], mismatch.FileShape);
        Assert.Equal([4, 2], mismatch.ModelShape);
        string text = report.ToString();
        Assert.Contains("loaded 2 tensors, skipped 3", text, StringComparison.Ordinal);
        Assert.Contains("head.weight: shape [3, 2] in the file, [4, 2] in the model", text, StringComparison.Ordinal);
        Assert.Contains("head.bias [4]: missing in the file", text, StringComparison.Ordinal);
        Assert.Contains("pooler.weight [2, 2]: unexpected (not in the model)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadMatching_AnIntegerTensor_IsSkippedAsNotFloat()
    {
        string path = Write(("encoder.weight", "F32", [2, 3], [1, 2, 3, 4, 5, 6]), ("encoder.bias", "I32", [2], [0, 0]));
        float[] block = Block();

        LoadReport report = ParameterFile.LoadMatching(path, Model, block);

        Assert.Equal(["encoder.weight"], report.Loaded);
        Assert.Equal(SkipReason.NotFloat, report.Skipped.Single(s => s.Name == "encoder.bias").Reason);
        Assert.Equal(Untouched, block[6]);
    }

    [Fact]
    public void LoadMatching_AMalformedFile_IsRejectedBeforeAnythingIsRead()
    {
        // A valid tensor, then data offsets past the end of the file: the header check fails, nothing is loaded.
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");
        byte[] header = Encoding.UTF8.GetBytes("{\"encoder.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            + "\"encoder.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,40]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[24]]);
        float[] block = Block();

        Assert.Throws<SafeTensorsFormatException>(() => ParameterFile.LoadMatching(path, Model, block));
        Assert.All(block, x => Assert.Equal(Untouched, x));
    }

    [Fact]
    public void LoadMatching_ACheckpoint_LeavesItsOptimizerStateOutOfTheReport()
    {
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");
        ParameterInfo[] other = [new("encoder.weight", 0, [2, 3]), new("encoder.bias", 6, [2])];
        Checkpoint.Save(path, other, Enumerable.Range(1, 8).Select(i => (float)i).ToArray(), "AdamW", new float[16], new TrainingPosition(3, 1, 0));
        float[] block = Block();

        LoadReport report = ParameterFile.LoadMatching(path, Model, block);

        Assert.Equal(["encoder.weight", "encoder.bias"], report.Loaded);
        Assert.Empty(report.UnexpectedKeys);
        Assert.Equal(["head.weight", "head.bias"], report.MissingKeys);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, block[..8]);
    }

    private static float[] Block() => Enumerable.Repeat(Untouched, 20).ToArray();

    /// <summary>Writes a safetensors file by hand: the 8-byte header length, the JSON header, then the little-endian data.</summary>
    private string Write(params (string Name, string DType, int[] Shape, float[] Values)[] tensors)
    {
        var json = new StringBuilder("{");
        var data = new List<byte>();
        foreach (var (name, dtype, shape, values) in tensors)
        {
            int begin = data.Count;
            foreach (float value in values)
            {
                data.AddRange(dtype == "I32" ? BitConverter.GetBytes((int)value) : BitConverter.GetBytes(value));
            }

            json.Append(json.Length > 1 ? "," : "").Append('"').Append(name).Append("\":{\"dtype\":\"").Append(dtype)
                .Append("\",\"shape\":[").Append(string.Join(",", shape)).Append("],\"data_offsets\":[").Append(begin).Append(',').Append(data.Count).Append("]}");
        }

        byte[] header = Encoding.UTF8.GetBytes(json.Append('}').ToString());
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. data]);
        return path;
    }
}
