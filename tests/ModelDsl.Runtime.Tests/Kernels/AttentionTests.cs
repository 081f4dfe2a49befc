using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

/// <summary>The mask shapes every attention test runs over.</summary>
public enum MaskKind
{
    /// <summary>No mask.</summary>
    None,

    /// <summary>Causal, query 0 at position 0.</summary>
    Causal,

    /// <summary>Causal with query offset <c>max(0, Tk − Tq)</c> (incremental decoding against a cache).</summary>
    CausalOffset,

    /// <summary>Per-batch key lengths (the third batch element, when present, has length 0).</summary>
    KeyPadding,

    /// <summary>Local window of radius 2.</summary>
    Window,

    /// <summary>Local window of radius 2 and causal.</summary>
    WindowCausal,

    /// <summary>Per-batch random adjacency with one all-false row.</summary>
    Adjacency,

    /// <summary>One random adjacency matrix shared by the batch.</summary>
    AdjacencyShared,

    /// <summary>Key padding and causal (decoder self-attention on a padded batch).</summary>
    KeyPaddingCausal,
}

/// <summary>
/// The data behind one mask, in arrays a test can keep (an <see cref="AttentionMask"/> is a ref struct and cannot be
/// captured by a lambda): <see cref="Build"/> makes the mask over these arrays when needed.
/// </summary>
public sealed class MaskSpec
{
    private MaskSpec(MaskKind kind, int[] lengths, bool[] allowed, int radius, int offset)
    {
        Kind = kind;
        Lengths = lengths;
        Allowed = allowed;
        Radius = radius;
        Offset = offset;
    }

    /// <summary>The mask kind.</summary>
    public MaskKind Kind { get; }

    /// <summary>Key lengths (padding kinds).</summary>
    public int[] Lengths { get; }

    /// <summary>Adjacency entries (adjacency kinds).</summary>
    public bool[] Allowed { get; }

    /// <summary>Window radius (window kinds).</summary>
    public int Radius { get; }

    /// <summary>Query offset (offset kinds).</summary>
    public int Offset { get; }

    /// <summary>A seeded mask of <paramref name="kind"/> for the given dimensions.</summary>
    public static MaskSpec Create(MaskKind kind, int batch, int queryLength, int keyLength, int seed)
    {
        var random = new System.Random(seed);
        int[] lengths = [];
        bool[] allowed = [];
        if (kind is MaskKind.KeyPadding or MaskKind.KeyPaddingCausal)
        {
            lengths = new int[batch];
            for (int b = 0; b < batch; b++)
            {
                lengths[b] = b == 2 ? 0 : random.Next(1, keyLength + 1);
            }
        }

        if (kind is MaskKind.Adjacency or MaskKind.AdjacencyShared)
        {
            int matrices = kind == MaskKind.Adjacency ? batch : 1;
            allowed = new bool[matrices * queryLength * keyLength];
            for (int e = 0; e < allowed.Length; e++)
            {
                allowed[e] = random.NextDouble() < 0.6;
            }

            // The last query of the first matrix attends to nothing.
            allowed.AsSpan((queryLength - 1) * keyLength, keyLength).Clear();
        }

        int offset = kind == MaskKind.CausalOffset ? Math.Max(0, keyLength - queryLength) : 0;
        return new MaskSpec(kind, lengths, allowed, radius: 2, offset);
    }

    /// <summary>The mask over this spec's arrays.</summary>
    public AttentionMask Build() => Kind switch
    {
        MaskKind.None => AttentionMask.None,
        MaskKind.Causal => AttentionMask.Causal(),
        MaskKind.CausalOffset => AttentionMask.Causal(Offset),
        MaskKind.KeyPadding => AttentionMask.KeyPadding(Lengths),
        MaskKind.Window => AttentionMask.LocalWindow(Radius),
        MaskKind.WindowCausal => AttentionMask.LocalWindow(Radius).WithCausal(),
        MaskKind.Adjacency or MaskKind.AdjacencyShared => AttentionMask.Adjacency(Allowed),
        MaskKind.KeyPaddingCausal => AttentionMask.Causal().WithKeyPadding(Lengths),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };
}

