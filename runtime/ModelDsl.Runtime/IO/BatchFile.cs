using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;

namespace ModelDsl.IO;

/// <summary>
/// A file of training batches for the PyTorch export (docs/export.md): a safetensors file whose tensors are named
/// <c>{batch}.{name}</c> (batch 0, 1, ...), with <c>__metadata__</c> <c>format</c> = <c>modeldsl-batches</c>, <c>version</c> = <c>1</c>,
/// <c>model</c> and <c>batches</c>. Names follow the generated <c>Batch</c>: each input's ids (I64 <c>[B, MaxLength]</c>) or features
/// (F32 <c>[B, MaxLength, Features]</c> or <c>[B, Features]</c>), its <c>{Input}Lengths</c> (I64 <c>[B]</c>) and <c>{Input}Adjacency</c>
/// (BOOL <c>[B, MaxLength, MaxLength]</c>, true = may attend), <c>Labels</c> (I64 <c>[B]</c> or <c>[B, MaxLength]</c>) or <c>Targets</c>
/// (F32); <c>B</c> is the batch's <c>Count</c>. A generated model's <c>WriteBatches</c> fills one; the exported module's
/// <c>read_batches</c> reads it.
/// </summary>
public sealed class BatchFile
{
    /// <summary>The <c>format</c> metadata value.</summary>
    public const string Format = "modeldsl-batches";

    private readonly List<(string Name, string DType, int[] Shape, byte[] Data)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Starts an empty file for batches of <paramref name="model"/>.</summary>
    /// <param name="model">The model's name (recorded in the metadata).</param>
    public BatchFile(string model)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        Model = model;
    }

    /// <summary>The model the batches are for.</summary>
    public string Model { get; }

    /// <summary>Batches begun so far.</summary>
    public int Count { get; private set; }

    /// <summary>Starts the next batch; the tensors added until the next call belong to it.</summary>
    public void BeginBatch() => Count++;

    /// <summary>Adds an integer tensor of the current batch (stored as I64).</summary>
    /// <param name="name">The tensor's name within the batch (e.g. <c>Source</c>, <c>SourceLengths</c>, <c>Labels</c>).</param>
    /// <param name="shape">Its dimensions.</param>
    /// <param name="values">Its values, row-major.</param>
    public void AddInts(string name, int[] shape, ReadOnlySpan<int> values)
    {
        byte[] data = new byte[checked(Elements(name, shape, values.Length) * 8)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(i * 8), values[i]);
        }

        Add(name, "I64", shape, data);
    }

    /// <summary>Adds a float tensor of the current batch (F32); every value must be finite.</summary>
    /// <param name="name">The tensor's name within the batch.</param>
    /// <param name="shape">Its dimensions.</param>
    /// <param name="values">Its values, row-major.</param>
    public void AddFloats(string name, int[] shape, ReadOnlySpan<float> values)
    {
        byte[] data = new byte[checked(Elements(name, shape, values.Length) * 4)];
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"BatchFile: {name} of batch {Count - 1} holds the non-finite value {values[i]} at index {i}.", nameof(values));
            }

            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), values[i]);
        }

        Add(name, "F32", shape, data);
    }

    /// <summary>Adds a boolean tensor of the current batch (BOOL, one byte each).</summary>
    /// <param name="name">The tensor's name within the batch.</param>
    /// <param name="shape">Its dimensions.</param>
    /// <param name="values">Its values, row-major.</param>
    public void AddBools(string name, int[] shape, ReadOnlySpan<bool> values)
    {
        byte[] data = new byte[Elements(name, shape, values.Length)];
        for (int i = 0; i < values.Length; i++)
        {
            data[i] = values[i] ? (byte)1 : (byte)0;
        }

        Add(name, "BOOL", shape, data);
    }

    /// <summary>Writes the file atomically (a temporary file renamed over <paramref name="path"/>).</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Count == 0)
        {
            throw new InvalidOperationException($"BatchFile of {Model}: no batch was added; call BeginBatch and add its tensors first.");
        }

        var output = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("batches", Count.ToString(CultureInfo.InvariantCulture));
            json.WriteString("format", Format);
            json.WriteString("model", Model);
            json.WriteString("version", "1");
            json.WriteEndObject();
            long offset = 0;
            foreach (var tensor in _tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType);
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }

            json.WriteEndObject();
        }

        int padded = (output.WrittenCount + 7) / 8 * 8;
        using var file = new MemoryStream();
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        file.Write(prefix);
        file.Write(output.WrittenSpan);
        for (int i = output.WrittenCount; i < padded; i++)
        {
            file.WriteByte((byte)' ');
        }

        foreach (var tensor in _tensors)
        {
            file.Write(tensor.Data);
        }

        PyTorchExport.WriteAtomically(Path.GetFullPath(path), file.ToArray());
    }

    private int Elements(string name, int[] shape, int values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (Count == 0)
        {
            throw new InvalidOperationException($"BatchFile of {Model}: call BeginBatch before adding {name}.");
        }

        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"BatchFile: {name} has a negative dimension.", nameof(shape));
            }

            count *= dim;
        }

        if (count != values)
        {
            throw new ArgumentException($"BatchFile: {name} has shape [{string.Join(", ", shape)}] ({count} elements) but {values} values.", nameof(shape));
        }

        return values;
    }

    private void Add(string name, string dtype, int[] shape, byte[] data)
    {
        string full = (Count - 1).ToString(CultureInfo.InvariantCulture) + "." + name;
        if (!_names.Add(full))
        {
            throw new ArgumentException($"BatchFile: batch {Count - 1} already has a tensor {name}.", nameof(name));
        }

        _tensors.Add((full, dtype, (int[])shape.Clone(), data));
    }
}
