using System;

namespace ModelDsl.IO;

/// <summary>Element types the safetensors format defines.</summary>
public enum SafeTensorsDType
{
    /// <summary>Boolean, one byte.</summary>
    Bool,

    /// <summary>Unsigned 8-bit integer.</summary>
    U8,

    /// <summary>Signed 8-bit integer.</summary>
    I8,

    /// <summary>Signed 16-bit integer.</summary>
    I16,

    /// <summary>Unsigned 16-bit integer.</summary>
    U16,

    /// <summary>IEEE half precision.</summary>
    F16,

    /// <summary>bfloat16: the upper 16 bits of an IEEE single.</summary>
    BF16,

    /// <summary>Signed 32-bit integer.</summary>
    I32,

    /// <summary>Unsigned 32-bit integer.</summary>
    U32,

    /// <summary>IEEE single precision.</summary>
    F32,

    /// <summary>Signed 64-bit integer.</summary>
    I64,

    /// <summary>Unsigned 64-bit integer.</summary>
    U64,

    /// <summary>IEEE double precision.</summary>
    F64,

    /// <summary>8-bit float, 4 exponent bits.</summary>
    F8E4M3,

    /// <summary>8-bit float, 5 exponent bits.</summary>
    F8E5M2,
}

/// <summary>Names and sizes of <see cref="SafeTensorsDType"/>.</summary>
public static class SafeTensorsDTypes
{
    /// <summary>Parses the header spelling (e.g. <c>"F32"</c>); false for an unknown name.</summary>
    public static bool TryParse(string name, out SafeTensorsDType dtype) => TryParse(name.AsSpan(), out dtype);

    /// <summary>Parses the header spelling from UTF-8 bytes without allocating; false for an unknown name.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> utf8, out SafeTensorsDType dtype)
    {
        // Every name is ASCII and at most 7 characters long.
        Span<char> chars = stackalloc char[8];
        dtype = default;
        if (utf8.Length > chars.Length)
        {
            return false;
        }

        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] >= 0x80)
            {
                return false;
            }

            chars[i] = (char)utf8[i];
        }

        return TryParse(chars[..utf8.Length], out dtype);
    }

    private static bool TryParse(ReadOnlySpan<char> name, out SafeTensorsDType dtype)
    {
        switch (name)
        {
            case "BOOL": dtype = SafeTensorsDType.Bool; return true;
            case "U8": dtype = SafeTensorsDType.U8; return true;
            case "I8": dtype = SafeTensorsDType.I8; return true;
            case "I16": dtype = SafeTensorsDType.I16; return true;
            case "U16": dtype = SafeTensorsDType.U16; return true;
            case "F16": dtype = SafeTensorsDType.F16; return true;
            case "BF16": dtype = SafeTensorsDType.BF16; return true;
            case "I32": dtype = SafeTensorsDType.I32; return true;
            case "U32": dtype = SafeTensorsDType.U32; return true;
            case "F32": dtype = SafeTensorsDType.F32; return true;
            case "I64": dtype = SafeTensorsDType.I64; return true;
            case "U64": dtype = SafeTensorsDType.U64; return true;
            case "F64": dtype = SafeTensorsDType.F64; return true;
            case "F8_E4M3": dtype = SafeTensorsDType.F8E4M3; return true;
            case "F8_E5M2": dtype = SafeTensorsDType.F8E5M2; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>The header spelling of <paramref name="dtype"/>.</summary>
    public static string Name(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.Bool => "BOOL",
        SafeTensorsDType.F8E4M3 => "F8_E4M3",
        SafeTensorsDType.F8E5M2 => "F8_E5M2",
        _ => dtype.ToString(),
    };

    /// <summary>Bytes per element.</summary>
    public static int Size(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.Bool or SafeTensorsDType.U8 or SafeTensorsDType.I8 or SafeTensorsDType.F8E4M3 or SafeTensorsDType.F8E5M2 => 1,
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 4,
        SafeTensorsDType.I64 or SafeTensorsDType.U64 or SafeTensorsDType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };
}