/// <summary>Dimensions of one attention call.</summary>
public readonly record struct AttentionShape(int Batch, int QueryLength, int KeyLength, int Heads, int HeadDim)
{
    /// <summary>Elements of q, dQ, output.</summary>
    public int QueryCount => Batch * QueryLength * Heads * HeadDim;

    /// <summary>Elements of k, v, dK, dV.</summary>
    public int KeyCount => Batch * KeyLength * Heads * HeadDim;

    /// <summary>Elements of the probabilities.</summary>
    public int ProbabilityCount => Batch * Heads * QueryLength * KeyLength;
}

public sealed class AttentionTests
{
    public static readonly TheoryData<MaskKind> AllMasks = new(Enum.GetValues<MaskKind>());

    private static readonly AttentionShape[] GradientShapes =
    [
        new(1, 1, 1, 1, 1),
        new(2, 7, 7, 2, 5),
        new(3, 5, 9, 3, 8),   // cross attention, Tq < Tk
        new(2, 6, 3, 1, 8),   // cross attention, Tq > Tk
        new(1, 13, 13, 1, 1),
        new(3, 4, 4, 2, 5),
    ];

    [Fact]
    public void Forward_HandComputed()
    {
        // One query, two keys, dh = 1, scale 1: scores (0, ln 3) -> probabilities (1/4, 3/4); values (4, 8) -> 1 + 6 = 7.
        float[] q = [1f], k = [0f, MathF.Log(3f)], v = [4f, 8f];
        var output = new float[1];
        var probabilities = new float[2];
        Attention.Forward(output, probabilities, q, k, v, 1, 1, 2, 1, 1, AttentionMask.None, 1f);
        Assert.Equal(0.25f, probabilities[0], 6);
        Assert.Equal(0.75f, probabilities[1], 6);
        Assert.Equal(7f, output[0], 5);

        var outputD = new double[1];
        var probabilitiesD = new double[2];
        AttentionReference.Forward<double>(outputD, probabilitiesD, [1.0], [0.0, Math.Log(3)], [4.0, 8.0], 1, 1, 2, 1, 1, AttentionMask.None, 1.0);
        Assert.Equal(7.0, outputD[0], 12);

        // Causal with two queries: query 0 sees only key 0, so its output is v0 exactly.
        var output2 = new float[2];
        var probabilities2 = new float[4];
        Attention.Forward(output2, probabilities2, [1f, 1f], k, v, 1, 2, 2, 1, 1, AttentionMask.Causal(), 1f);
        Assert.Equal(1f, probabilities2[0]);
        Assert.Equal(0f, probabilities2[1]);
        Assert.Equal(0.25f, probabilities2[2], 6);
        Assert.Equal(0.75f, probabilities2[3], 6);
        Assert.Equal(4f, output2[0]);
    }

    [Fact]
    public void Mask_Predicate_HandComputed()
    {
        // Causal, offset 2: query 0 sits at position 2 and sees keys 0..2.
        var causal = AttentionMask.Causal(2);
        Assert.True(causal.IsAllowed(0, 0, 2, 3, 5));
        Assert.False(causal.IsAllowed(0, 0, 3, 3, 5));
        Assert.True(causal.IsAllowed(0, 2, 4, 3, 5));

        // Window radius 1 around query 3: keys 2, 3, 4; with causal: keys 2, 3.
        var window = AttentionMask.LocalWindow(1);
        Assert.False(window.IsAllowed(0, 3, 1, 6, 6));
        Assert.True(window.IsAllowed(0, 3, 2, 6, 6));
        Assert.True(window.IsAllowed(0, 3, 4, 6, 6));
        Assert.False(window.IsAllowed(0, 3, 5, 6, 6));
        Assert.False(window.WithCausal().IsAllowed(0, 3, 4, 6, 6));

        // Padding lengths (2, 0) and causal.
        int[] lengths = [2, 0];
        var padded = AttentionMask.Causal().WithKeyPadding(lengths);
        Assert.True(padded.IsAllowed(0, 3, 1, 4, 4));
        Assert.False(padded.IsAllowed(0, 3, 2, 4, 4));
        Assert.False(padded.IsAllowed(1, 3, 0, 4, 4));
        Assert.False(padded.IsAllowed(0, 0, 1, 4, 4));

        // Adjacency, per batch [2, 1, 2] and shared [1, 2].
        bool[] perBatch = [true, false, false, true];
        Assert.False(AttentionMask.Adjacency(perBatch).IsAllowed(0, 0, 1, 1, 2));
        Assert.False(AttentionMask.Adjacency(perBatch).IsAllowed(1, 0, 0, 1, 2));
        Assert.True(AttentionMask.Adjacency(perBatch).IsAllowed(1, 0, 1, 1, 2));
        bool[] shared = [false, true];
        Assert.True(AttentionMask.Adjacency(shared).IsAllowed(1, 0, 1, 1, 2));
        Assert.True(AttentionMask.None.IsNone);
        Assert.True(default(AttentionMask).IsNone);
        Assert.True(default(AttentionMask).IsAllowed(0, 0, 5, 1, 6));
        Assert.Equal(3, AttentionMask.Causal().WithLocalWindow(3).WithKeyPadding(lengths).WindowRadius);
        Assert.True(AttentionMask.Causal().WithLocalWindow(3).WithKeyPadding(lengths).IsCausal);
        Assert.False(padded.IsNone);
    }

