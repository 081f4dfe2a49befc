using System;
using ModelDsl.Kernels;
using Xunit;

namespace ModelDsl.Runtime.Tests.Kernels;

public sealed class ConcatTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 2)]
    [InlineData(4, 8, 9)]
    public void Forward_places_left_then_right_and_backward_splits_and_accumulates(int rows, int a, int b)
    {
        var random = new Random(rows * 100 + a * 10 + b);
        float[] left = Random(random, rows * a), right = Random(random, rows * b), dOutput = Random(random, rows * (a + b));
        var output = new float[rows * (a + b)];
        Concat.Forward(output, left, right, rows, a, b);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < a + b; j++)
            {
                float expected = j < a ? left[(r * a) + j] : right[(r * b) + j - a];
                Assert.Equal(expected, output[(r * (a + b)) + j]);
            }
        }

        // Backward accumulates: start from non-zero gradients and check old + the matching part of dOutput.
        float[] dLeft = Random(random, rows * a), dRight = Random(random, rows * b);
        float[] oldLeft = (float[])dLeft.Clone(), oldRight = (float[])dRight.Clone();
        Concat.Backward(dLeft, dRight, dOutput, rows, a, b);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < a; j++)
            {
                Assert.Equal(oldLeft[(r * a) + j] + dOutput[(r * (a + b)) + j], dLeft[(r * a) + j]);
            }

            for (int j = 0; j < b; j++)
            {
                Assert.Equal(oldRight[(r * b) + j] + dOutput[(r * (a + b)) + a + j], dRight[(r * b) + j]);
            }
        }
    }

    [Fact]
    public void Wrong_lengths_name_the_argument()
    {
        var error = Assert.Throws<ArgumentException>(() => Concat.Forward(new float[5], new float[2], new float[2], 2, 1, 1));
        Assert.Equal("output", error.ParamName);
    }

    private static float[] Random(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
