using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Win32.SafeHandles;

namespace ModelDsl.IO;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor's name, e.g. <c>encoder.layers.0.self_attn.in_proj_weight</c>.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions; empty for a scalar.</param>
/// <param name="Begin">First byte, relative to the start of the data section.</param>
/// <param name="End">One past the last byte, relative to the start of the data section.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorsDType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/>.</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long dim in Shape)
            {
                count *= dim;
            }

            return count;
        }
    }

    /// <summary>The shape as <c>[a, b, c]</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    internal static string FormatShape(IEnumerable<long> shape) =>
        "[" + string.Join(", ", shape) + "]";
}

/// <summary>
/// Reads a safetensors file (https://github.com/huggingface/safetensors format): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON describing every tensor, then the raw data. <see cref="Open"/>
/// checks every rule of the format against the header and the file length before any tensor data is
/// read, and never trusts an offset:
/// the file is at least 8 bytes; N ≤ 100 MB and 8 + N ≤ file length; the header is valid UTF-8 and one
/// JSON object with no duplicate keys; <c>__metadata__</c>, if present, maps strings to strings; every
/// tensor has exactly <c>dtype</c> (a known name), <c>shape</c> (non-negative integers) and
/// <c>data_offsets</c> (two integers, begin ≤ end); byte length = product(shape) · dtype size, with
/// overflow checks; the offsets, in order, start at 0 and tile the data section with no gap and no
/// overlap; and the file ends exactly at the last tensor's end.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>Largest header accepted, as in the reference implementation.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensorsFile(SafeFileHandle handle, string path, long dataStart, List<SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        _handle = handle;
        Path = path;
        DataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        _byName = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            _byName.Add(tensor.Name, tensor);
        }
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Byte offset of the data section in the file (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Tensors in data order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    public SafeTensorInfo this[string name] =>
        _byName.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'.");

    /// <summary>Looks up a tensor by name.</summary>
    public bool TryGet(string name, out SafeTensorInfo info) => _byName.TryGetValue(name, out info!);

    /// <summary>Opens <paramref name="path"/> and validates its header against the file length.</summary>
    /// <exception cref="SafeTensorsFormatException">The file breaks a rule of the format.</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            if (fileLength < 8)
            {
                throw new SafeTensorsFormatException($"{path}: the file has {fileLength} bytes; a safetensors file has at least 8 (the header length).");
            }

            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(handle, prefix, 0);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaxHeaderLength)
            {
                throw new SafeTensorsFormatException($"{path}: the header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes.");
            }

            if ((long)headerLength > fileLength - 8)
            {
                throw new SafeTensorsFormatException($"{path}: the header length {headerLength} runs past the end of the file ({fileLength} bytes, {fileLength - 8} after the length prefix).");
            }

            var header = new byte[headerLength];
            ReadExactly(handle, header, 8);
            var (tensors, metadata) = ParseHeader(header, fileLength - 8 - (long)headerLength, path);
            return new SafeTensorsFile(handle, path, 8 + (long)headerLength, tensors, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Parses and validates a header. <paramref name="dataLength"/> is the number of bytes after the header:
    /// the tensors must tile exactly that many.
    /// </summary>
    internal static (List<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) ParseHeader(
        ReadOnlySpan<byte> header, long dataLength, string source)
    {
        if (!Utf8.IsValid(header))
        {
            throw new SafeTensorsFormatException($"{source}: the header is not valid UTF-8.");
        }

        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new SafeTensorsFormatException($"{source}: the header is not a JSON object.");
            }

            while (Next(ref reader, source) != JsonTokenType.EndObject)
            {
                string key = reader.GetString()!;
                if (!keys.Add(key))
                {
                    throw new SafeTensorsFormatException($"{source}: the header has the key '{key}' twice.");
                }

                Next(ref reader, source);
                if (key == "__metadata__")
                {
                    ReadMetadata(ref reader, metadata, source);
                }
                else
                {
                    tensors.Add(ReadTensor(ref reader, key, source));
                }
            }

            if (reader.Read())
            {
                throw new SafeTensorsFormatException($"{source}: the header has content after its closing brace.");
            }
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException($"{source}: the header is not valid JSON ({e.Message}).", e);
        }

        CheckOffsets(tensors, dataLength, source);
        return (tensors, metadata);
    }

    /// <summary>
    /// Reads tensor <paramref name="name"/> into <paramref name="destination"/>, converting F16 and BF16
    /// (and F64) to float. The destination must hold exactly the tensor's element count.
    /// </summary>
    public void Read(string name, Span<float> destination)
    {
        var info = this[name];
        if (destination.Length != info.ElementCount)
        {
            throw new ArgumentException(
                $"{Path}: tensor '{name}' has {info.ElementCount} elements (shape {info.ShapeText}); the destination holds {destination.Length}.",
                nameof(destination));
        }

        if (info.DType is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64))
        {
            throw new NotSupportedException($"{Path}: tensor '{name}' has dtype {SafeTensorsDTypes.Name(info.DType)}; floats are read from F32, F16, BF16 and F64 only.");
        }

        int size = SafeTensorsDTypes.Size(info.DType);
        const int ChunkElements = 16384;
        var buffer = new byte[ChunkElements * 8];
        long position = DataStart + info.Begin;
        for (int done = 0; done < destination.Length;)
        {
            int count = Math.Min(ChunkElements, destination.Length - done);
            var bytes = buffer.AsSpan(0, count * size);
            ReadExactly(_handle, bytes, position);
            position += bytes.Length;
            var target = destination.Slice(done, count);
            for (int i = 0; i < count; i++)
            {
                target[i] = info.DType switch
                {
                    SafeTensorsDType.F32 => BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]),
                    SafeTensorsDType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]),
                    SafeTensorsDType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) << 16),
                    _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]),
                };
            }

            done += count;
        }
    }

    /// <summary>
    /// Reads an integer or boolean tensor (I64, I32, I16, I8, U8, BOOL) into a new array of longs,
    /// e.g. token ids or sequence lengths.
    /// </summary>
    public long[] ReadIntegers(string name)
    {
        var info = this[name];
        if (info.DType is not (SafeTensorsDType.I64 or SafeTensorsDType.I32 or SafeTensorsDType.I16 or SafeTensorsDType.I8
            or SafeTensorsDType.U8 or SafeTensorsDType.Bool))
        {
            throw new NotSupportedException($"{Path}: tensor '{name}' has dtype {SafeTensorsDTypes.Name(info.DType)}; integers are read from I64, I32, I16, I8, U8 and BOOL only.");
        }

        int size = SafeTensorsDTypes.Size(info.DType);
        var bytes = new byte[checked((int)(info.End - info.Begin))];
        ReadExactly(_handle, bytes, DataStart + info.Begin);
        var values = new long[bytes.Length / size];
        for (int i = 0; i < values.Length; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            values[i] = info.DType switch
            {
                SafeTensorsDType.I64 => BinaryPrimitives.ReadInt64LittleEndian(span),
                SafeTensorsDType.I32 => BinaryPrimitives.ReadInt32LittleEndian(span),
                SafeTensorsDType.I16 => BinaryPrimitives.ReadInt16LittleEndian(span),
                SafeTensorsDType.I8 => (sbyte)span[0],
                SafeTensorsDType.Bool when span[0] > 1 => throw new SafeTensorsFormatException($"{Path}: tensor '{name}' is BOOL but element {i} is {span[0]}."),
                _ => span[0],
            };
        }

        return values;
    }

    /// <summary>Reads tensor <paramref name="name"/> into a new array.</summary>
    public float[] ReadArray(string name)
    {
        var info = this[name];
        var values = new float[checked((int)info.ElementCount)];
        Read(name, values);
        return values;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    private static JsonTokenType Next(ref Utf8JsonReader reader, string source)
    {
        if (!reader.Read())
        {
            throw new SafeTensorsFormatException($"{source}: the header ends in the middle of the JSON.");
        }

        return reader.TokenType;
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string source)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafeTensorsFormatException($"{source}: __metadata__ must be an object of strings; found {reader.TokenType}.");
        }

        while (Next(ref reader, source) != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            if (Next(ref reader, source) != JsonTokenType.String)
            {
                throw new SafeTensorsFormatException($"{source}: __metadata__['{key}'] must be a string; found {reader.TokenType}.");
            }

            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw new SafeTensorsFormatException($"{source}: __metadata__ has the key '{key}' twice.");
            }
        }
    }

    private static SafeTensorInfo ReadTensor(ref Utf8JsonReader reader, string name, string source)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafeTensorsFormatException($"{source}: tensor '{name}' must be an object with dtype, shape and data_offsets; found {reader.TokenType}.");
        }

        SafeTensorsDType? dtype = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        while (Next(ref reader, source) != JsonTokenType.EndObject)
        {
            string field = reader.GetString()!;
            Next(ref reader, source);
            switch (field)
            {
                case "dtype" when dtype is null:
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw new SafeTensorsFormatException($"{source}: tensor '{name}': dtype must be a string.");
                    }

                    string dtypeName = reader.GetString()!;
                    dtype = SafeTensorsDTypes.TryParse(dtypeName, out var parsed)
                        ? parsed
                        : throw new SafeTensorsFormatException($"{source}: tensor '{name}' has the unknown dtype '{dtypeName}'.");
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(ref reader, name, field, source);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(ref reader, name, field, source);
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw new SafeTensorsFormatException($"{source}: tensor '{name}' has the field '{field}' twice.");
                default:
                    throw new SafeTensorsFormatException($"{source}: tensor '{name}' has the unknown field '{field}'.");
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw new SafeTensorsFormatException($"{source}: tensor '{name}' has no {missing}.");
        }

        if (offsets.Count != 2)
        {
            throw new SafeTensorsFormatException($"{source}: tensor '{name}': data_offsets must hold two integers [begin, end]; it holds {offsets.Count}.");
        }

        long begin = offsets[0], end = offsets[1];
        if (begin > end)
        {
            throw new SafeTensorsFormatException($"{source}: tensor '{name}': data_offsets [{begin}, {end}] end before they begin.");
        }

        long bytes = SafeTensorsDTypes.Size(dtype.Value);
        foreach (long dim in shape)
        {
            try
            {
                bytes = checked(bytes * dim);
            }
            catch (OverflowException)
            {
                throw new SafeTensorsFormatException($"{source}: tensor '{name}': shape {SafeTensorInfo.FormatShape(shape)} overflows a 64-bit byte count.");
            }
        }

        if (end - begin != bytes)
        {
            throw new SafeTensorsFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: tensor '{name}': data_offsets [{begin}, {end}] span {end - begin} bytes, but {SafeTensorsDTypes.Name(dtype.Value)} {SafeTensorInfo.FormatShape(shape)} needs {bytes}."));
        }

        return new SafeTensorInfo(name, dtype.Value, [.. shape], begin, end);
    }

    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string name, string field, string source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new SafeTensorsFormatException($"{source}: tensor '{name}': {field} must be an array of non-negative integers.");
        }

        var values = new List<long>();
        while (Next(ref reader, source) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0)
            {
                throw new SafeTensorsFormatException($"{source}: tensor '{name}': {field} must hold non-negative integers; found '{Encoding.UTF8.GetString(reader.ValueSpan)}'.");
            }

            values.Add(value);
        }

        return values;
    }

    private static void CheckOffsets(List<SafeTensorInfo> tensors, long dataLength, string source)
    {
        tensors.Sort(static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var tensor in tensors)
        {
            if (tensor.Begin < expected)
            {
                throw new SafeTensorsFormatException($"{source}: tensor '{tensor.Name}' at [{tensor.Begin}, {tensor.End}) overlaps the previous tensor, which ends at {expected}.");
            }

            if (tensor.Begin > expected)
            {
                throw new SafeTensorsFormatException($"{source}: there is a gap of {tensor.Begin - expected} bytes before tensor '{tensor.Name}' (it begins at {tensor.Begin}, the previous data ends at {expected}).");
            }

            expected = tensor.End;
        }

        if (expected != dataLength)
        {
            throw new SafeTensorsFormatException(expected < dataLength
                ? $"{source}: the file has {dataLength - expected} bytes after the last tensor (data ends at {expected}, the data section holds {dataLength})."
                : $"{source}: the tensors need {expected} bytes of data but the file holds only {dataLength}.");
        }
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            int read = RandomAccess.Read(handle, buffer, offset);
            if (read == 0)
            {
                throw new SafeTensorsFormatException($"Unexpected end of file at byte {offset}.");
            }

            buffer = buffer[read..];
            offset += read;
        }
    }
}