    [Fact]
    public void HugeWindowAndOffset_BehaveLikeTheirLimits()
    {
        // A window wider than the sequence masks nothing (no overflow near int.MaxValue); a causal offset of at
        // least Tk − 1 lets every query see every key.
        var shape = new AttentionShape(2, 5, 7, 2, 8);
        var inputs = Inputs.Create(shape, 21);
        var (b, tq, tk, h, dh) = shape;
        var expected = new float[shape.QueryCount];
        var actual = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        Attention.Forward(expected, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, AttentionMask.None, 0.3f);
        Attention.Forward(actual, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, AttentionMask.LocalWindow(int.MaxValue), 0.3f);
        Assert.Equal(expected, actual);
        Attention.Forward(actual, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, AttentionMask.Causal(tk - 1), 0.3f);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void Reference_GradientCheck(MaskKind kind)
    {
        int seed = 100 * (int)kind;
        foreach (var shape in GradientShapes)
        {
            seed++;
            var spec = MaskSpec.Create(kind, shape.Batch, shape.QueryLength, shape.KeyLength, seed);
            double scale = 1 / Math.Sqrt(shape.HeadDim);
            var q = TestData.UniformDouble(shape.QueryCount, seed + 1);
            var k = TestData.UniformDouble(shape.KeyCount, seed + 2);
            var v = TestData.UniformDouble(shape.KeyCount, seed + 3);
            var dOut = TestData.UniformDouble(shape.QueryCount, seed + 4);
            var output = new double[shape.QueryCount];
            var probabilities = new double[shape.ProbabilityCount];
            var (dB, dTq, dTk, dH, dDh) = shape;

            double Loss()
            {
                AttentionReference.Forward<double>(output, probabilities, q, k, v, dB, dTq, dTk, dH, dDh, spec.Build(), scale);
                return GradientCheck.Dot(dOut, output);
            }

            Loss();
            var dQ = new double[q.Length];
            var dK = new double[k.Length];
            var dV = new double[v.Length];
            AttentionReference.Backward<double>(dQ, dK, dV, dOut, q, k, v, probabilities, dB, dTq, dTk, dH, dDh, spec.Build(), scale);
            string what = $"{kind} {shape}";
            GradientCheck.Check($"dQ {what}", q, dQ, Loss);
            GradientCheck.Check($"dK {what}", k, dK, Loss);
            GradientCheck.Check($"dV {what}", v, dV, Loss);
        }
    }

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void Tuned_GradientCheckInFloat(MaskKind kind)
    {
        // Float32 central differences (h = 1e-2) on the tuned kernel. Scores are O(1), so the third derivative of the
        // softmax-weighted sum is O(1) and the truncation error ≈ h² ≈ 1e-4; rounding ≈ 6e-8·|L|/h ≈ 1e-4 for |L| ≈ 10.
        // Tolerance 1e-2 relative (to max(1, |g|)) leaves room for both while any wrong term (O(0.1..1)) fails.
        var shape = new AttentionShape(2, 6, 7, 2, 5);
        var (b, tq, tk, h, dh) = shape;
        var spec = MaskSpec.Create(kind, b, tq, tk, 7);
        float scale = Attention.DefaultScale(dh);
        var q = TestData.Uniform(shape.QueryCount, 1);
        var k = TestData.Uniform(shape.KeyCount, 2);
        var v = TestData.Uniform(shape.KeyCount, 3);
        var dOut = TestData.Uniform(shape.QueryCount, 4);
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];

        double Loss()
        {
            Attention.Forward(output, probabilities, q, k, v, b, tq, tk, h, dh, spec.Build(), scale);
            return GradientCheck.Dot(dOut, output);
        }

        Loss();
        var dQ = new float[q.Length];
        var dK = new float[k.Length];
        var dV = new float[v.Length];
        var scratch = new float[Attention.ScratchLength(tq, tk, 1)];
        Attention.Backward(dQ, dK, dV, dOut, q, k, v, probabilities, b, tq, tk, h, dh, spec.Build(), scale, scratch);
        GradientCheck.CheckSingle($"dQ {kind}", q, dQ, Loss);
        GradientCheck.CheckSingle($"dK {kind}", k, dK, Loss);
        GradientCheck.CheckSingle($"dV {kind}", v, dV, Loss);
    }

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void Tuned_MatchesReference_RandomShapes(MaskKind kind)
    {
        // Tolerance: tuned and reference differ only in summation order (vector lanes, FMA) and in exp
        // (TensorPrimitives vs MathF), each a few float ulps per operation. Dot products of ≤ 64 terms of size ≤ 1 and
        // sums over ≤ 40 keys/queries accumulate at most ~1e-5 absolute on O(1) results, so rtol 1e-4 / atol 5e-5
        // is loose for rounding yet far below any real error (a wrong or missing term is ≥ 1e-2 here).
        var random = new System.Random(1000 + (int)kind);
        int[] headDims = [1, 3, 5, 8, 12, 16, 24, 32, 40, 64];
        using var pool = new WorkerPool(2);
        for (int trial = 0; trial < 6; trial++)
        {
            var shape = new AttentionShape(random.Next(1, 4), random.Next(1, 41), random.Next(1, 41), random.Next(1, 5), headDims[random.Next(headDims.Length)]);
            if (kind is MaskKind.Causal or MaskKind.WindowCausal or MaskKind.KeyPaddingCausal && trial % 2 == 0)
            {
                shape = shape with { KeyLength = shape.QueryLength }; // self-attention
            }

            CompareWithReference(kind, shape, seed: trial, trial % 2 == 0 ? pool : null);
        }
    }

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void Tuned_BlockedPathShapes_MatchReferenceAndOneThreadBitForBit(MaskKind kind)
    {
        // At least 32 keys (96 with a causal or window part), so masks without an adjacency part take the blocked path: query and key
        // blocks (48, or 24 with a causal or window part), partial last blocks, odd head widths. Tolerance as in
        // Tuned_MatchesReference_RandomShapes, for sums over up to 100 keys/queries (still ~1e-5 absolute).
        AttentionShape[] shapes = [new(2, 50, 70, 2, 16), new(1, 97, 97, 3, 8), new(2, 40, 33, 1, 24), new(1, 64, 64, 2, 5)];
        using var pool = new WorkerPool(2);
        for (int s = 0; s < shapes.Length; s++)
        {
            var shape = shapes[s];
            if (kind is MaskKind.Causal or MaskKind.WindowCausal or MaskKind.KeyPaddingCausal)
            {
                shape = shape with { KeyLength = shape.QueryLength }; // self-attention
            }

            CompareWithReference(kind, shape, seed: 40 + s, s % 2 == 0 ? pool : null);
            var spec = MaskSpec.Create(kind, shape.Batch, shape.QueryLength, shape.KeyLength, 3);
            var inputs = Inputs.Create(shape, 50 + s);
            var serial = Run(shape, spec, inputs, null);
            var parallel = Run(shape, spec, inputs, pool);
            Assert.Equal(serial.Output, parallel.Output);
            Assert.Equal(serial.Probabilities, parallel.Probabilities);
            Assert.Equal(serial.DQ, parallel.DQ);
            Assert.Equal(serial.DK, parallel.DK);
            Assert.Equal(serial.DV, parallel.DV);
        }
    }

