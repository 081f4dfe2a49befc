using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using ModelDsl.IO;

namespace ModelDsl.Tests.IO;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Craft(byte[] header, int dataBytes, ulong? declaredLength = null, string name = "crafted.safetensors")
    {
        string path = Path.Combine(_folder, name);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Craft(string header, int dataBytes, ulong? declaredLength = null) =>
        Craft(Encoding.UTF8.GetBytes(header), dataBytes, declaredLength);

    private static string Rejection(string path)
    {
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path).Dispose());
        return error.Message;
    }

    private const string OneTensor = """{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""";

    [Fact]
    public void Valid_CraftedFile_Opens()
    {
        using var file = SafeTensorsFile.Open(Craft(OneTensor, 24));
        Assert.Equal([2L, 3L], file["w"].Shape);
        Assert.Equal(6, file["w"].ElementCount);
    }

    [Fact]
    public void ShorterThanEightBytes_IsRejected()
    {
        string path = Path.Combine(_folder, "short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("has 3 bytes; a safetensors file has at least 8", Rejection(path), StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderLengthOverLimit_IsRejected() =>
        Assert.Contains("exceeds the limit of 100000000", Rejection(Craft(OneTensor, 24, declaredLength: 100_000_001)), StringComparison.Ordinal);

    [Theory]
    [InlineData(1000UL)]
    [InlineData(99_999_999UL)]
    public void HeaderLengthPastEndOfFile_IsRejected(ulong declared) =>
        Assert.Contains("runs past the end of the file", Rejection(Craft(OneTensor, 24, declared)), StringComparison.Ordinal);

    [Fact]
    public void HeaderLengthThatWouldOverflow_IsRejected() =>
        Assert.Contains("exceeds the limit", Rejection(Craft(OneTensor, 24, ulong.MaxValue)), StringComparison.Ordinal);

    [Fact]
    public void InvalidUtf8_IsRejected()
    {
        // A tensor named "w?" where ? is the byte 0xFF, which never occurs in UTF-8.
        var header = Encoding.UTF8.GetBytes("""{"w?":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""");
        header[Array.IndexOf(header, (byte)'?')] = 0xFF;
        Assert.Contains("not valid UTF-8", Rejection(Craft(header, 0)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"w\":", "not valid JSON")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}} {}", "not valid JSON")]
    [InlineData("nonsense", "not valid JSON")]
    public void NotAJsonObject_IsRejected(string header, string expected) =>
        Assert.Contains(expected, Rejection(Craft(header, 0)), StringComparison.Ordinal);

    [Fact]
    public void DuplicateTensorName_IsRejected() =>
        Assert.Contains("the key 'w' twice", Rejection(Craft(
            """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8)),
            StringComparison.Ordinal);

    [Fact]
    public void DuplicateField_IsRejected() =>
        Assert.Contains("the field 'dtype' twice", Rejection(Craft(
            """{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}""", 4)), StringComparison.Ordinal);

    [Fact]
    public void MetadataWithNonStringValue_IsRejected() =>
        Assert.Contains("__metadata__['epochs'] must be a string", Rejection(Craft(
            """{"__metadata__":{"epochs":3},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4)), StringComparison.Ordinal);

    [Fact]
    public void MetadataThatIsNotAnObject_IsRejected() =>
        Assert.Contains("__metadata__ must be an object", Rejection(Craft("""{"__metadata__":"x"}""", 0)), StringComparison.Ordinal);

    [Fact]
    public void UnknownDType_IsRejected() =>
        Assert.Contains("unknown dtype 'F128'", Rejection(Craft("""{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}""", 16)), StringComparison.Ordinal);

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "shape must hold non-negative integers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "shape must hold non-negative integers")]
    [InlineData("""{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}""", "shape must be an array")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", "data_offsets must hold two integers")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", "end before they begin")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1]}}""", "has no data_offsets")]
    [InlineData("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "has no dtype")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}""", "unknown field 'extra'")]
    [InlineData("""{"w":[1,2]}""", "must be an object with dtype")]
    public void MalformedTensorEntry_IsRejected(string header, string expected) =>
        Assert.Contains(expected, Rejection(Craft(header, 4)), StringComparison.Ordinal);

    [Fact]
    public void ByteLengthNotMatchingShape_IsRejected() =>
        Assert.Contains("span 20 bytes, but F32 [2, 3] needs 24", Rejection(Craft(
            """{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}""", 20)), StringComparison.Ordinal);

    [Fact]
    public void ShapeOverflowingByteCount_IsRejected() =>
        Assert.Contains("overflows a 64-bit byte count", Rejection(Craft(
            """{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8)), StringComparison.Ordinal);

    [Fact]
    public void GapBetweenTensors_IsRejected() =>
        Assert.Contains("gap of 4 bytes before tensor 'b'", Rejection(Craft(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12)),
            StringComparison.Ordinal);

    [Fact]
    public void FirstTensorNotAtZero_IsRejected() =>
        Assert.Contains("gap of 4 bytes before tensor 'a'", Rejection(Craft(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8)), StringComparison.Ordinal);

    [Fact]
    public void OverlappingTensors_AreRejected() =>
        Assert.Contains("overlaps the previous tensor", Rejection(Craft(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8)),
            StringComparison.Ordinal);

    [Fact]
    public void BytesAfterTheLastTensor_AreRejected() =>
        Assert.Contains("4 bytes after the last tensor", Rejection(Craft(OneTensor, 28)), StringComparison.Ordinal);

    [Fact]
    public void DataShorterThanTheTensors_IsRejected() =>
        Assert.Contains("need 24 bytes of data but the file holds only 16", Rejection(Craft(OneTensor, 16)), StringComparison.Ordinal);

    [Fact]
    public void RoundTrip_PreservesNamesShapesValuesAndMetadata()
    {
        string path = Path.Combine(_folder, "model.safetensors");
        float[] weight = [1.5f, -2f, float.MaxValue, float.Epsilon, 0f, -0f];
        float[] bias = [3.25f];
        SafeTensorsWriter.Write(path,
            [new NamedTensor("encoder.weight", [2, 3], weight), new NamedTensor("encoder.bias", [1], bias), new NamedTensor("empty", [0, 4], Array.Empty<float>())],
            new Dictionary<string, string> { ["format"] = "pt", ["step"] = "12" });

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(0, file.DataStart % 8);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("12", file.Metadata["step"]);
        Assert.Equal([2L, 3L], file["encoder.weight"].Shape);
        Assert.Equal(weight, file.ReadArray("encoder.weight"));
        Assert.Equal(bias, file.ReadArray("encoder.bias"));
        Assert.Empty(file.ReadArray("empty"));
    }

    [Fact]
    public void HalfAndBFloat16_AreWidenedToFloat()
    {
        // F16 1.0 = 0x3C00, -2.0 = 0xC000; BF16 is the top half of a float: 1.0f = 0x3F80, 0.5f = 0x3F00.
        var header = Encoding.UTF8.GetBytes("""{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}""");
        string path = Craft(header, 8);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.Position = 8 + header.Length;
            stream.Write([0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x00, 0x3F]);
        }

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal([1f, -2f], file.ReadArray("h"));
        Assert.Equal([1f, 0.5f], file.ReadArray("b"));
    }

    [Fact]
    public void Read_IntoWrongSizedDestination_NamesTheTensor()
    {
        using var file = SafeTensorsFile.Open(Craft(OneTensor, 24));
        var error = Assert.Throws<ArgumentException>(() => file.Read("w", new float[5]));
        Assert.Contains("tensor 'w' has 6 elements (shape [2, 3]); the destination holds 5", error.Message, StringComparison.Ordinal);
        Assert.Contains("no tensor named 'v'", Assert.Throws<KeyNotFoundException>(() => file["v"]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_IntegerTensorAsFloat_IsRefused()
    {
        using var file = SafeTensorsFile.Open(Craft("""{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", 8));
        Assert.Contains("dtype I64", Assert.Throws<NotSupportedException>(() => file.Read("ids", new float[1])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ReplacesAnExistingFileAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_folder, "weights.safetensors");
        SafeTensorsWriter.Write(path, [new NamedTensor("a", [1], new[] { 1f })]);
        SafeTensorsWriter.Write(path, [new NamedTensor("a", [2], new[] { 2f, 3f })]);
        using (var file = SafeTensorsFile.Open(path))
        {
            Assert.Equal([2f, 3f], file.ReadArray("a"));
        }

        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Write_WithBadInput_KeepsTheOldFileIntact()
    {
        string path = Path.Combine(_folder, "weights.safetensors");
        SafeTensorsWriter.Write(path, [new NamedTensor("a", [1], new[] { 7f })]);
        var error = Assert.Throws<ArgumentException>(() =>
            SafeTensorsWriter.Write(path, [new NamedTensor("a", [2, 2], new[] { 1f, 2f, 3f })]));
        Assert.Contains("shape [2, 2] (4 elements) but 3 values", error.Message, StringComparison.Ordinal);
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal([7f], file.ReadArray("a"));
        Assert.Single(Directory.GetFiles(_folder));
    }
}

public sealed class ParameterFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-parameters-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly ParameterInfo[] Model =
    [
        new("encoder.weight", 0, [2, 3]),
        new("encoder.bias", 16, [2]),
    ];

    [Fact]
    public void SaveThenLoad_RestoresEveryParameter()
    {
        string path = Path.Combine(_folder, "model.safetensors");
        var block = new float[18];
        for (int i = 0; i < block.Length; i++)
        {
            block[i] = i * 0.5f;
        }

        ParameterFile.Save(path, Model, block);
        var loaded = new float[18];
        ParameterFile.Load(path, Model, loaded);
        Assert.Equal(block[..6], loaded[..6]);
        Assert.Equal(block[16..18], loaded[16..18]);
        Assert.Equal(0f, loaded[10]);
    }

    [Fact]
    public void Load_MismatchedFile_ListsEveryDifferenceAndLeavesTheBlockUntouched()
    {
        string path = Path.Combine(_folder, "other.safetensors");
        SafeTensorsWriter.Write(path,
        [
            new NamedTensor("encoder.weight", [3, 2], new float[6]),
            new NamedTensor("decoder.bias", [4], new float[4]),
        ]);
        var block = new float[18];
        Array.Fill(block, 42f);
        var error = Assert.Throws<InvalidOperationException>(() => ParameterFile.Load(path, Model, block));
        Assert.Contains("shape: encoder.weight is [3, 2] in the file, [2, 3] in the model", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing: encoder.bias [2]", error.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected: decoder.bias [4]", error.Message, StringComparison.Ordinal);
        Assert.All(block, v => Assert.Equal(42f, v));
    }
}

public sealed class SafeTensorsIntegerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-integers-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ReadIntegers_DecodesI64AndBool_AndRejectsABoolThatIsNotZeroOrOne()
    {
        var header = Encoding.UTF8.GetBytes("""{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"m":{"dtype":"BOOL","shape":[3],"data_offsets":[16,19]}}""");
        string path = Path.Combine(_folder, "ints.safetensors");
        var bytes = new byte[8 + header.Length + 19];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        int data = 8 + header.Length;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(data), -3);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(data + 8), 1L << 40);
        bytes[data + 16] = 1;
        bytes[data + 18] = 2;
        File.WriteAllBytes(path, bytes);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal([-3L, 1L << 40], file.ReadIntegers("ids"));
        var error = Assert.Throws<SafeTensorsFormatException>(() => file.ReadIntegers("m"));
        Assert.Contains("element 2 is 2", error.Message, StringComparison.Ordinal);
    }
}
