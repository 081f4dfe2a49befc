using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
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
/// JSON object with no duplicate keys, whose strings hold no lone UTF-16 surrogate escape (<c>"\ud800"</c>);
/// <c>__metadata__</c>, if present, maps strings to strings; every
/// tensor has exactly <c>dtype</c> (a known name), <c>shape</c> (non-negative integers) and
/// <c>data_offsets</c> (two integers, begin ≤ end); byte length = product(shape) · dtype size, with
/// overflow checks; the offsets, in order, start at 0 and tile the data section with no gap and no
/// overlap; and the file ends exactly at the last tensor's end. Every violation, and every file that
/// changes under the reader, gives a <see cref="SafeTensorsFormatException"/>.
/// </summary>
/// <remarks>
/// Memory: <see cref="Open"/> reads the header into one array (the file's header bytes), walks it twice (once to count
/// the tensors, once to read them into arrays of exactly that size) and allocates per tensor only its name, its
/// <see cref="SafeTensorInfo"/> and its shape; field names and dtypes are compared in place. <see cref="Read"/> reads an
/// F32 tensor straight into the destination and converts the other float types through a buffer sized to the tensor
/// (on the stack up to 1 KiB, rented from the shared pool above, at most 64 KiB).
/// </remarks>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>Largest header accepted, as in the reference implementation.</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Bytes converted per chunk by <see cref="Read"/> and <see cref="ReadIntegers"/>.</summary>
    private const int ChunkBytes = 64 << 10;

    /// <summary>Chunks up to this size live on the stack.</summary>
    private const int StackChunkBytes = 1024;

    /// <summary>Longest name or value quoted whole in an error message.</summary>
    private const int MaxShownLength = 200;

    private const string InvalidEscape = "holds an invalid escape (a lone UTF-16 surrogate)";

    private readonly SafeFileHandle _handle;

    /// <summary>The tensors sorted by name (ordinal), for binary search.</summary>
    private readonly SafeTensorInfo[] _byName;

    private SafeTensorsFile(SafeFileHandle handle, string path, long dataStart, Header header)
    {
        _handle = handle;
        Path = path;
        DataStart = dataStart;
        Tensors = Array.AsReadOnly(header.DataOrder);
        Metadata = header.Metadata;
        _byName = header.ByName;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Byte offset of the data section in the file (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Tensors in data order (zero-size tensors at the same offset in name order).</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    public SafeTensorInfo this[string name] =>
        TryGet(name, out var info)
            ? info
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'.");

    /// <summary>Looks up a tensor by name.</summary>
    public bool TryGet(string name, out SafeTensorInfo info)
    {
        ArgumentNullException.ThrowIfNull(name);
        int low = 0, high = _byName.Length - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) >> 1);
            int order = string.CompareOrdinal(_byName[middle].Name, name);
            if (order == 0)
            {
                info = _byName[middle];
                return true;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        info = null!;
        return false;
    }

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
            ReadExactly(handle, prefix, 0, path);
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
            ReadExactly(handle, header, 8, path);
            var parsed = ParseHeader(header, fileLength - 8 - (long)headerLength, path);
            return new SafeTensorsFile(handle, path, 8 + (long)headerLength, parsed);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A validated header: the tensors in data order and in name order, and the metadata.</summary>
    internal sealed record Header(SafeTensorInfo[] DataOrder, SafeTensorInfo[] ByName, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>
    /// Parses and validates a header. <paramref name="dataLength"/> is the number of bytes after the header:
    /// the tensors must tile exactly that many.
    /// </summary>
    internal static Header ParseHeader(ReadOnlySpan<byte> header, long dataLength, string source)
    {
        if (!Utf8.IsValid(header))
        {
            throw new SafeTensorsFormatException($"{source}: the header is not valid UTF-8.");
        }

        CheckLiterals(header, source);
        var options = new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 };
        SafeTensorInfo[] tensors;
        IReadOnlyDictionary<string, string> metadata = ReadOnlyDictionary<string, string>.Empty;
        try
        {
            // First walk: the JSON is one object and nothing follows it; count its tensors so that the second walk
            // fills arrays of exactly the right size.
            var reader = new Utf8JsonReader(header, options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new SafeTensorsFormatException($"{source}: the header is not a JSON object.");
            }

            int count = 0;
            while (Next(ref reader, source) != JsonTokenType.EndObject)
            {
                if (!IsMetadataKey(ref reader, source))
                {
                    count++;
                }

                Next(ref reader, source);
                reader.Skip();
            }

            if (reader.Read())
            {
                throw new SafeTensorsFormatException($"{source}: the header has content after its closing brace.");
            }

            // Second walk: read and check every entry.
            tensors = count == 0 ? [] : new SafeTensorInfo[count];
            int filled = 0;
            bool sawMetadata = false;
            reader = new Utf8JsonReader(header, options);
            reader.Read();
            while (Next(ref reader, source) != JsonTokenType.EndObject)
            {
                if (IsMetadataKey(ref reader, source))
                {
                    if (sawMetadata)
                    {
                        throw new SafeTensorsFormatException($"{source}: the header has the key '__metadata__' twice.");
                    }

                    sawMetadata = true;
                    Next(ref reader, source);
                    metadata = ReadMetadata(ref reader, source);
                }
                else
                {
                    string name = ReadString(ref reader, StringRole.TensorName, null, source);
                    Next(ref reader, source);
                    tensors[filled++] = ReadTensor(ref reader, name, source);
                }
            }
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException($"{source}: the header is not valid JSON ({e.Message}).", e);
        }

        var byName = tensors.Length == 0 ? tensors : (SafeTensorInfo[])tensors.Clone();
        Array.Sort(byName, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (int i = 1; i < byName.Length; i++)
        {
            if (string.Equals(byName[i - 1].Name, byName[i].Name, StringComparison.Ordinal))
            {
                throw new SafeTensorsFormatException($"{source}: the header has the key '{Shown(byName[i].Name)}' twice.");
            }
        }

        CheckOffsets(tensors, dataLength, source);
        return new Header(tensors, byName, metadata);
    }

    /// <summary>
    /// Rejects a broken <c>true</c>, <c>false</c> or <c>null</c> outside the strings before System.Text.Json sees it: its
    /// message for one quotes the whole rest of the header (a 100 MB header would cost about 600 MB), other JSON errors
    /// quote one character. In valid JSON every <c>t</c>, <c>f</c> or <c>n</c> outside a string starts one of these
    /// literals, so no valid header is rejected here.
    /// </summary>
    private static void CheckLiterals(ReadOnlySpan<byte> header, string source)
    {
        bool inString = false;
        for (int i = 0; i < header.Length; i++)
        {
            byte b = header[i];
            if (inString)
            {
                if (b == (byte)'\\')
                {
                    i++;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (b == (byte)'"')
            {
                inString = true;
            }
            else if (b is (byte)'t' or (byte)'f' or (byte)'n')
            {
                var literal = b == (byte)'t' ? "true"u8 : b == (byte)'f' ? "false"u8 : "null"u8;
                if (!header[i..].StartsWith(literal))
                {
                    var shown = header.Slice(i, Math.Min(literal.Length, header.Length - i));
                    throw new SafeTensorsFormatException($"{source}: the header is not valid JSON (at byte {i}, '{Encoding.UTF8.GetString(shown)}' is not true, false or null).");
                }

                i += literal.Length - 1;
            }
        }
    }

    /// <summary>
    /// Reads tensor <paramref name="name"/> into <paramref name="destination"/>, converting F16 and BF16
    /// (and F64) to float. The destination must hold exactly the tensor's element count. Allocates nothing for
    /// F32 or a tensor of up to 1 KiB; above that, a pooled buffer of at most 64 KiB.
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

        long position = DataStart + info.Begin;
        if (info.DType == SafeTensorsDType.F32)
        {
            // Little-endian floats are the file's bytes: read them in place, at most 2^28 floats (1 GiB) per call so that
            // the byte count fits in an int.
            for (int done = 0; done < destination.Length;)
            {
                var target = destination.Slice(done, Math.Min(1 << 28, destination.Length - done));
                ReadExactly(_handle, MemoryMarshal.AsBytes(target), position, Path);
                position += 4L * target.Length;
                done += target.Length;
            }

            if (!BitConverter.IsLittleEndian)
            {
                var bits = MemoryMarshal.Cast<float, int>(destination);
                BinaryPrimitives.ReverseEndianness(bits, bits);
            }

            return;
        }

        int size = SafeTensorsDTypes.Size(info.DType);
        int chunkElements = (int)Math.Min(destination.Length, ChunkBytes / size);
        byte[]? rented = null;
        Span<byte> buffer = chunkElements * size <= StackChunkBytes
            ? stackalloc byte[StackChunkBytes]
            : (rented = ArrayPool<byte>.Shared.Rent(chunkElements * size));
        try
        {
            for (int done = 0; done < destination.Length;)
            {
                int count = Math.Min(chunkElements, destination.Length - done);
                var bytes = buffer[..(count * size)];
                ReadExactly(_handle, bytes, position, Path);
                position += bytes.Length;
                Widen(destination.Slice(done, count), bytes, info.DType);
                done += count;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
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
        var values = new long[checked((int)info.ElementCount)];
        int chunkElements = Math.Min(values.Length, ChunkBytes / size);
        byte[]? rented = null;
        Span<byte> buffer = chunkElements * size <= StackChunkBytes
            ? stackalloc byte[StackChunkBytes]
            : (rented = ArrayPool<byte>.Shared.Rent(chunkElements * size));
        try
        {
            long position = DataStart + info.Begin;
            for (int done = 0; done < values.Length;)
            {
                int count = Math.Min(chunkElements, values.Length - done);
                var bytes = buffer[..(count * size)];
                ReadExactly(_handle, bytes, position, Path);
                position += bytes.Length;
                for (int i = 0; i < count; i++)
                {
                    var span = bytes.Slice(i * size, size);
                    values[done + i] = info.DType switch
                    {
                        SafeTensorsDType.I64 => BinaryPrimitives.ReadInt64LittleEndian(span),
                        SafeTensorsDType.I32 => BinaryPrimitives.ReadInt32LittleEndian(span),
                        SafeTensorsDType.I16 => BinaryPrimitives.ReadInt16LittleEndian(span),
                        SafeTensorsDType.I8 => (sbyte)span[0],
                        SafeTensorsDType.Bool when span[0] > 1 => throw new SafeTensorsFormatException($"{Path}: tensor '{name}' is BOOL but element {done + i} is {span[0]}."),
                        _ => span[0],
                    };
                }

                done += count;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
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

    /// <summary>Converts little-endian F16, BF16 or F64 <paramref name="bytes"/> to floats.</summary>
    private static void Widen(Span<float> destination, ReadOnlySpan<byte> bytes, SafeTensorsDType dtype)
    {
        switch (dtype)
        {
            case SafeTensorsDType.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                }

                break;
            case SafeTensorsDType.BF16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) << 16);
                }

                break;
            default:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]);
                }

                break;
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader, string source)
    {
        if (!reader.Read())
        {
            throw new SafeTensorsFormatException($"{source}: the header ends in the middle of the JSON.");
        }

        return reader.TokenType;
    }

    /// <summary>Which string of the header is being read, for the message when it is not a valid string.</summary>
    private enum StringRole
    {
        TensorName,
        FieldName,
        DType,
        MetadataKey,
        MetadataValue,
    }

    /// <summary>
    /// The current string or property name. A lone surrogate escape (<c>\ud800</c> not followed by <c>\udc00</c>-<c>\udfff</c>)
    /// passes the JSON syntax check but is no valid string; System.Text.Json throws
    /// <see cref="InvalidOperationException"/> for it, which becomes a <see cref="SafeTensorsFormatException"/> here.
    /// </summary>
    /// <param name="reader">The reader, on a string or property name.</param>
    /// <param name="role">What the string is.</param>
    /// <param name="owner">The tensor (for a field or dtype) or metadata key (for a value) it belongs to.</param>
    /// <param name="source">The file, for the message.</param>
    private static string ReadString(ref Utf8JsonReader reader, StringRole role, string? owner, string source)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            string what = role switch
            {
                StringRole.TensorName => "a tensor name",
                StringRole.FieldName => $"a field name of tensor '{Shown(owner!)}'",
                StringRole.DType => $"the dtype of tensor '{Shown(owner!)}'",
                StringRole.MetadataKey => "a __metadata__ key",
                _ => $"__metadata__['{Shown(owner!)}']",
            };
            throw new SafeTensorsFormatException($"{source}: {what} {InvalidEscape}, at byte {reader.TokenStartIndex} of the header.", e);
        }
    }

    /// <summary>Whether the current property name is <c>__metadata__</c>, without allocating unless it is escaped.</summary>
    private static bool IsMetadataKey(ref Utf8JsonReader reader, string source) =>
        reader.ValueIsEscaped
            ? ReadString(ref reader, StringRole.TensorName, null, source) == "__metadata__"
            : reader.ValueSpan.SequenceEqual("__metadata__"u8);

    /// <summary>A name or value for a message: whole when short, else its start and its length.</summary>
    private static string Shown(string text) =>
        text.Length <= MaxShownLength ? text : string.Concat(text.AsSpan(0, MaxShownLength), $"... ({text.Length} characters)");

    /// <summary>
    /// Reads <c>__metadata__</c> into a <see cref="SafeTensorsMetadata"/>: a first walk on a copy of the reader counts the
    /// entries, checks that every value is a string and adds up the strings' lengths; the second unescapes every key and
    /// value into one character array of that size.
    /// </summary>
    private static IReadOnlyDictionary<string, string> ReadMetadata(ref Utf8JsonReader reader, string source)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafeTensorsFormatException($"{source}: __metadata__ must be an object of strings; found {reader.TokenType}.");
        }

        var probe = reader;
        int count = 0;
        long textLength = 0;
        while (Next(ref probe, source) != JsonTokenType.EndObject)
        {
            var key = probe;
            textLength += probe.ValueSpan.Length;
            if (Next(ref probe, source) != JsonTokenType.String)
            {
                throw new SafeTensorsFormatException($"{source}: __metadata__['{Shown(ReadString(ref key, StringRole.MetadataKey, null, source))}'] must be a string; found {probe.TokenType}.");
            }

            textLength += probe.ValueSpan.Length;
            count++;
        }

        // An escaped or UTF-8 string has at least as many bytes as UTF-16 characters, so the text fits.
        var text = new char[textLength];
        var bounds = new int[(2 * count) + 1];
        int length = 0;
        for (int entry = 0; entry < count; entry++)
        {
            Next(ref reader, source);
            bounds[2 * entry] = length;
            length += CopyString(ref reader, text.AsSpan(length), StringRole.MetadataKey, default, source);
            bounds[(2 * entry) + 1] = length;
            Next(ref reader, source);
            length += CopyString(ref reader, text.AsSpan(length), StringRole.MetadataValue, text.AsSpan(bounds[2 * entry], bounds[(2 * entry) + 1] - bounds[2 * entry]), source);
        }

        bounds[2 * count] = length;
        Next(ref reader, source);
        var metadata = new SafeTensorsMetadata(text, bounds);
        if (metadata.FindDuplicateKey() is { } duplicate)
        {
            throw new SafeTensorsFormatException($"{source}: __metadata__ has the key '{Shown(duplicate)}' twice.");
        }

        return metadata;
    }

    /// <summary>Unescapes the current string into <paramref name="destination"/>; returns its length. See <see cref="ReadString"/>.</summary>
    private static int CopyString(ref Utf8JsonReader reader, Span<char> destination, StringRole role, ReadOnlySpan<char> owner, string source)
    {
        try
        {
            return reader.CopyString(destination);
        }
        catch (InvalidOperationException)
        {
            // Reading it as a string gives the same error, with the message of ReadString.
            ReadString(ref reader, role, new string(owner), source);
            throw;
        }
    }

    private enum Field
    {
        Unknown,
        DType,
        Shape,
        DataOffsets,
    }

    private static SafeTensorInfo ReadTensor(ref Utf8JsonReader reader, string name, string source)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}' must be an object with dtype, shape and data_offsets; found {reader.TokenType}.");
        }

        SafeTensorsDType? dtype = null;
        long[]? shape = null;
        int offsetCount = -1;
        long begin = 0, end = 0;
        while (Next(ref reader, source) != JsonTokenType.EndObject)
        {
            string? escaped = reader.ValueIsEscaped ? ReadString(ref reader, StringRole.FieldName, name, source) : null;
            var field = escaped is not null
                ? escaped switch
                {
                    "dtype" => Field.DType,
                    "shape" => Field.Shape,
                    "data_offsets" => Field.DataOffsets,
                    _ => Field.Unknown,
                }
                : reader.ValueSpan.SequenceEqual("dtype"u8) ? Field.DType
                : reader.ValueSpan.SequenceEqual("shape"u8) ? Field.Shape
                : reader.ValueSpan.SequenceEqual("data_offsets"u8) ? Field.DataOffsets
                : Field.Unknown;
            if (field == Field.Unknown)
            {
                string unknown = escaped ?? ReadString(ref reader, StringRole.FieldName, name, source);
                throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}' has the unknown field '{Shown(unknown)}'.");
            }

            Next(ref reader, source);
            switch (field)
            {
                case Field.DType when dtype is null:
                    dtype = ReadDType(ref reader, name, source);
                    break;
                case Field.Shape when shape is null:
                    shape = ReadShape(ref reader, name, source);
                    break;
                case Field.DataOffsets when offsetCount < 0:
                    offsetCount = ReadOffsets(ref reader, name, source, out begin, out end);
                    break;
                default:
                    string twice = field switch { Field.DType => "dtype", Field.Shape => "shape", _ => "data_offsets" };
                    throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}' has the field '{twice}' twice.");
            }
        }

        if (dtype is null || shape is null || offsetCount < 0)
        {
            string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}' has no {missing}.");
        }

        if (offsetCount != 2)
        {
            throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}': data_offsets must hold two integers [begin, end]; it holds {offsetCount}.");
        }

        if (begin > end)
        {
            throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}': data_offsets [{begin}, {end}] end before they begin.");
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
                throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}': shape {SafeTensorInfo.FormatShape(shape)} overflows a 64-bit byte count.");
            }
        }

        if (end - begin != bytes)
        {
            throw new SafeTensorsFormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: tensor '{Shown(name)}': data_offsets [{begin}, {end}] span {end - begin} bytes, but {SafeTensorsDTypes.Name(dtype.Value)} {SafeTensorInfo.FormatShape(shape)} needs {bytes}."));
        }

        return new SafeTensorInfo(name, dtype.Value, shape, begin, end);
    }

    private static SafeTensorsDType ReadDType(ref Utf8JsonReader reader, string name, string source)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}': dtype must be a string.");
        }

        SafeTensorsDType dtype;
        if (reader.ValueIsEscaped ? SafeTensorsDTypes.TryParse(ReadString(ref reader, StringRole.DType, name, source), out dtype)
            : SafeTensorsDTypes.TryParse(reader.ValueSpan, out dtype))
        {
            return dtype;
        }

        string text = ReadString(ref reader, StringRole.DType, name, source);
        throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}' has the unknown dtype '{Shown(text)}'.");
    }

    /// <summary>Reads the shape array into an array of exactly its length (counted first on a copy of the reader).</summary>
    private static long[] ReadShape(ref Utf8JsonReader reader, string name, string source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}': shape must be an array of non-negative integers.");
        }

        var probe = reader;
        int rank = 0;
        while (Next(ref probe, source) != JsonTokenType.EndArray)
        {
            ReadDimension(ref probe, name, "shape", source);
            rank++;
        }

        var shape = rank == 0 ? [] : new long[rank];
        for (int i = 0; i < rank; i++)
        {
            Next(ref reader, source);
            shape[i] = ReadDimension(ref reader, name, "shape", source);
        }

        Next(ref reader, source);
        return shape;
    }

    /// <summary>Reads data_offsets; returns how many integers it holds and the first two.</summary>
    private static int ReadOffsets(ref Utf8JsonReader reader, string name, string source, out long begin, out long end)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}': data_offsets must be an array of non-negative integers.");
        }

        begin = end = 0;
        int count = 0;
        while (Next(ref reader, source) != JsonTokenType.EndArray)
        {
            long value = ReadDimension(ref reader, name, "data_offsets", source);
            if (count == 0)
            {
                begin = value;
            }
            else if (count == 1)
            {
                end = value;
            }

            count++;
        }

        return count;
    }

    private static long ReadDimension(ref Utf8JsonReader reader, string name, string field, string source)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0)
        {
            var token = reader.HasValueSequence ? default : reader.ValueSpan;
            string text = Encoding.UTF8.GetString(token[..Math.Min(token.Length, MaxShownLength)]) + (token.Length > MaxShownLength ? "..." : "");
            throw new SafeTensorsFormatException($"{source}: tensor '{Shown(name)}': {field} must hold non-negative integers; found '{text}'.");
        }

        return value;
    }

    /// <summary>
    /// Sorts <paramref name="tensors"/> into data order (by begin, then end, then name, so zero-size tensors at one
    /// offset keep a fixed order) and checks that they tile the data section exactly.
    /// </summary>
    private static void CheckOffsets(SafeTensorInfo[] tensors, long dataLength, string source)
    {
        Array.Sort(tensors, static (a, b) =>
            a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin)
            : a.End != b.End ? a.End.CompareTo(b.End)
            : string.CompareOrdinal(a.Name, b.Name));
        long expected = 0;
        foreach (var tensor in tensors)
        {
            if (tensor.Begin < expected)
            {
                throw new SafeTensorsFormatException($"{source}: tensor '{Shown(tensor.Name)}' at [{tensor.Begin}, {tensor.End}) overlaps the previous tensor, which ends at {expected}.");
            }

            if (tensor.Begin > expected)
            {
                throw new SafeTensorsFormatException($"{source}: there is a gap of {tensor.Begin - expected} bytes before tensor '{Shown(tensor.Name)}' (it begins at {tensor.Begin}, the previous data ends at {expected}).");
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

    /// <summary>Reads exactly <paramref name="buffer"/>'s length at <paramref name="offset"/>; a short file is a format error.</summary>
    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        while (!buffer.IsEmpty)
        {
            int read = RandomAccess.Read(handle, buffer, offset);
            if (read == 0)
            {
                throw new SafeTensorsFormatException($"{path}: unexpected end of file at byte {offset} (the file changed after it was opened).");
            }

            buffer = buffer[read..];
            offset += read;
        }
    }
}