    [Fact]
    public void Tuned_MatchesReference_BenchmarkSizedShape()
    {
        using var pool = new WorkerPool(2);
        CompareWithReference(MaskKind.Causal, new AttentionShape(1, 64, 64, 2, 32), seed: 5, pool);
        CompareWithReference(MaskKind.KeyPadding, new AttentionShape(2, 33, 33, 1, 64), seed: 6, null);
    }

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void Tuned_OneAndTwoThreads_BitIdentical(MaskKind kind)
    {
        var shape = new AttentionShape(3, 19, 21, 3, 16);
        var spec = MaskSpec.Create(kind, shape.Batch, shape.QueryLength, shape.KeyLength, 3);
        var inputs = Inputs.Create(shape, 11);
        using var two = new WorkerPool(2);
        var serial = Run(shape, spec, inputs, null);
        var parallel = Run(shape, spec, inputs, two);
        Assert.Equal(serial.Output, parallel.Output);
        Assert.Equal(serial.Probabilities, parallel.Probabilities);
        Assert.Equal(serial.DQ, parallel.DQ);
        Assert.Equal(serial.DK, parallel.DK);
        Assert.Equal(serial.DV, parallel.DV);
    }

    [Theory]
    [InlineData(MaskKind.KeyPadding)]
    [InlineData(MaskKind.KeyPaddingCausal)]
    public void FullyMaskedBatch_GivesZeroRowsAndZeroGradients(MaskKind kind)
    {
        FullyMaskedBatch(kind, new AttentionShape(3, 5, 6, 2, 8));
        FullyMaskedBatch(kind, new AttentionShape(3, 100, 100, 2, 8)); // 100 keys: the blocked path, causal too
    }

