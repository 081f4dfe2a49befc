using System;
using ModelDsl.Kernels;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

/// <summary>The [Add] layer's kernel pair.</summary>
public sealed class SumTests
{
    [Fact]
    public void Forward_adds_and_Backward_hands_the_gradient_to_both()
    {
        float[] output = new float[3], dLeft = [1f, 1f, 1f], dRight = [0f, 0f, 0f];
        Sum.Forward(output, [1f, 2f, 3f], [10f, -2f, 0.5f], 3);
        Assert.Equal([11f, 0f, 3.5f], output);
        Sum.Backward(dLeft, dRight, [0.5f, -1f, 2f], 3);
        Assert.Equal([1.5f, 0f, 3f], dLeft);
        Assert.Equal([0.5f, -1f, 2f], dRight);
        Sum.Backward(default, dRight, [1f, 1f, 1f], 3); // an input without gradient (empty span) takes nothing
        Assert.Equal([1.5f, 0f, 3f], dRight);
        Assert.Throws<ArgumentException>(() => Sum.Forward(output, new float[2], new float[3], 3));
    }

    [Fact]
    public void Allocates_nothing()
    {
        float[] a = TestData.Uniform(100, seed: 1), b = TestData.Uniform(100, seed: 2), o = new float[100];
        Assert.Equal(0, Allocations.Measure(() =>
        {
            Sum.Forward(o, a, b, 100);
            Sum.Backward(a, b, o, 100);
        }));
    }
}
