using System;
using ModelDsl.Kernels;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

/// <summary>
/// Attention over row-strided q, k, v (the packed [q|k|v] projection of self-attention, the [k|v] one of cross-attention):
/// the same bits as the unstrided kernel (itself checked against the reference in <see cref="AttentionTests"/>), with the
/// columns outside the operands never read (NaN there) and never written.
/// </summary>
public sealed class AttentionStridedTests
{
    public static readonly TheoryData<MaskKind> AllMasks = AttentionTests.AllMasks;

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void PackedSelfAttention_EqualsUnstridedBitForBit(MaskKind kind)
    {
        // 20 keys: the row path; 100 keys: the blocked path (for masks without adjacency).
        foreach (var shape in new AttentionShape[] { new(3, 20, 20, 2, 8), new(2, 100, 100, 2, 16), new(2, 9, 9, 3, 5) })
        {
            foreach (WorkerPool? pool in new[] { null, new WorkerPool(2) })
            {
                using (pool)
                {
                    Compare(kind, shape, selfPacked: true, pool);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void CrossAttentionKeyValuePacked_EqualsUnstridedBitForBit(MaskKind kind)
    {
        if (kind is MaskKind.Causal or MaskKind.WindowCausal or MaskKind.KeyPaddingCausal)
        {
            return; // the causal kinds are self-attention masks (Tq = Tk); covered by the packed self-attention test.
        }

        foreach (var shape in new AttentionShape[] { new(3, 7, 20, 2, 8), new(2, 50, 70, 2, 16) })
        {
            using var pool = new WorkerPool(2);
            Compare(kind, shape, selfPacked: false, pool);
            Compare(kind, shape, selfPacked: false, null);
        }
    }

    [Fact]
    public void PackedSelfAttention_WithDropout_EqualsUnstridedBitForBit()
    {
        var shape = new AttentionShape(2, 12, 12, 2, 8);
        var (b, t, _, h, dh) = shape;
        int width = h * dh, stride = 3 * width, rows = b * t;
        var inputs = AttentionTests.Inputs.Create(shape, 21);
        var mask = AttentionMask.None;
        float scale = Attention.DefaultScale(dh);
        var expectedOutput = new float[rows * width];
        var expectedProbabilities = new float[shape.ProbabilityCount];
        var expectedKeep = new byte[shape.ProbabilityCount];
        Attention.Forward(expectedOutput, expectedProbabilities, inputs.Q, inputs.K, inputs.V, b, t, t, h, dh, mask, scale, expectedKeep, 0.3f, 5, 1, 0, true);
        var dQ = (float[])inputs.InitialDQ.Clone();
        var dK = (float[])inputs.InitialDK.Clone();
        var dV = (float[])inputs.InitialDV.Clone();
        var scratch = new float[Attention.ScratchLength(t, t, 1)];
        Attention.Backward(dQ, dK, dV, inputs.DOutput, inputs.Q, inputs.K, inputs.V, expectedProbabilities, b, t, t, h, dh, mask, scale, expectedKeep, 0.3f, true, scratch);

        float[] qkv = Pack(rows, width, stride, float.NaN, (inputs.Q, 0), (inputs.K, width), (inputs.V, 2 * width));
        float[] dqkv = Pack(rows, width, stride, float.NaN, (inputs.InitialDQ, 0), (inputs.InitialDK, width), (inputs.InitialDV, 2 * width));
        var output = new float[rows * width];
        var probabilities = new float[shape.ProbabilityCount];
        var keep = new byte[shape.ProbabilityCount];
        Attention.Forward(output, probabilities, qkv, qkv.AsSpan(width), qkv.AsSpan(2 * width), stride, stride, b, t, t, h, dh, mask, scale, keep, 0.3f, 5, 1, 0, true);
        Attention.Backward(dqkv, dqkv.AsSpan(width), dqkv.AsSpan(2 * width), inputs.DOutput, qkv, qkv.AsSpan(width), qkv.AsSpan(2 * width), stride, stride, probabilities, b, t, t, h, dh, mask, scale, keep, 0.3f, true, scratch);
        Assert.Equal(expectedOutput, output);
        Assert.Equal(expectedProbabilities, probabilities);
        Assert.Equal(expectedKeep, keep);
        Assert.Equal(dQ, Unpack(dqkv, rows, width, stride, 0));
        Assert.Equal(dK, Unpack(dqkv, rows, width, stride, width));
        Assert.Equal(dV, Unpack(dqkv, rows, width, stride, 2 * width));
    }

    [Fact]
    public void StrideBelowWidthOrShortSpan_Throws()
    {
        var shape = new AttentionShape(1, 4, 4, 2, 4);
        int width = 8;
        var qkv = new float[4 * 3 * width];
        var output = new float[4 * width];
        var probabilities = new float[shape.ProbabilityCount];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Attention.Forward(output, probabilities, qkv, qkv, qkv, width - 1, 3 * width, 1, 4, 4, 2, 4, AttentionMask.None, 1f));
        Assert.Contains("q", error.ParamName, StringComparison.Ordinal);
        var shortSpan = Assert.Throws<ArgumentException>(() =>
            Attention.Forward(output, probabilities, qkv, qkv.AsSpan(2 * width + 1), qkv.AsSpan(2 * width), 3 * width, 3 * width, 1, 4, 4, 2, 4, AttentionMask.None, 1f));
        Assert.Contains("k", shortSpan.ParamName, StringComparison.Ordinal);
    }

    /// <summary>
    /// The unstrided run against the strided one. Self: q|k|v in one [rows, 3D] buffer. Cross: q alone with 3 padding columns
    /// (stride D + 3), k|v in one [rows, 2D] buffer. Padding reads NaN (it would poison any output that read it) and its
    /// gradient columns hold a sentinel that must survive.
    /// </summary>
    private static void Compare(MaskKind kind, AttentionShape shape, bool selfPacked, WorkerPool? pool)
    {
        var (b, tq, tk, h, dh) = shape;
        var spec = MaskSpec.Create(kind, b, tq, tk, 3);
        var inputs = AttentionTests.Inputs.Create(shape, 7);
        var expected = AttentionTests.Run(shape, spec, inputs, pool);
        int width = h * dh, queryRows = b * tq, keyRows = b * tk;
        float scale = Attention.DefaultScale(dh);
        var output = new float[queryRows * width];
        var probabilities = new float[shape.ProbabilityCount];
        var scratch = new float[Attention.ScratchLength(tq, tk, pool?.ThreadCount ?? 1)];
        float[] dq, dk, dv;
        if (selfPacked)
        {
            int stride = 3 * width;
            float[] qkv = Pack(queryRows, width, stride, float.NaN, (inputs.Q, 0), (inputs.K, width), (inputs.V, 2 * width));
            float[] dqkv = Pack(queryRows, width, stride, float.NaN, (inputs.InitialDQ, 0), (inputs.InitialDK, width), (inputs.InitialDV, 2 * width));
            Attention.Forward(output, probabilities, qkv, qkv.AsSpan(width), qkv.AsSpan(2 * width), stride, stride, b, tq, tk, h, dh, spec.Build(), scale, pool);
            Attention.Backward(
                dqkv, dqkv.AsSpan(width), dqkv.AsSpan(2 * width), inputs.DOutput, qkv, qkv.AsSpan(width), qkv.AsSpan(2 * width), stride, stride,
                probabilities, b, tq, tk, h, dh, spec.Build(), scale, scratch, pool);
            (dq, dk, dv) = (Unpack(dqkv, queryRows, width, stride, 0), Unpack(dqkv, keyRows, width, stride, width), Unpack(dqkv, keyRows, width, stride, 2 * width));
        }
        else
        {
            int queryStride = width + 3, kvStride = 2 * width;
            const float Sentinel = 7f;
            float[] q = Pack(queryRows, width, queryStride, float.NaN, (inputs.Q, 0));
            float[] kv = Pack(keyRows, width, kvStride, float.NaN, (inputs.K, 0), (inputs.V, width));
            float[] dQ = Pack(queryRows, width, queryStride, Sentinel, (inputs.InitialDQ, 0));
            float[] dKV = Pack(keyRows, width, kvStride, Sentinel, (inputs.InitialDK, 0), (inputs.InitialDV, width));
            Attention.Forward(output, probabilities, q, kv, kv.AsSpan(width), queryStride, kvStride, b, tq, tk, h, dh, spec.Build(), scale, pool);
            Attention.Backward(
                dQ, dKV, dKV.AsSpan(width), inputs.DOutput, q, kv, kv.AsSpan(width), queryStride, kvStride,
                probabilities, b, tq, tk, h, dh, spec.Build(), scale, scratch, pool);
            (dq, dk, dv) = (Unpack(dQ, queryRows, width, queryStride, 0), Unpack(dKV, keyRows, width, kvStride, 0), Unpack(dKV, keyRows, width, kvStride, width));
            for (int r = 0; r < queryRows; r++)
            {
                Assert.All(dQ.AsSpan(r * queryStride + width, 3).ToArray(), x => Assert.Equal(Sentinel, x));
            }
        }

        Assert.Equal(expected.Output, output);
        Assert.Equal(expected.Probabilities, probabilities);
        Assert.Equal(expected.DQ, dq);
        Assert.Equal(expected.DK, dk);
        Assert.Equal(expected.DV, dv);
    }

    /// <summary>Rows of <paramref name="stride"/> floats filled with <paramref name="fill"/>, each part's rows copied at its column.</summary>
    private static float[] Pack(int rows, int width, int stride, float fill, params (float[] Values, int Column)[] parts)
    {
        var packed = new float[rows * stride];
        packed.AsSpan().Fill(fill);
        foreach (var (values, column) in parts)
        {
            for (int r = 0; r < rows; r++)
            {
                values.AsSpan(r * width, width).CopyTo(packed.AsSpan(r * stride + column));
            }
        }

        return packed;
    }

    private static float[] Unpack(float[] packed, int rows, int width, int stride, int column)
    {
        var values = new float[rows * width];
        for (int r = 0; r < rows; r++)
        {
            packed.AsSpan(r * stride + column, width).CopyTo(values.AsSpan(r * width));
        }

        return values;
    }
}