    private static void FullyMaskedBatch(MaskKind kind, AttentionShape shape)
    {
        // Batch element 2 has key length 0: every one of its queries attends to nothing.
        var spec = MaskSpec.Create(kind, shape.Batch, shape.QueryLength, shape.KeyLength, 1);
        Assert.Equal(0, spec.Lengths[2]);
        var inputs = Inputs.Create(shape, 3);
        using var pool = new WorkerPool(2);
        var tuned = Run(shape, spec, inputs, pool, initialGradients: false);
        var reference = RunReference(shape, spec, inputs, initialGradients: false);
        int queryBlock = shape.QueryCount / 3, keyBlock = shape.KeyCount / 3, probabilityBlock = shape.ProbabilityCount / 3;
        foreach (var result in new[] { tuned, reference })
        {
            AssertZero(result.Output.AsSpan(2 * queryBlock), "output");
            AssertZero(result.Probabilities.AsSpan(2 * probabilityBlock), "probabilities");
            AssertZero(result.DQ.AsSpan(2 * queryBlock), "dQ");
            AssertZero(result.DK.AsSpan(2 * keyBlock), "dK");
            AssertZero(result.DV.AsSpan(2 * keyBlock), "dV");
            AssertFinite(result);

            // The other batch elements are not all zero.
            Assert.Contains(result.Output.AsSpan(0, queryBlock).ToArray(), x => x != 0);
        }
    }

    [Fact]
    public void AdjacencyRowAllFalse_GivesZeroRowAndZeroGradient()
    {
        var shape = new AttentionShape(2, 4, 5, 2, 5);
        var spec = MaskSpec.Create(MaskKind.Adjacency, shape.Batch, shape.QueryLength, shape.KeyLength, 2);
        var inputs = Inputs.Create(shape, 5);
        var tuned = Run(shape, spec, inputs, null, initialGradients: false);
        var reference = RunReference(shape, spec, inputs, initialGradients: false);
        int width = shape.Heads * shape.HeadDim;
        int lastQuery = (shape.QueryLength - 1) * width; // batch 0, last query: all false.
        foreach (var result in new[] { tuned, reference })
        {
            AssertZero(result.Output.AsSpan(lastQuery, width), "output row");
            AssertZero(result.DQ.AsSpan(lastQuery, width), "dQ row");
            for (int h = 0; h < shape.Heads; h++)
            {
                AssertZero(result.Probabilities.AsSpan((h * shape.QueryLength + shape.QueryLength - 1) * shape.KeyLength, shape.KeyLength), "probability row");
            }

            AssertFinite(result);
        }
    }

