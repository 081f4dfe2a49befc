using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace ModelDsl.IO;

/// <summary>A float tensor to write: its name, shape and values (row-major).</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Shape">Dimensions; their product must equal the number of values.</param>
/// <param name="Values">The values.</param>
public readonly record struct NamedTensor(string Name, int[] Shape, ReadOnlyMemory<float> Values);

/// <summary>
/// Writes F32 safetensors files atomically: the file is written under a temporary name in the same
/// folder, flushed to disk, then renamed over the target, and the folder is flushed (Linux, macOS), so a
/// crash or power loss leaves the old file or the new one, never half of one. A temporary file left by a
/// save that was killed is removed by the next save or load of the same target.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> (in the given order) and <paramref name="metadata"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        byte[] header = BuildHeader(tensors, metadata);
        string fullPath = System.IO.Path.GetFullPath(path);
        TemporaryFiles.RemoveStale(fullPath);
        string temporary = TemporaryFiles.For(fullPath);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                var buffer = new byte[1 << 16];
                foreach (var tensor in tensors)
                {
                    var values = tensor.Values.Span;
                    for (int done = 0; done < values.Length;)
                    {
                        int count = Math.Min(buffer.Length / 4, values.Length - done);
                        for (int i = 0; i < count; i++)
                        {
                            BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), values[done + i]);
                        }

                        stream.Write(buffer, 0, count * 4);
                        done += count;
                    }
                }

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

        // Make the rename itself durable: without this a power loss can bring back the old file, or no file.
        TemporaryFiles.FlushDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
    }

    private static byte[] BuildHeader(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                var keys = new List<string>(metadata.Keys);
                keys.Sort(StringComparer.Ordinal);
                foreach (var key in keys)
                {
                    json.WriteString(key, metadata[key]);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var tensor in tensors)
            {
                ArgumentException.ThrowIfNullOrEmpty(tensor.Name, nameof(tensors));
                if (tensor.Name == "__metadata__" || !names.Add(tensor.Name))
                {
                    throw new ArgumentException($"The tensor name '{tensor.Name}' is reserved or used twice.", nameof(tensors));
                }

                long count = 1;
                foreach (int dim in tensor.Shape ?? throw new ArgumentException($"Tensor '{tensor.Name}' has no shape.", nameof(tensors)))
                {
                    if (dim < 0)
                    {
                        throw new ArgumentException($"Tensor '{tensor.Name}' has a negative dimension in its shape.", nameof(tensors));
                    }

                    count *= dim;
                }

                if (count != tensor.Values.Length)
                {
                    throw new ArgumentException($"Tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}] ({count} elements) but {tensor.Values.Length} values.", nameof(tensors));
                }

                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + (count * 4));
                json.WriteEndArray();
                json.WriteEndObject();
                offset += count * 4;
            }

            json.WriteEndObject();
        }

        // Pad with spaces so the data section starts 8-byte aligned, as the format recommends.
        int padded = (output.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        output.WrittenSpan.CopyTo(header);
        header.AsSpan(output.WrittenCount).Fill((byte)' ');
        return header;
    }
}
