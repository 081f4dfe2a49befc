using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

public sealed class PoolingTests
{
    public static TheoryData<PoolingKind, int, int, int> Shapes()
    {
        var data = new TheoryData<PoolingKind, int, int, int>();
        foreach (var kind in new[] { PoolingKind.Mean, PoolingKind.First, PoolingKind.Last })
        {
            data.Add(kind, 1, 1, 1);
            data.Add(kind, 3, 5, 7);
            data.Add(kind, 2, 9, 17);
        }

        return data;
    }

    private static int[] Lengths(int batch, int length)
    {
        // Include a full sequence, a length-1 sequence and an empty one when the batch allows.
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            lengths[b] = b switch { 0 => length, 1 => 1, 2 => 0, _ => length / 2 };
        }

        return lengths;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Reference_Backward_MatchesFiniteDifferences(PoolingKind kind, int batch, int length, int width)
    {
        var lengths = Lengths(batch, length);
        var x = TestData.UniformDouble(batch * length * width, seed: 1);
        var dOut = TestData.UniformDouble(batch * width, seed: 2);
        var output = new double[batch * width];
        double Loss()
        {
            PoolingReference.Forward<double>(output, x, lengths, batch, length, width, kind);
            return GradientCheck.Dot(output, dOut);
        }

        var dx = new double[x.Length];
        PoolingReference.Backward<double>(dx, dOut, lengths, batch, length, width, kind);
        GradientCheck.Check("dInput", x, dx, Loss);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Tuned_EqualsReference(PoolingKind kind, int batch, int length, int width)
    {
        var lengths = Lengths(batch, length);
        var x = TestData.Uniform(batch * length * width, seed: 3);
        var dOut = TestData.Uniform(batch * width, seed: 4);
        var expected = new float[batch * width];
        var actual = new float[batch * width];
        PoolingReference.Forward<float>(expected, x, lengths, batch, length, width, kind);
        Pooling.Forward(actual, x, lengths, batch, length, width, kind);
        // Mean sums at most 9 terms in a different order (vectorized adds, then one multiply by 1/n
        // instead of a division): a few ulps.
        Compare.Close(expected, actual, rtol: 1e-6, atol: 1e-6, "pooled");

        var dExpected = TestData.Uniform(x.Length, seed: 5);
        var dActual = (float[])dExpected.Clone();
        PoolingReference.Backward<float>(dExpected, dOut, lengths, batch, length, width, kind);
        Pooling.Backward(dActual, dOut, lengths, batch, length, width, kind);
        Compare.Close(dExpected, dActual, rtol: 1e-6, atol: 1e-6, "dInput");
    }

    [Fact]
    public void Mean_IgnoresPaddedPositions()
    {
        // [B=1, T=3, D=2]: the padded third position must not change the mean of the first two.
        float[] x = [1, 2, 3, 4, 1000, -1000];
        var pooled = new float[2];
        Pooling.Forward(pooled, x, [2], 1, 3, 2, PoolingKind.Mean);
        Assert.Equal([2f, 3f], pooled);

        Pooling.Forward(pooled, x, [2], 1, 3, 2, PoolingKind.Last);
        Assert.Equal([3f, 4f], pooled);

        var dx = new float[6];
        Pooling.Backward(dx, [1f, 1f], [2], 1, 3, 2, PoolingKind.Mean);
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f, 0f, 0f], dx);
    }

    [Fact]
    public void EmptySequence_PoolsToZero()
    {
        var pooled = new float[] { 9, 9 };
        Pooling.Forward(pooled, [1f, 2f], [0], 1, 1, 2, PoolingKind.Mean);
        Assert.Equal([0f, 0f], pooled);
    }

    [Fact]
    public void LengthOutOfRange_NamesTheEntry()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Pooling.Forward(new float[4], new float[12], [3, 4], 2, 3, 2, PoolingKind.Mean));
        Assert.Contains("lengths[1] = 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongInputLength_NamesTheArgument()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Pooling.Forward(new float[4], new float[11], [], 2, 3, 2, PoolingKind.First));
        Assert.Contains("input has 11 elements; expected 12", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Residual_ForwardAndBackward()
    {
        float[] a = [1, 2, 3], b = [10, 20, 30];
        var output = new float[3];
        Residual.Forward(output, a, b);
        Assert.Equal([11f, 22f, 33f], output);

        float[] da = [1, 1, 1], db = [0, 0, 0];
        Residual.Backward(da, db, [0.5f, -1f, 2f]);
        Assert.Equal([1.5f, 0f, 3f], da);
        Assert.Equal([0.5f, -1f, 2f], db);
        Assert.Throws<ArgumentException>(() => Residual.Forward(output, a, [1f]));
    }
}

public sealed class PoolingAllocationTests
{
    [Fact]
    public void ForwardAndBackward_AllocateNothing()
    {
        var x = TestData.Uniform(4 * 16 * 32, seed: 1);
        var dx = new float[x.Length];
        var pooled = new float[4 * 32];
        int[] lengths = [16, 3, 0, 9];
        long bytes = Allocations.Measure(() =>
        {
            foreach (var kind in new[] { PoolingKind.Mean, PoolingKind.First, PoolingKind.Last })
            {
                Pooling.Forward(pooled, x, lengths, 4, 16, 32, kind);
                Pooling.Backward(dx, pooled, lengths, 4, 16, 32, kind);
            }
        });
        Assert.Equal(0, bytes);
    }
}