    [Theory]
    [InlineData(MaskKind.Causal)]
    [InlineData(MaskKind.KeyPaddingCausal)]
    [InlineData(MaskKind.WindowCausal)]
    public void Causal_FutureKeysDoNotChangeEarlierOutputs(MaskKind kind)
    {
        var shape = new AttentionShape(2, 9, 9, 2, 8);
        var spec = MaskSpec.Create(kind, shape.Batch, shape.QueryLength, shape.KeyLength, 4);
        var inputs = Inputs.Create(shape, 8);
        const int Changed = 5;
        var before = Run(shape, spec, inputs, null);
        var referenceBefore = RunReference(shape, spec, inputs);

        // Change key and value at position 5 of every batch element and head.
        int width = shape.Heads * shape.HeadDim;
        for (int b = 0; b < shape.Batch; b++)
        {
            for (int d = 0; d < width; d++)
            {
                inputs.K[((b * shape.KeyLength) + Changed) * width + d] += 3f;
                inputs.V[((b * shape.KeyLength) + Changed) * width + d] -= 5f;
            }
        }

        var after = Run(shape, spec, inputs, null);
        var referenceAfter = RunReference(shape, spec, inputs);
        for (int b = 0; b < shape.Batch; b++)
        {
            int rowsBefore = (b * shape.QueryLength + Changed) * width;
            var earlier = new Range(b * shape.QueryLength * width, rowsBefore);
            Assert.Equal(before.Output[earlier], after.Output[earlier]);
            Assert.Equal(referenceBefore.Output[earlier], referenceAfter.Output[earlier]);
        }

        // With plain causal the query at the changed position sees it, so the test can tell a blocked key from a no-op.
        if (kind == MaskKind.Causal)
        {
            var row = new Range(Changed * width, (Changed + 1) * width);
            Assert.NotEqual(before.Output[row], after.Output[row]);
        }
    }

    [Fact]
    public void Window_KeysOutsideTheWindowDoNotMatter()
    {
        // Radius 2: queries 0..3 see keys up to 5, so changing value 6 leaves them unchanged; query 6 sees 4..8.
        var shape = new AttentionShape(1, 9, 9, 1, 8);
        var spec = MaskSpec.Create(MaskKind.Window, 1, 9, 9, 1);
        var inputs = Inputs.Create(shape, 9);
        var before = Run(shape, spec, inputs, null);
        for (int d = 0; d < 8; d++)
        {
            inputs.V[6 * 8 + d] += 2f;
        }

        var after = Run(shape, spec, inputs, null);
        Assert.Equal(before.Output[..(4 * 8)], after.Output[..(4 * 8)]);
        Assert.NotEqual(before.Output[(6 * 8)..(7 * 8)], after.Output[(6 * 8)..(7 * 8)]);
    }

    [Fact]
    public void Backward_Accumulates()
    {
        var shape = new AttentionShape(2, 5, 6, 2, 8);
        var spec = MaskSpec.Create(MaskKind.None, 2, 5, 6, 1);
        var inputs = Inputs.Create(shape, 2);
        var fromZero = Run(shape, spec, inputs, null, initialGradients: false);
        var fromInitial = Run(shape, spec, inputs, null, initialGradients: true);
        for (int i = 0; i < fromZero.DQ.Length; i++)
        {
            Assert.Equal(fromZero.DQ[i] + inputs.InitialDQ[i], fromInitial.DQ[i], 6);
        }

        for (int i = 0; i < fromZero.DK.Length; i++)
        {
            Assert.Equal(fromZero.DK[i] + inputs.InitialDK[i], fromInitial.DK[i], 6);
            Assert.Equal(fromZero.DV[i] + inputs.InitialDV[i], fromInitial.DV[i], 6);
        }
    }

    [Fact]
    public void ArgumentErrors_NameTheArgument()
    {
        var shape = new AttentionShape(2, 3, 4, 2, 4);
        var inputs = Inputs.Create(shape, 1);
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        var scratch = new float[Attention.ScratchLength(3, 4, 1)];
        float[] dQ = new float[shape.QueryCount], dK = new float[shape.KeyCount], dV = new float[shape.KeyCount];

        var error = Assert.Throws<ArgumentException>(() =>
            Attention.Forward(output, probabilities, inputs.Q.AsSpan(1), inputs.K, inputs.V, 2, 3, 4, 2, 4, AttentionMask.None, 0.5f));
        Assert.Contains("q", error.ParamName, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() =>
            Attention.Forward(output, probabilities.AsSpan(1), inputs.Q, inputs.K, inputs.V, 2, 3, 4, 2, 4, AttentionMask.None, 0.5f));
        Assert.Contains("probabilities", error.Message, StringComparison.Ordinal);

        int[] tooLong = [4, 5];
        error = Assert.Throws<ArgumentException>(() =>
            Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, 2, 3, 4, 2, 4, AttentionMask.KeyPadding(tooLong), 0.5f));
        Assert.Equal("mask", error.ParamName);
        Assert.Contains("KeyLengths[1] is 5", error.Message, StringComparison.Ordinal);

