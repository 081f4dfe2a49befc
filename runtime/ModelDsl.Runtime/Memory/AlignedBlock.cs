using System;
using System.Runtime.InteropServices;

namespace ModelDsl.Memory;

/// <summary>
/// One 64-byte-aligned, zero-initialized block of native floats. Parameters, gradients,
/// optimizer state and activations each live in one such block, carved into named spans
/// by a <see cref="BlockLayout"/>. The block never moves, so spans and pointers into it
/// stay valid until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class AlignedBlock : IDisposable
{
    /// <summary>Alignment of the block and of every segment a layout hands out, in bytes.</summary>
    public const int Alignment = 64;

    private float* _data;

    /// <summary>Allocates <paramref name="length"/> zeroed floats aligned to <see cref="Alignment"/> bytes.</summary>
    public AlignedBlock(long length)
    {
        if (length < 0 || length > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"length must be in [0, {int.MaxValue}]; got {length}.");
        }

        Length = (int)length;
        nuint bytes = (nuint)Math.Max(1, length) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, Alignment);
        NativeMemory.Clear(_data, bytes);
        GC.AddMemoryPressure((long)bytes);
    }

    /// <summary>Allocates a block sized for <paramref name="layout"/>.</summary>
    public AlignedBlock(BlockLayout layout)
        : this(layout?.TotalLength ?? throw new ArgumentNullException(nameof(layout)))
    {
    }

    /// <summary>Finalizer: frees the native memory if <see cref="Dispose"/> was not called.</summary>
    ~AlignedBlock() => Free();

    /// <summary>Number of floats in the block.</summary>
    public int Length { get; }

    /// <summary>The whole block.</summary>
    public Span<float> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return new Span<float>(_data, Length);
        }
    }

    /// <summary>Pointer to the first float; valid until <see cref="Dispose"/>.</summary>
    public float* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return _data;
        }
    }

    /// <summary>The floats of <paramref name="segment"/>.</summary>
    public Span<float> this[BlockSegment segment] => Slice(segment.Offset, segment.Length);

    /// <summary>The floats in <c>[offset, offset + length)</c>.</summary>
    public Span<float> Slice(int offset, int length) => Span.Slice(offset, length);

    /// <summary>Sets every float to zero.</summary>
    public void Clear() => Span.Clear();

    /// <summary>Frees the native memory.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_data != null)
        {
            NativeMemory.AlignedFree(_data);
            GC.RemoveMemoryPressure((long)Math.Max(1, Length) * sizeof(float));
            _data = null;
        }
    }
}
