using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using ModelDsl.IO;
using ModelDsl.Tests.Support;
using Xunit.Abstractions;

namespace ModelDsl.Tests.IO;

/// <summary>
/// Bounded fuzzing of the safetensors reader: valid files mutated (bit flips, truncation, length-prefix and header
/// edits, random JSON spliced in including lone surrogate escapes, huge shapes and offsets) must either open and read
/// back, or fail with <see cref="SafeTensorsFormatException"/>; and each <see cref="SafeTensorsFile.Open"/> allocates at
/// most 4x the file size + 1 MiB on the calling thread. Fixed seed and iteration count: every run sees the same files.
/// </summary>
public sealed class SafeTensorsFuzzTests : IDisposable
{
    private const int Seed = 20261207;
    private const int Iterations = 5000;
    private const long MiB = 1 << 20;

    private static readonly string[] Splices =
    [
        "\"\\ud800\"", "\"\\udc00\"", "\"a\\ud800b\"", "\"\\ud800\\ud800\"", "\"\\udbff\\u0041\"", "{\"\\ud800\":1}", "\"\\ud83d\\ude00\"",
        "\"\\u0000\"", "\"\\\"\"", "\"\\x\"", "\"\\u12\"", "{", "}", "[", "]", ",", ":", "\"", "null", "true", "-0", "1e400", "0.5",
        "\"__metadata__\":{}", "\"__metadata__\":{\"k\":\"v\"}", "\"__metadata__\":{\"\\udc00\":\"v\"}", "\"__metadata__\":{\"k\":\"\\ud800\"}",
        "\"dtype\":\"F32\"", "\"dtype\":\"\\ud800\"", "\"d\\u0074ype\":\"F16\"", "\"shape\":[]", "\"shape\":[0]", "\"shape\":[1,2]",
        "\"shape\":[4294967296,4294967296]", "\"shape\":[9223372036854775807]", "\"data_offsets\":[0,0]",
        "\"data_offsets\":[0,9223372036854775807]", "\"data_offsets\":[9223372036854775807,9223372036854775807]",
        "\"data_offsets\":[18446744073709551615,0]", "\"x\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}",
        "[[[[[[[[[[[[[[[[", "]]]]]]]]", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{}}}}}}}}",
    ];

    private static readonly string[] Numbers =
    [
        "0", "1", "-1", "4", "7", "255", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
        "18446744073709551615", "99999999999999999999999", "1.0", "1e3", "-0",
    ];

    private static readonly string[] DTypes = ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "U64", "F8_E4M3", "F128", ""];

    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-fuzz-").FullName;
    private readonly ITestOutputHelper _output;

    public SafeTensorsFuzzTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void MutatedFiles_OpenOrFailWithAFormatException_AndOpenAllocatesAtMostFourTimesTheFileSize()
    {
        byte[][] seeds = [.. SeedFiles()];
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");
        var failures = new List<string>();

        // Warm-up, not measured: first use of the JSON reader, exception messages and the pool.
        var warmUp = new Random(Seed + 1);
        for (int i = 0; i < 50; i++)
        {
            Check(Mutate(warmUp, Pick(warmUp, seeds), out _), path, measure: false, failures, i);
        }

        var random = new Random(Seed);
        int opened = 0;
        double worstShare = 0;
        long largest = 0;
        for (int i = 0; i < Iterations; i++)
        {
            byte[] bytes = Mutate(random, Pick(random, seeds), out string mutation);
            var (ok, allocated) = Check(bytes, path, measure: true, failures, i, mutation);
            opened += ok ? 1 : 0;
            worstShare = Math.Max(worstShare, (double)allocated / ((4 * bytes.Length) + MiB));
            largest = Math.Max(largest, allocated);
        }

        _output.WriteLine($"{Iterations} mutated files: {opened} opened, {Iterations - opened} rejected; largest Open allocation {largest} bytes; closest to the bound: {worstShare:P1} of 4x the file size + 1 MiB");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // Both outcomes occur, so the mutations reach past the first checks.
        Assert.InRange(opened, 1, Iterations - 1);
    }

    /// <summary>Opens <paramref name="bytes"/> and reads every tensor; records anything but a format exception or too much allocation.</summary>
    private static (bool Opened, long Allocated) Check(byte[] bytes, string path, bool measure, List<string> failures, int iteration, string mutation = "")
    {
        File.WriteAllBytes(path, bytes);
        SafeTensorsFile? file = null;
        string outcome = "opened";
        long before = Allocations.CountedBytes();
        try
        {
            file = SafeTensorsFile.Open(path);
        }
        catch (SafeTensorsFormatException e)
        {
            outcome = e.Message;
        }
        catch (Exception e)
        {
            failures.Add($"iteration {iteration} ({mutation}): Open threw {e.GetType().Name}: {e.Message}\n  file: {Convert.ToBase64String(bytes)}");
        }

        long allocated = Allocations.CountedBytes() - before;
        if (measure && allocated > (4 * bytes.Length) + MiB)
        {
            failures.Add($"iteration {iteration} ({mutation}): Open allocated {allocated} bytes for a file of {bytes.Length} ({outcome})\n  file: {Convert.ToBase64String(bytes)}");
        }

        if (file is null)
        {
            return (false, allocated);
        }

        using (file)
        {
            foreach (var tensor in file.Tensors)
            {
                try
                {
                    if (tensor.DType is SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64)
                    {
                        file.Read(tensor.Name, new float[tensor.ElementCount]);
                    }
                    else if (tensor.DType is SafeTensorsDType.I64 or SafeTensorsDType.I32 or SafeTensorsDType.I16 or SafeTensorsDType.I8
                        or SafeTensorsDType.U8 or SafeTensorsDType.Bool)
                    {
                        Assert.Equal(tensor.ElementCount, file.ReadIntegers(tensor.Name).Length);
                    }
                }
                catch (SafeTensorsFormatException)
                {
                    // A BOOL element other than 0 or 1.
                }
                catch (Exception e)
                {
                    failures.Add($"iteration {iteration} ({mutation}): reading '{tensor.Name}' threw {e.GetType().Name}: {e.Message}\n  file: {Convert.ToBase64String(bytes)}");
                }
            }
        }

        return (true, allocated);
    }

    /// <summary>Valid files: every float and integer type, metadata, escaped names, scalars and zero-size tensors.</summary>
    private IEnumerable<byte[]> SeedFiles()
    {
        string written = Path.Combine(_folder, "seed.safetensors");
        SafeTensorsWriter.Write(written,
            [new NamedTensor("encoder.weight", [2, 3], new float[] { 1, 2, 3, 4, 5, 6 }), new NamedTensor("encoder.bias", [2], new float[] { -1, 1 }),
             new NamedTensor("empty", [0, 3], Array.Empty<float>()), new NamedTensor("scalar", [], new float[] { 0.5f })],
            new Dictionary<string, string> { ["format"] = "pt", ["modeldsl.step"] = "12" });
        yield return File.ReadAllBytes(written);

        yield return Craft(
            """{"__metadata__":{"a\"b":"\u00e9\ud83d\ude00","":""},"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[4,8]},"d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},"ids":{"dtype":"I64","shape":[2],"data_offsets":[16,32]},"m\n":{"dtype":"BOOL","shape":[3],"data_offsets":[32,35]},"i":{"dtype":"I32","shape":[],"data_offsets":[35,39]},"u":{"dtype":"U8","shape":[0,5],"data_offsets":[39,39]},"\ud83d\ude00":{"dtype":"I8","shape":[1],"data_offsets":[39,40]}}""",
            [0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x00, 0x3F, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 7, 0, 0, 0, 0xFF]);

        // Forty U8 tensors of 0, 1 or 2 bytes (so also zero-size tensors between others).
        var many = new StringBuilder("{");
        int offset = 0;
        for (int i = 0; i < 40; i++)
        {
            many.Append(i == 0 ? "" : ",").Append("\"t").Append(i).Append("\":{\"dtype\":\"U8\",\"shape\":[").Append(i % 3).Append("],\"data_offsets\":[")
                .Append(offset).Append(',').Append(offset + (i % 3)).Append("]}");
            offset += i % 3;
        }

        yield return Craft(many.Append('}').ToString(), new byte[offset]);

        // Last, picked less often (see Pick): 5,000 zero-size tensors, a header large enough that the 1 MiB allowance does
        // not hide a per-tensor cost above 4x.
        var large = new StringBuilder("{");
        for (int i = 0; i < 5000; i++)
        {
            large.Append(i == 0 ? "" : ",").Append("\"z").Append(i).Append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }

        yield return Craft(large.Append('}').ToString(), []);
    }

    /// <summary>A seed file: the last (large) one once in 25 picks, the others evenly.</summary>
    private static byte[] Pick(Random random, byte[][] seeds) =>
        random.Next(25) == 0 ? seeds[^1] : seeds[random.Next(seeds.Length - 1)];

    private static byte[] Craft(string header, byte[] data)
    {
        var utf8 = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + utf8.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)utf8.Length);
        utf8.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + utf8.Length);
        return bytes;
    }

    /// <summary>
    /// One random mutation of <paramref name="original"/> (a quarter of the time two or three); <paramref name="description"/>
    /// names them.
    /// </summary>
    private static byte[] Mutate(Random random, byte[] original, out string description)
    {
        var bytes = new List<byte>(original);
        var names = new List<string>();
        int rounds = random.Next(4) == 0 ? 2 + random.Next(2) : 1;
        for (int round = 0; round < rounds; round++)
        {
            // The declared header length, clamped to the bytes present: where the header edits go.
            int headerLength = 0;
            if (bytes.Count >= 8)
            {
                ulong declared = BinaryPrimitives.ReadUInt64LittleEndian([.. bytes.GetRange(0, 8)]);
                headerLength = (int)Math.Min(declared, (ulong)(bytes.Count - 8));
            }

            int kind = random.Next(9);
            names.Add(kind switch
            {
                0 => "bit flip",
                1 => "truncation",
                2 => "length prefix",
                3 => "splice",
                4 => "number",
                5 => "dtype",
                6 => "header bytes deleted",
                7 => "header bytes duplicated",
                _ => "data length",
            });
            switch (kind)
            {
                case 0 when bytes.Count > 0:
                    // Mostly in the prefix and header, where the rules are.
                    int at = random.Next(Math.Min(bytes.Count, 8 + headerLength + 1));
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    int keep = random.Next(bytes.Count + 1);
                    bytes.RemoveRange(keep, bytes.Count - keep);
                    break;
                case 2 when bytes.Count >= 8:
                    ulong declared = random.Next(4) switch
                    {
                        0 => (ulong)Math.Max(0, headerLength + random.Next(-3, 4)),
                        1 => (ulong)random.NextInt64(),
                        2 => ulong.MaxValue - (ulong)random.Next(16),
                        _ => (ulong)random.Next(200_000_000),
                    };
                    var prefix = new byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(prefix, declared);
                    for (int i = 0; i < 8; i++)
                    {
                        bytes[i] = prefix[i];
                    }

                    break;
                case 3:
                    Splice(random, bytes, headerLength, Encoding.UTF8.GetBytes(Splices[random.Next(Splices.Length)]), 0);
                    break;
                case 4:
                    ReplaceToken(random, bytes, headerLength, static b => b is >= (byte)'0' and <= (byte)'9', Numbers[random.Next(Numbers.Length)]);
                    break;
                case 5:
                    ReplaceToken(random, bytes, headerLength, static b => b is >= (byte)'A' and <= (byte)'Z' or (byte)'_', DTypes[random.Next(DTypes.Length)]);
                    break;
                case 6 when headerLength > 0:
                    int start = 8 + random.Next(headerLength);
                    int length = Math.Min(1 + random.Next(12), 8 + headerLength - start);
                    Splice(random, bytes, headerLength, [], length, start);
                    break;
                case 7 when headerLength > 0:
                    int from = 8 + random.Next(headerLength);
                    var copy = bytes.GetRange(from, Math.Min(1 + random.Next(60), 8 + headerLength - from)).ToArray();
                    Splice(random, bytes, headerLength, copy, 0);
                    break;
                default:
                    if (random.Next(2) == 0 && bytes.Count > 8 + headerLength)
                    {
                        bytes.RemoveAt(bytes.Count - 1);
                    }
                    else
                    {
                        bytes.AddRange(new byte[1 + random.Next(8)]);
                    }

                    break;
            }
        }

        description = string.Join(", ", names);
        return [.. bytes];
    }

    /// <summary>
    /// Replaces <paramref name="removed"/> header bytes at a random (or given) position with <paramref name="inserted"/>, and
    /// mostly fixes the length prefix so that the parser reads the edited header.
    /// </summary>
    private static void Splice(Random random, List<byte> bytes, int headerLength, byte[] inserted, int removed, int at = -1)
    {
        if (bytes.Count < 8)
        {
            return;
        }

        at = at >= 0 ? at : 8 + random.Next(headerLength + 1);
        removed = Math.Min(removed, bytes.Count - at);
        bytes.RemoveRange(at, removed);
        bytes.InsertRange(at, inserted);
        if (random.Next(8) != 0)
        {
            var prefix = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)Math.Max(0, headerLength - removed + inserted.Length));
            for (int i = 0; i < 8; i++)
            {
                bytes[i] = prefix[i];
            }
        }
    }

    /// <summary>Replaces a random run of header bytes matching <paramref name="part"/> with <paramref name="text"/>.</summary>
    private static void ReplaceToken(Random random, List<byte> bytes, int headerLength, Func<byte, bool> part, string text)
    {
        if (headerLength == 0 || bytes.Count < 8 + headerLength)
        {
            return;
        }

        int start = 8 + random.Next(headerLength);
        while (start < 8 + headerLength && !part(bytes[start]))
        {
            start++;
        }

        if (start == 8 + headerLength)
        {
            return;
        }

        int end = start;
        while (end < 8 + headerLength && part(bytes[end]))
        {
            end++;
        }

        Splice(random, bytes, headerLength, Encoding.UTF8.GetBytes(text), end - start, start);
    }
}