        int[] wrongCount = [4];
        error = Assert.Throws<ArgumentException>(() =>
            Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, 2, 3, 4, 2, 4, AttentionMask.KeyPadding(wrongCount), 0.5f));
        Assert.Contains("KeyLengths", error.Message, StringComparison.Ordinal);

        var wrongAdjacency = new bool[5];
        error = Assert.Throws<ArgumentException>(() =>
            Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, 2, 3, 4, 2, 4, AttentionMask.Adjacency(wrongAdjacency), 0.5f));
        Assert.Contains("mask.Allowed", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() =>
            Attention.Backward(dQ, dK.AsSpan(2), dV, output, inputs.Q, inputs.K, inputs.V, probabilities, 2, 3, 4, 2, 4, AttentionMask.None, 0.5f, scratch));
        Assert.Contains("dK", error.ParamName, StringComparison.Ordinal);

        using var pool = new WorkerPool(2);
        error = Assert.Throws<ArgumentException>(() =>
            Attention.Backward(dQ, dK, dV, output, inputs.Q, inputs.K, inputs.V, probabilities, 2, 3, 4, 2, 4, AttentionMask.None, 0.5f, scratch, pool));
        Assert.Contains("scratch", error.ParamName, StringComparison.Ordinal);

        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, 2, 3, 4, 0, 4, AttentionMask.None, 0.5f));
        Assert.Equal("heads", outOfRange.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => AttentionMask.LocalWindow(-1));

        error = Assert.Throws<ArgumentException>(() =>
            AttentionReference.Forward<float>(output, probabilities, inputs.Q, inputs.K.AsSpan(1), inputs.V, 2, 3, 4, 2, 4, AttentionMask.None, 0.5f));
        Assert.Contains("k", error.ParamName, StringComparison.Ordinal);
    }

    internal static void CompareWithReference(MaskKind kind, AttentionShape shape, int seed, WorkerPool? pool)
    {
        var spec = MaskSpec.Create(kind, shape.Batch, shape.QueryLength, shape.KeyLength, seed);
        var inputs = Inputs.Create(shape, seed + 50);
        var tuned = Run(shape, spec, inputs, pool);
        var reference = RunReference(shape, spec, inputs);
        string what = $"{kind} {shape}";
        Compare.Close(reference.Probabilities, tuned.Probabilities, 1e-4, 5e-5, $"probabilities {what}");
        Compare.Close(reference.Output, tuned.Output, 1e-4, 5e-5, $"output {what}");
        Compare.Close(reference.DQ, tuned.DQ, 1e-4, 5e-5, $"dQ {what}");
        Compare.Close(reference.DK, tuned.DK, 1e-4, 5e-5, $"dK {what}");
        Compare.Close(reference.DV, tuned.DV, 1e-4, 5e-5, $"dV {what}");
    }

    private static void AssertZero(ReadOnlySpan<float> values, string what)
    {
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(values[i] == 0f, $"{what}[{i}] = {values[i]}, expected 0");
        }
    }

    private static void AssertFinite(Results result)
    {
        foreach (var values in new[] { result.Output, result.Probabilities, result.DQ, result.DK, result.DV })
        {
            Assert.All(values, x => Assert.True(float.IsFinite(x)));
        }
    }

    /// <summary>Inputs of one test call.</summary>
    internal sealed record Inputs(float[] Q, float[] K, float[] V, float[] DOutput, float[] InitialDQ, float[] InitialDK, float[] InitialDV)
    {
        public static Inputs Create(AttentionShape shape, int seed) => new(
            TestData.Uniform(shape.QueryCount, seed, 1.5f),
            TestData.Uniform(shape.KeyCount, seed + 1, 1.5f),
            TestData.Uniform(shape.KeyCount, seed + 2),
            TestData.Uniform(shape.QueryCount, seed + 3),
            TestData.Uniform(shape.QueryCount, seed + 4),
            TestData.Uniform(shape.KeyCount, seed + 5),
            TestData.Uniform(shape.KeyCount, seed + 6));
    }

    /// <summary>Outputs of one forward + backward.</summary>
    internal sealed record Results(float[] Output, float[] Probabilities, float[] DQ, float[] DK, float[] DV);

    /// <summary>Tuned forward then backward; gradients start from the inputs' initial values (or zero).</summary>
    internal static Results Run(AttentionShape shape, MaskSpec spec, Inputs inputs, WorkerPool? pool, bool initialGradients = true)
    {
        var (b, tq, tk, h, dh) = shape;
        float scale = Attention.DefaultScale(dh);
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        output.AsSpan().Fill(float.NaN); // overwritten, never read
        probabilities.AsSpan().Fill(float.NaN);
        Attention.Forward(output, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, spec.Build(), scale, pool);
        var dQ = initialGradients ? (float[])inputs.InitialDQ.Clone() : new float[shape.QueryCount];
        var dK = initialGradients ? (float[])inputs.InitialDK.Clone() : new float[shape.KeyCount];
        var dV = initialGradients ? (float[])inputs.InitialDV.Clone() : new float[shape.KeyCount];
        var scratch = new float[Attention.ScratchLength(tq, tk, pool?.ThreadCount ?? 1)];
        scratch.AsSpan().Fill(float.NaN);
        Attention.Backward(dQ, dK, dV, inputs.DOutput, inputs.Q, inputs.K, inputs.V, probabilities, b, tq, tk, h, dh, spec.Build(), scale, scratch, pool);
        return new Results(output, probabilities, dQ, dK, dV);
    }

    /// <summary>Float reference forward then backward, gradients starting from the initial values (zero when all zero).</summary>
    private static Results RunReference(AttentionShape shape, MaskSpec spec, Inputs inputs, bool initialGradients = true)
    {
        var (b, tq, tk, h, dh) = shape;
        float scale = Attention.DefaultScale(dh);
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        AttentionReference.Forward<float>(output, probabilities, inputs.Q, inputs.K, inputs.V, b, tq, tk, h, dh, spec.Build(), scale);
        var dQ = initialGradients ? (float[])inputs.InitialDQ.Clone() : new float[shape.QueryCount];
        var dK = initialGradients ? (float[])inputs.InitialDK.Clone() : new float[shape.KeyCount];
        var dV = initialGradients ? (float[])inputs.InitialDV.Clone() : new float[shape.KeyCount];
        AttentionReference.Backward<float>(dQ, dK, dV, inputs.DOutput, inputs.Q, inputs.K, inputs.V, probabilities, b, tq, tk, h, dh, spec.Build(), scale);
        return new Results(output, probabilities, dQ, dK, dV);
    }
}

