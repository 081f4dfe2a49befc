using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

public sealed class EmbeddingTests
{
    private static int[] Ids(int count, int vocabulary, int seed)
    {
        var random = new System.Random(seed);
        var ids = new int[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = random.Next(vocabulary);
        }

        return ids;
    }

    [Fact]
    public void Forward_GathersRows_AsReference()
    {
        foreach (int width in new[] { 1, 7, 8, 15, 16, 17, 33, 1000 })
        {
            const int Vocabulary = 11;
            int[] ids = Ids(9, Vocabulary, seed: width);
            float[] table = TestData.Uniform(Vocabulary * width, seed: width);
            float[] output = new float[ids.Length * width];
            Embedding.Forward(output, table, ids, Vocabulary, width);
            float[] expected = new float[output.Length];
            EmbeddingReference.Forward<float>(expected, table, ids, Vocabulary, width);
            Assert.Equal(expected, output);   // a copy: exact
            Assert.Equal(table[ids[3] * width], output[3 * width]);
        }
    }

    [Fact]
    public void Backward_ScatterAddsRepeatedIds_AsReference()
    {
        foreach (int width in new[] { 1, 7, 8, 17, 33 })
        {
            const int Vocabulary = 5;
            int[] ids = Ids(40, Vocabulary, seed: width);   // 40 ids over 5 rows: every row repeats
            float[] dOut = TestData.Uniform(ids.Length * width, seed: width);
            float[] dTable = TestData.Uniform(Vocabulary * width, seed: width + 1);
            float[] expected = (float[])dTable.Clone();
            Embedding.Backward(dTable, dOut, ids, Vocabulary, width, paddingIndex: 2);
            EmbeddingReference.Backward<float>(expected, dOut, ids, Vocabulary, width, paddingIndex: 2);
            // Both add the positions of one row in order n = 0, 1, ... to the same start value: the same bits.
            Assert.Equal(expected, dTable);
        }
    }

    [Fact]
    public void Reference_GradientMatchesCentralDifferences()
    {
        const int Vocabulary = 6, Width = 5;
        int[] ids = { 0, 3, 3, 5, 1, 3, 0 };
        double[] table = TestData.UniformDouble(Vocabulary * Width, seed: 1);
        double[] dOut = TestData.UniformDouble(ids.Length * Width, seed: 2);
        double[] dTable = new double[table.Length];
        EmbeddingReference.Backward<double>(dTable, dOut, ids, Vocabulary, Width);
        double[] y = new double[dOut.Length];
        GradientCheck.Check("table", table, dTable, () =>
        {
            EmbeddingReference.Forward<double>(y, table, ids, Vocabulary, Width);
            return GradientCheck.Dot(dOut, y);
        });
    }

    [Fact]
    public void PaddingRow_GetsNoGradient_ButIsStillRead()
    {
        const int Vocabulary = 4, Width = 3;
        int[] ids = { 0, 1, 0, 3 };
        float[] table = TestData.Uniform(Vocabulary * Width, seed: 3);
        float[] output = new float[ids.Length * Width];
        Embedding.Forward(output, table, ids, Vocabulary, Width, paddingIndex: 0);
        Assert.Equal(table[0], output[0]);   // PyTorch reads the padding row too (it is zero there by initialization)

        float[] dOut = { 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4 };
        float[] dTable = new float[Vocabulary * Width];
        Embedding.Backward(dTable, dOut, ids, Vocabulary, Width, paddingIndex: 0);
        Assert.Equal(new float[] { 0, 0, 0, 2, 2, 2, 0, 0, 0, 4, 4, 4 }, dTable);
    }

    [Fact]
    public void IdOutsideVocabulary_NamesPositionIdAndVocabulary()
    {
        int[] ids = { 1, 2, 3, 4, 5, 1200 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Embedding.Forward(new float[6 * 2], new float[1000 * 2], ids, 1000, 2));
        Assert.Equal("ids", e.ParamName);
        Assert.Contains("ids[5] = 1200 is outside the vocabulary [0, 1000)", e.Message, StringComparison.Ordinal);

        ids[5] = 0;
        ids[2] = -1;
        e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Embedding.Backward(new float[1000 * 2], new float[6 * 2], ids, 1000, 2));
        Assert.Contains("ids[2] = -1 is outside the vocabulary [0, 1000)", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentOutOfRangeException>(() => OneHot.Forward(new float[2 * 3], new[] { 0, 3 }, 3));
        Assert.Contains("ids[1] = 3 is outside the vocabulary [0, 3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadPaddingIndex_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Embedding.Forward(new float[2], new float[4], new[] { 0, 1 }, 4, 1, paddingIndex: 4));
        Assert.Equal("paddingIndex", e.ParamName);
    }

    [Fact]
    public void WrongLengths_NameTheArgument()
    {
        var e = Assert.Throws<ArgumentException>(() => Embedding.Forward(new float[5], new float[8], new[] { 0, 1, 2 }, 4, 2));
        Assert.Equal("output", e.ParamName);
        Assert.Contains("output", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Embedding.Backward(new float[7], new float[6], new[] { 0, 1, 2 }, 4, 2));
        Assert.Equal("dTable", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => OneHot.Forward(new float[5], new[] { 0, 1 }, 3));
        Assert.Equal("output", e.ParamName);
    }

    [Fact]
    public void OneHot_MatchesHandAndReference()
    {
        float[] output = TestData.Uniform(3 * 4, seed: 1);   // overwritten entirely
        OneHot.Forward(output, new[] { 2, 0, 3 }, 4);
        Assert.Equal(new float[] { 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1 }, output);

        int[] ids = Ids(33, 17, seed: 4);
        float[] tuned = new float[33 * 17];
        float[] reference = new float[33 * 17];
        OneHot.Forward(tuned, ids, 17);
        OneHotReference.Forward<float>(reference, ids, 17);
        Assert.Equal(reference, tuned);
    }
}

public sealed class EmbeddingAllocationTests
{
    [Fact]
    public void ForwardAndBackward_AllocateNothing()
    {
        const int Vocabulary = 1000, Width = 64;
        int[] ids = new int[32 * 64];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (i * 37) % Vocabulary;
        }

        float[] table = TestData.Uniform(Vocabulary * Width, seed: 1);
        float[] output = new float[ids.Length * Width];
        float[] dTable = new float[table.Length];
        Assert.Equal(0, Allocations.Measure(() =>
        {
            Embedding.Forward(output, table, ids, Vocabulary, Width, paddingIndex: 0);
            Embedding.Backward(dTable, output, ids, Vocabulary, Width, paddingIndex: 0);
        }));
    }
}
