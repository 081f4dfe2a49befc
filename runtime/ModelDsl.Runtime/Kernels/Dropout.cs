using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ModelDsl.Randomness;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Inverted dropout: in training each element is kept with probability <c>1 - p</c> and scaled by
/// <c>1 / (1 - p)</c>, or zeroed, so the expectation of every element is unchanged; in evaluation
/// (or with <c>p = 0</c>) it is the identity.
/// </summary>
/// <remarks>
/// <para>Element <c>i</c> is kept exactly when
/// <c>CounterRandom.Uniform(seed, stream, offset + i) &gt;= p</c>: its fate depends only on those
/// integers, never on the thread count or schedule. Give each dropout site its own
/// <c>stream</c> and advance <c>offset</c> (or <c>seed</c>) every step so masks differ between steps.</para>
/// <para>The mask is one byte per element, 1 = kept, 0 = dropped, saved for <see cref="Backward"/>.
/// With <c>p = 1</c> every element is dropped (no division by zero).</para>
/// </remarks>
public static unsafe class Dropout
{
    private const int ParallelThreshold = 1 << 15;

    /// <summary>Applies dropout to <paramref name="input"/>; the element count is <c>input.Length</c>.</summary>
    /// <param name="output">Result, as long as <paramref name="input"/>; may be <paramref name="input"/>'s memory itself (in place), but not partly overlap it.</param>
    /// <param name="mask">Saved mask, one byte per element: 1 = kept, 0 = dropped (all 1 when not training or <c>p = 0</c>).</param>
    /// <param name="input">Input values.</param>
    /// <param name="p">Probability of dropping an element, in <c>[0, 1]</c>.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="stream">Random stream, one per dropout site.</param>
    /// <param name="offset">Counter of element 0; element <c>i</c> uses counter <c>offset + i</c>.</param>
    /// <param name="training"><see langword="false"/> makes the kernel the identity.</param>
    /// <param name="pool">Threads to split the elements over; <see langword="null"/> runs on the calling thread.</param>
    public static void Forward(
        Span<float> output, Span<byte> mask, ReadOnlySpan<float> input,
        float p, ulong seed, ulong stream, ulong offset, bool training, WorkerPool? pool = null)
    {
        int count = input.Length;
        Guard.Length(output, count);
        Guard.Length(mask, count);
        CheckProbability(p);
        CheckInPlace(output, input);

        if (!training || p == 0f)
        {
            input.CopyTo(output);
            mask.Fill(1);
            return;
        }

        fixed (float* y = output, x = input)
        fixed (byte* k = mask)
        {
            var job = new ForwardJob
            {
                Y = y, Mask = k, X = x, Count = count, P = p, Scale = KeepScale(p), Seed = seed, Stream = stream, Offset = offset,
            };
            if (pool is null || pool.ThreadCount == 1 || count < ParallelThreshold)
            {
                ForwardRange(&job, 0, count);
                return;
            }

            job.Parts = pool.ThreadCount * 4;
            pool.Run(job.Parts, &ForwardPart, &job);
        }
    }

    /// <summary>Adds <c>dOutput · mask / (1 - p)</c> into <paramref name="dInput"/> (all of <c>dOutput</c> when not training or <c>p = 0</c>).</summary>
    /// <param name="dInput">Gradient of the input, accumulated (<c>+=</c>).</param>
    /// <param name="dOutput">Gradient of the output, as long as <paramref name="dInput"/>.</param>
    /// <param name="mask">The mask saved by <see cref="Forward"/>.</param>
    /// <param name="p">The drop probability the forward pass used.</param>
    /// <param name="training">The mode the forward pass ran in.</param>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<byte> mask, float p, bool training)
    {
        int count = dInput.Length;
        Guard.Length(dOutput, count);
        Guard.Length(mask, count);
        CheckProbability(p);
        CheckInPlace(dInput, dOutput);

        fixed (float* dx = dInput, dy = dOutput)
        fixed (byte* k = mask)
        {
            if (!training || p == 0f)
            {
                TensorPrimitives.Add(dInput, dOutput, dInput);
                return;
            }

            float scale = KeepScale(p);
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vScale = Vector256.Create(scale);
                for (; i <= count - 8; i += 8)
                {
                    // Widen 8 mask bytes to 8 floats (0 or 1).
                    var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(k + i)).AsByte();
                    var (low, _) = Vector128.Widen(bytes);
                    var (a, b) = Vector128.Widen(low);
                    var keep = Vector256.ConvertToSingle(Vector256.Create(a, b).AsInt32());
                    Vector256.FusedMultiplyAdd(Vector256.Load(dy + i) * keep, vScale, Vector256.Load(dx + i)).Store(dx + i);
                }
            }

            for (; i < count; i++)
            {
                dx[i] = MathF.FusedMultiplyAdd(dy[i] * k[i], scale, dx[i]);
            }
        }
    }

    /// <summary>The factor applied to kept elements: <c>1 / (1 - p)</c>, or 0 when every element is dropped.</summary>
    internal static float KeepScale(float p) => p < 1f ? 1f / (1f - p) : 0f;

    internal static void CheckProbability(float p)
    {
        if (!(p >= 0f && p <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, $"p must be a probability in [0, 1]; got {p}.");
        }
    }

    private static void CheckInPlace<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> input,
        [CallerArgumentExpression(nameof(output))] string? outputName = null,
        [CallerArgumentExpression(nameof(input))] string? inputName = null)
    {
        if (output.Overlaps(input, out int elementOffset) && elementOffset != 0)
        {
            throw new ArgumentException(
                $"{outputName} partly overlaps {inputName}; it must be the same memory (in place) or separate.", outputName);
        }
    }

    private struct ForwardJob
    {
        public float* Y, X;
        public byte* Mask;
        public int Count, Parts;
        public float P, Scale;
        public ulong Seed, Stream, Offset;
    }

    private static void ForwardPart(void* context, int part)
    {
        var job = (ForwardJob*)context;
        var (start, end) = ParallelRange.Chunk(job->Count, job->Parts, part);
        ForwardRange(job, start, end);
    }

    private static void ForwardRange(ForwardJob* job, int start, int end)
    {
        float p = job->P, scale = job->Scale;
        ulong seed = job->Seed, stream = job->Stream, offset = job->Offset;
        float* x = job->X, y = job->Y;
        byte* mask = job->Mask;
        for (int i = start; i < end; i++)
        {
            bool keep = CounterRandom.Uniform(seed, stream, offset + (ulong)i) >= p;
            mask[i] = keep ? (byte)1 : (byte)0;
            y[i] = keep ? x[i] * scale : 0f;
        }
    }
}
