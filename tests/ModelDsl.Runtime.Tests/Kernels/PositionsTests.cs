using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

public sealed class PositionsTests
{
    [Fact]
    public void Sinusoidal_MatchesThePaperByHand()
    {
        // D = 5: frequencies 1, 10000^(-2/5) = 1/40 (to 2.5e-2·...), 10000^(-4/5); last column (odd D) is a sine.
        const int Width = 5;
        float[] table = new float[3 * Width];
        SinusoidalPositions.Fill(table, 3, Width);
        Assert.Equal(new float[] { 0, 1, 0, 1, 0 }, table.AsSpan(0, Width).ToArray());
        for (int pos = 1; pos < 3; pos++)
        {
            double w1 = Math.Pow(10000, -2.0 / 5), w2 = Math.Pow(10000, -4.0 / 5);
            double[] expected = { Math.Sin(pos), Math.Cos(pos), Math.Sin(pos * w1), Math.Cos(pos * w1), Math.Sin(pos * w2) };
            Compare.Close(TestData.ToSingle(expected), table.AsSpan(pos * Width, Width), rtol: 0, atol: 1e-7, $"PE[{pos}]");
        }
    }

    [Fact]
    public void Sinusoidal_MatchesReference()
    {
        // Tolerance: both are exact to float rounding (the reference computes 10000^(-2i/D) as exp(-ln 10000·2i/D)
        // in double), so atol 1e-7 (about one float ulp of values in [-1, 1]).
        foreach (int width in new[] { 1, 7, 8, 15, 16, 17, 33, 64 })
        {
            float[] table = new float[50 * width];
            SinusoidalPositions.Fill(table, 50, width);
            double[] expected = new double[table.Length];
            PositionsReference.FillSinusoidal<double>(expected, 50, width);
            Compare.Close(TestData.ToSingle(expected), table, rtol: 0, atol: 1e-7, $"width {width}");
        }
    }

    [Fact]
    public void Forward_AddsTheFirstRowsOfALongerTable_AsReference()
    {
        foreach (int width in new[] { 1, 7, 8, 15, 16, 17, 33, 1000 })
        {
            const int Batch = 3, Length = 4, MaxLength = 6;
            float[] table = new float[MaxLength * width];
            SinusoidalPositions.Fill(table, MaxLength, width);
            float[] x = TestData.Uniform(Batch * Length * width, seed: width);
            float[] y = new float[x.Length];
            SinusoidalPositions.Forward(y, x, table, Batch, Length, width);
            float[] expected = new float[x.Length];
            PositionsReference.Forward<float>(expected, x, table, Batch, Length, width);
            Assert.Equal(expected, y);   // one float addition each: exact

            LearnedPositions.Forward(x, x, table, Batch, Length, width);   // in place
            Assert.Equal(expected, x);
        }
    }

    [Fact]
    public void SinusoidalBackward_IsIdentity()
    {
        float[] dOut = TestData.Uniform(2 * 3 * 4, seed: 1);
        float[] dIn = TestData.Uniform(2 * 3 * 4, seed: 2);
        float[] expected = new float[dIn.Length];
        for (int i = 0; i < dIn.Length; i++)
        {
            expected[i] = dIn[i] + dOut[i];
        }

        SinusoidalPositions.Backward(dIn, dOut, 2, 3, 4);
        Assert.Equal(expected, dIn);
    }

    [Fact]
    public void LearnedBackward_SumsOverBatch_AsReference()
    {
        // Tolerance: the reference sums the batch first, the kernel adds each batch into the table:
        // different float rounding of a ≤ 5-term sum, so rtol 1e-6 atol 1e-6.
        foreach (int width in new[] { 1, 7, 8, 15, 16, 17, 33, 1000 })
        {
            const int Batch = 5, Length = 3, MaxLength = 4;
            float[] dOut = TestData.Uniform(Batch * Length * width, seed: width);
            float[] dIn = TestData.Uniform(dOut.Length, seed: width + 1);
            float[] dTable = TestData.Uniform(MaxLength * width, seed: width + 2);
            float[] dInRef = (float[])dIn.Clone(), dTableRef = (float[])dTable.Clone();
            LearnedPositions.Backward(dIn, dTable, dOut, Batch, Length, width);
            PositionsReference.Backward<float>(dInRef, dTableRef, dOut, Batch, Length, width);
            Compare.Close(dInRef, dIn, 0, 0, "dInput");
            Compare.Close(dTableRef, dTable, 1e-6, 1e-6, "dTable");
            float[] untouched = TestData.Uniform(MaxLength * width, seed: width + 2);
            Assert.Equal(untouched.AsSpan(Length * width).ToArray(), dTable.AsSpan(Length * width).ToArray());
        }
    }

    [Fact]
    public void Reference_GradientMatchesCentralDifferences()
    {
        const int Batch = 3, Length = 4, Width = 5;
        double[] x = TestData.UniformDouble(Batch * Length * Width, seed: 1);
        double[] table = TestData.UniformDouble(Length * Width, seed: 2);
        double[] dOut = TestData.UniformDouble(x.Length, seed: 3);
        double[] dX = new double[x.Length], dTable = new double[table.Length];
        PositionsReference.Backward<double>(dX, dTable, dOut, Batch, Length, Width);
        double[] y = new double[x.Length];
        Func<double> loss = () =>
        {
            PositionsReference.Forward<double>(y, x, table, Batch, Length, Width);
            return GradientCheck.Dot(dOut, y);
        };
        GradientCheck.Check("x", x, dX, loss);
        GradientCheck.Check("table", table, dTable, loss);
    }

    [Fact]
    public void WrongLengths_NameTheArgument()
    {
        var e = Assert.Throws<ArgumentException>(() => SinusoidalPositions.Fill(new float[11], 3, 4));
        Assert.Equal("table", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => SinusoidalPositions.Forward(new float[24], new float[24], new float[11], 2, 3, 4));
        Assert.Equal("table", e.ParamName);
        Assert.Contains("at least 12", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => LearnedPositions.Backward(new float[24], new float[12], new float[23], 2, 3, 4));
        Assert.Equal("dOutput", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => LearnedPositions.Backward(new float[24], new float[13], new float[24], 2, 3, 4));
        Assert.Equal("dTable", e.ParamName);
    }
}

public sealed class PositionsAllocationTests
{
    [Fact]
    public void ForwardAndBackward_AllocateNothing()
    {
        const int Batch = 8, Length = 64, Width = 64;
        float[] table = new float[128 * Width];
        SinusoidalPositions.Fill(table, 128, Width);
        float[] x = TestData.Uniform(Batch * Length * Width, seed: 1);
        float[] y = new float[x.Length];
        float[] dTable = new float[table.Length];
        Assert.Equal(0, Allocations.Measure(() =>
        {
            SinusoidalPositions.Forward(y, x, table, Batch, Length, Width);
            SinusoidalPositions.Backward(y, x, Batch, Length, Width);
            LearnedPositions.Forward(y, x, table, Batch, Length, Width);
            LearnedPositions.Backward(y, dTable, x, Batch, Length, Width);
        }));
    }
}