public sealed class AttentionAllocationTests
{
    public static readonly TheoryData<MaskKind> AllMasks = AttentionTests.AllMasks;

    [Theory]
    [MemberData(nameof(AllMasks))]
    public void ForwardAndBackward_AllocateNothing(MaskKind kind)
    {
        AllocatesNothing(kind, new AttentionShape(2, 16, 16, 2, 8));
        AllocatesNothing(kind, new AttentionShape(2, 100, 100, 2, 8)); // 100 keys: the blocked path, causal too
    }

    private static void AllocatesNothing(MaskKind kind, AttentionShape shape)
    {
        var (b, tq, tk, h, dh) = shape;
        var spec = MaskSpec.Create(kind, b, tq, tk, 1);
        using var pool = new WorkerPool(2);
        var q = TestData.Uniform(shape.QueryCount, 1);
        var k = TestData.Uniform(shape.KeyCount, 2);
        var v = TestData.Uniform(shape.KeyCount, 3);
        var dOut = TestData.Uniform(shape.QueryCount, 4);
        var output = new float[shape.QueryCount];
        var probabilities = new float[shape.ProbabilityCount];
        var dQ = new float[shape.QueryCount];
        var dK = new float[shape.KeyCount];
        var dV = new float[shape.KeyCount];
        var scratch = new float[Attention.ScratchLength(tq, tk, pool.ThreadCount)];
        float scale = Attention.DefaultScale(dh);
        long bytes = Allocations.Measure(() =>
        {
            var mask = spec.Build();
            Attention.Forward(output, probabilities, q, k, v, b, tq, tk, h, dh, mask, scale, pool);
            Attention.Backward(dQ, dK, dV, dOut, q, k, v, probabilities, b, tq, tk, h, dh, mask, scale, scratch, pool);
        });
        Assert.Equal(0, bytes);
    }
}
