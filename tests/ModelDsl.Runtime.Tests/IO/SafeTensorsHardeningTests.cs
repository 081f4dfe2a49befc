using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using ModelDsl.IO;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;
using Xunit.Abstractions;

namespace ModelDsl.Tests.IO;

/// <summary>
/// Malformed JSON strings and the reader's memory use: every malformed file gives a <see cref="SafeTensorsFormatException"/>
/// (also through <see cref="ParameterFile"/> and <see cref="Checkpoint"/>), <see cref="SafeTensorsFile.Open"/> allocates
/// at most 4x the file size + 1 MiB, and <see cref="SafeTensorsFile.Read"/> allocates in proportion to the tensor.
/// </summary>
public sealed class SafeTensorsHardeningTests : IDisposable
{
    private const long MiB = 1 << 20;
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-hardening-").FullName;
    private readonly ITestOutputHelper _output;

    public SafeTensorsHardeningTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string header, int dataBytes)
    {
        var utf8 = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + utf8.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)utf8.Length);
        utf8.CopyTo(bytes, 8);
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // A lone surrogate escape (\ud800 with no low surrogate after it, or \udc00 alone) is valid JSON syntax but no
    // valid string: System.Text.Json's GetString throws InvalidOperationException on it.
    [Theory]
    [InlineData("""{"w\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "tensor name")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"\udc00x":1}}""", "field name of tensor 'w'")]
    [InlineData("""{"w":{"dt\ud800ype":"F32","shape":[1],"data_offsets":[0,4]}}""", "field name of tensor 'w'")]
    [InlineData("""{"w":{"dtype":"F3\ud800","shape":[1],"data_offsets":[0,4]}}""", "dtype of tensor 'w'")]
    [InlineData("""{"__metadata__":{"\ud800":"x"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "__metadata__ key")]
    [InlineData("""{"__metadata__":{"format":"p\udfff"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "__metadata__['format']")]
    [InlineData("""{"__metad\ud800ata__":{},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "tensor name")]
    public void LoneSurrogateEscape_IsAFormatError_InEveryPosition(string header, string where)
    {
        string path = Write(header, 4);
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.Contains($"{where} holds an invalid escape (a lone UTF-16 surrogate)", error.Message, StringComparison.Ordinal);

        ParameterInfo[] layout = [new("w", 0, [1])];
        Assert.Throws<SafeTensorsFormatException>(() => ParameterFile.Load(path, layout, new float[1]));
        Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(path, layout, new float[1], nameof(Sgd), new float[1]));
    }

    [Fact]
    public void ValidSurrogatePairEscape_IsAccepted()
    {
        // U+1F600 as an escaped pair is a valid name: the check rejects lone surrogates only.
        using var file = SafeTensorsFile.Open(Write("""{"w\ud83d\ude00":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4));
        Assert.Equal("w\U0001F600", file.Tensors[0].Name);
    }

    /// <summary>The bytes <see cref="SafeTensorsFile.Open"/> allocates on this thread for <paramref name="path"/>, after one warm-up call.</summary>
    private static long OpenAllocation(string path)
    {
        SafeTensorsFile.Open(path).Dispose();
        long before = Allocations.CountedBytes();
        SafeTensorsFile.Open(path).Dispose();
        return Allocations.CountedBytes() - before;
    }

    [Theory]
    [InlineData(20_000, "U8", "[0]", 0)]
    [InlineData(20_000, "F32", "[]", 4)]
    [InlineData(100_000, "U8", "[0]", 0)]
    public void Open_ManySmallTensors_AllocatesAtMostFourTimesTheFileSize(int count, string dtype, string shape, int bytesEach)
    {
        var header = new StringBuilder("{");
        for (int i = 0; i < count; i++)
        {
            header.Append(i == 0 ? "" : ",").Append('"').Append(i).Append("\":{\"dtype\":\"").Append(dtype).Append("\",\"shape\":").Append(shape)
                .Append(",\"data_offsets\":[").Append(i * bytesEach).Append(',').Append((i + 1) * bytesEach).Append("]}");
        }

        string path = Write(header.Append('}').ToString(), count * bytesEach);
        long fileLength = new FileInfo(path).Length;
        long allocated = OpenAllocation(path);
        _output.WriteLine($"{count} tensors, file {fileLength} bytes: Open allocated {allocated} bytes ({(double)allocated / fileLength:F2}x)");
        Assert.True(allocated <= (4 * fileLength) + MiB, $"Open allocated {allocated} bytes for a file of {fileLength}.");
    }

    [Fact]
    public void Open_ManyMetadataEntries_AllocatesAtMostFourTimesTheFileSize()
    {
        // Tiny entries: as strings in a dictionary they would cost about 13x their text.
        var header = new StringBuilder("{\"__metadata__\":{");
        for (int i = 0; i < 200_000; i++)
        {
            header.Append(i == 0 ? "" : ",").Append('"').Append(i).Append("\":\"v\"");
        }

        string path = Write(header.Append("}}").ToString(), 0);
        long fileLength = new FileInfo(path).Length;
        long allocated = OpenAllocation(path);
        _output.WriteLine($"200,000 metadata entries, file {fileLength} bytes: Open allocated {allocated} bytes ({(double)allocated / fileLength:F2}x)");
        Assert.True(allocated <= (4 * fileLength) + MiB, $"Open allocated {allocated} bytes for a file of {fileLength}.");
    }

    [Fact]
    public void Metadata_KeepsHeaderOrder_UnescapesAndLooksUpOrdinally()
    {
        using var file = SafeTensorsFile.Open(Write("""{"__metadata__":{"b":"2","a\n":"\u00e9\ud83d\ude00","A":"","":"empty key"}}""", 0));
        var metadata = file.Metadata;
        Assert.Equal(4, metadata.Count);
        Assert.Equal(["b", "a\n", "A", ""], metadata.Keys);
        Assert.Equal(["2", "\u00e9\U0001F600", "", "empty key"], metadata.Values);
        Assert.Equal("\u00e9\U0001F600", metadata["a\n"]);
        Assert.Equal("empty key", metadata[""]);
        Assert.True(metadata.ContainsKey("A"));
        Assert.False(metadata.ContainsKey("a"));
        Assert.False(metadata.TryGetValue("B", out _));
        Assert.Throws<KeyNotFoundException>(() => metadata["c"]);
        Assert.Equal(new KeyValuePair<string, string>("b", "2"), metadata.First());
    }

    [Theory]
    [InlineData("""{"__metadata__":{"k":"1","j":"2","k":"3"}}""", "__metadata__ has the key 'k' twice")]
    [InlineData("""{"__metadata__":{"k":"1","\u006b":"3"}}""", "__metadata__ has the key 'k' twice")]
    [InlineData("""{"__metadata__":{"k":"1"},"__metadata__":{}}""", "the header has the key '__metadata__' twice")]
    public void Metadata_DuplicateKey_IsRejected(string header, string expected) =>
        Assert.Contains(expected, Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(Write(header, 0)).Dispose()).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("f", "at byte 5, 'f,\"0\"' is not true, false or null")]
    [InlineData("tru", "at byte 5, 'tru,' is not true, false or null")]
    [InlineData("nul", "at byte 5, 'nul,' is not true, false or null")]
    public void BrokenLiteral_IsRejected_WithoutQuotingTheRestOfTheHeader(string literal, string expected)
    {
        // System.Text.Json's own message for a broken literal quotes everything after it: about 6x the rest of the header.
        var header = new StringBuilder("{\"a\":").Append(literal);
        for (int i = 0; i < 20_000; i++)
        {
            header.Append(",\"").Append(i).Append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }

        string path = Write(header.Append('}').ToString(), 0);
        Assert.Contains(expected, Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path).Dispose()).Message, StringComparison.Ordinal);
        long fileLength = new FileInfo(path).Length;
        long before = Allocations.CountedBytes();
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path).Dispose());
        long allocated = Allocations.CountedBytes() - before;
        _output.WriteLine($"broken literal '{literal}', file {fileLength} bytes: Open allocated {allocated} bytes ({(double)allocated / fileLength:F2}x)");
        Assert.True(allocated <= (4 * fileLength) + MiB, $"Open allocated {allocated} bytes for a file of {fileLength}.");
    }

    [Theory]
    [InlineData("""{"w":null}""", "tensor 'w' must be an object with dtype, shape and data_offsets; found Null")]
    [InlineData("""{"__metadata__":{"k":true}}""", "__metadata__['k'] must be a string; found True")]
    [InlineData("""{"w":{"dtype":false}}""", "tensor 'w': dtype must be a string")]
    [InlineData("""{"w\"true":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"fnt":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"x":nul}""", "at byte 117, 'nul}' is not true, false or null")]
    public void Literals_AreCheckedOnlyOutsideStrings(string header, string expected) =>
        Assert.Contains(expected, Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(Write(header, 0)).Dispose()).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("F32", 4)]
    [InlineData("F16", 2)]
    [InlineData("BF16", 2)]
    [InlineData("F64", 8)]
    public void Read_ManySmallTensors_AllocatesInProportionToTheirSize(string dtype, int size)
    {
        const int Count = 2000;
        var header = new StringBuilder("{");
        for (int i = 0; i < Count; i++)
        {
            header.Append(i == 0 ? "" : ",").Append("\"s").Append(i).Append("\":{\"dtype\":\"").Append(dtype)
                .Append("\",\"shape\":[],\"data_offsets\":[").Append(i * size).Append(',').Append((i + 1) * size).Append("]}");
        }

        using var file = SafeTensorsFile.Open(Write(header.Append('}').ToString(), Count * size));
        string[] names = file.Tensors.Select(t => t.Name).ToArray();
        var destination = new float[1];
        file.Read(names[0], destination);
        long before = Allocations.CountedBytes();
        foreach (string name in names)
        {
            file.Read(name, destination);
        }

        long allocated = Allocations.CountedBytes() - before;
        _output.WriteLine($"{Count} {dtype} scalars: Read allocated {allocated} bytes");
        // The tensors hold Count * size bytes; allow that much again plus a fixed 64 KiB, far below one 128 KiB buffer per call.
        Assert.True(allocated <= (Count * size) + (64 << 10), $"Reading {Count} {dtype} scalars allocated {allocated} bytes.");
    }
}
