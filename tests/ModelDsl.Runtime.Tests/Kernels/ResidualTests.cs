using System;
using ModelDsl.Kernels;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;
using Xunit;

namespace ModelDsl.Runtime.Tests.Kernels;

public sealed class ResidualTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(40_003)] // over the 16K-element threshold: two threads split it, with a tail
    public void ForwardAddsAndBackwardAccumulatesIntoBoth_OnOneAndTwoThreads(int n)
    {
        var input = TestData.Uniform(n, 1);
        var branch = TestData.Uniform(n, 2);
        var dOutput = TestData.Uniform(n, 3);
        using var pool = new WorkerPool(2);
        foreach (var threads in new WorkerPool?[] { null, pool })
        {
            var output = new float[n];
            Residual.Forward(output, input, branch, threads);
            var dInput = TestData.Uniform(n, 4);
            var dBranch = TestData.Uniform(n, 5);
            var startInput = (float[])dInput.Clone();
            var startBranch = (float[])dBranch.Clone();
            Residual.Backward(dInput, dBranch, dOutput, threads);
            for (int i = 0; i < n; i++)
            {
                // One float addition each: exact comparison with the same addition done here.
                Assert.Equal(input[i] + branch[i], output[i]);
                Assert.Equal(startInput[i] + dOutput[i], dInput[i]);
                Assert.Equal(startBranch[i] + dOutput[i], dBranch[i]);
            }
        }
    }

    [Fact]
    public void Forward_InPlaceOnTheInput()
    {
        var x = new float[] { 1, 2, 3 };
        Residual.Forward(x, x, new float[] { 10, 20, 30 });
        Assert.Equal(new float[] { 11, 22, 33 }, x);
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheArgument()
    {
        Assert.Equal("branch", Assert.Throws<ArgumentException>(() => Residual.Forward(new float[3], new float[3], new float[2])).ParamName);
        Assert.Equal("dBranch", Assert.Throws<ArgumentException>(() => Residual.Backward(new float[3], new float[2], new float[3])).ParamName);
    }
}
