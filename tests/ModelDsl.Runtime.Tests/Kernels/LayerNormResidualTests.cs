using System;
using System.Linq;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

/// <summary>
/// The residual add fused with LayerNorm (<see cref="LayerNorm.ForwardResidual"/>, <see cref="LayerNorm.BackwardResidual"/>):
/// the same bits as <see cref="Residual"/> then <see cref="LayerNorm"/> (forward) and LayerNorm's backward into a zeroed
/// dSum then the residual's (backward), on one and two threads; and close to the double reference.
/// </summary>
public sealed class LayerNormResidualTests
{
    /// <summary>Rows: one, a few, and more than one 64-row parameter chunk; widths with and without vector tails.</summary>
    public static readonly TheoryData<int, int> Shapes = new()
    {
        { 1, 5 },
        { 7, 24 },
        { 200, 64 },
        { 130, 130 },
        { 300, 256 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fused_EqualsResidualThenLayerNorm_BitForBit(int rows, int width)
    {
        var problem = Problem.Create(rows, width);
        var expected = problem.Unfused(null);
        foreach (int threads in new[] { 1, 2 })
        {
            using var pool = new WorkerPool(threads);
            Assert.Equal(expected, problem.Fused(pool));
            Assert.Equal(expected, problem.Unfused(pool));
        }

        Assert.Equal(expected, problem.Fused(null));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fused_MatchesDoubleReference(int rows, int width)
    {
        // Tolerance: float against double on O(1) values; LayerNorm's rows of up to 256 and the dWeight/dBias sums over up to
        // 300 rows round to a few 1e-6 relative, so rtol 1e-4 / atol 1e-4 is loose for rounding and far below a wrong or missing
        // term (the residual's own contribution to each gradient is O(1)).
        var problem = Problem.Create(rows, width);
        var fused = problem.Fused(null);
        var reference = problem.Reference();
        for (int i = 0; i < fused.Length; i++)
        {
            for (int j = 0; j < fused[i].Length; j++)
            {
                Assert.True(Math.Abs(fused[i][j] - reference[i][j]) <= 1e-4 + (1e-4 * Math.Abs(reference[i][j])), $"array {i}, element {j}: {fused[i][j]} vs {reference[i][j]}");
            }
        }
    }

    [Fact]
    public void Fused_AllocatesNothing()
    {
        var problem = Problem.Create(300, 128);
        using var pool = new WorkerPool(2);
        problem.Fused(pool);
        long bytes = Allocations.Measure(() => problem.RunFused(pool));
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Fused_WrongLengths_NameTheArgument()
    {
        var problem = Problem.Create(4, 8);
        var error = Assert.Throws<ArgumentException>(() => LayerNorm.ForwardResidual(
            new float[32], new float[31], new float[4], new float[4], problem.Input, problem.Branch, problem.Weight, problem.Bias, 4, 8));
        Assert.Equal("sum", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => LayerNorm.BackwardResidual(
            new float[32], new float[33], new float[8], new float[8], problem.DOutput, new float[32], problem.Weight, new float[4], new float[4], 4, 8));
        Assert.Equal("dBranch", error.ParamName);
    }

    private sealed record Problem(int Rows, int Width, float[] Input, float[] Branch, float[] Weight, float[] Bias, float[] DOutput,
        float[] InitialDInput, float[] InitialDBranch, float[] InitialDWeight, float[] InitialDBias)
    {
        private readonly float[] _output = new float[Rows * Width], _sum = new float[Rows * Width], _mean = new float[Rows], _rstd = new float[Rows];
        private readonly float[] _dInput = new float[Rows * Width], _dBranch = new float[Rows * Width], _dWeight = new float[Width], _dBias = new float[Width];

        public static Problem Create(int rows, int width) => new(
            rows, width,
            TestData.Uniform(rows * width, 1, 2f), TestData.Uniform(rows * width, 2), TestData.Uniform(width, 3), TestData.Uniform(width, 4),
            TestData.Uniform(rows * width, 5), TestData.Uniform(rows * width, 6), TestData.Uniform(rows * width, 7),
            TestData.Uniform(width, 8), TestData.Uniform(width, 9));

        /// <summary>Output, sum, mean, rstd, dInput, dBranch, dWeight, dBias of the fused kernels.</summary>
        public float[][] Fused(WorkerPool? pool)
        {
            RunFused(pool);
            return Results();
        }

        /// <summary>The fused forward and backward into this problem's buffers (gradients reset to their initial values).</summary>
        public void RunFused(WorkerPool? pool)
        {
            Reset();
            LayerNorm.ForwardResidual(_output, _sum, _mean, _rstd, Input, Branch, Weight, Bias, Rows, Width, pool: pool);
            LayerNorm.BackwardResidual(_dInput, _dBranch, _dWeight, _dBias, DOutput, _sum, Weight, _mean, _rstd, Rows, Width, pool);
        }

        /// <summary>The same through Residual.Forward, LayerNorm.Forward, LayerNorm.Backward into a zeroed dSum, Residual.Backward.</summary>
        public float[][] Unfused(WorkerPool? pool)
        {
            Reset();
            Residual.Forward(_sum, Input, Branch, pool);
            LayerNorm.Forward(_output, _mean, _rstd, _sum, Weight, Bias, Rows, Width, pool: pool);
            var dSum = new float[Rows * Width];
            LayerNorm.Backward(dSum, _dWeight, _dBias, DOutput, _sum, Weight, _mean, _rstd, Rows, Width, pool);
            Residual.Backward(_dInput, _dBranch, dSum, pool);
            return Results();
        }

        /// <summary>The double reference, rounded to float.</summary>
        public float[][] Reference()
        {
            int size = Rows * Width;
            double[] sum = new double[size], output = new double[size], mean = new double[Rows], rstd = new double[Rows];
            for (int i = 0; i < size; i++)
            {
                sum[i] = (double)Input[i] + Branch[i];
            }

            double[] weight = Array.ConvertAll(Weight, x => (double)x), bias = Array.ConvertAll(Bias, x => (double)x);
            LayerNormReference.Forward<double>(output, mean, rstd, sum, weight, bias, Rows, Width);
            double[] dSum = new double[size], dWeight = Array.ConvertAll(InitialDWeight, x => (double)x), dBias = Array.ConvertAll(InitialDBias, x => (double)x);
            LayerNormReference.Backward<double>(dSum, dWeight, dBias, Array.ConvertAll(DOutput, x => (double)x), sum, weight, mean, rstd, Rows, Width);
            double[] dInput = new double[size], dBranch = new double[size];
            for (int i = 0; i < size; i++)
            {
                dInput[i] = InitialDInput[i] + dSum[i];
                dBranch[i] = InitialDBranch[i] + dSum[i];
            }

            return [.. new[] { output, sum, mean, rstd, dInput, dBranch, dWeight, dBias }.Select(a => Array.ConvertAll(a, x => (float)x))];
        }

        private void Reset()
        {
            InitialDInput.CopyTo(_dInput, 0);
            InitialDBranch.CopyTo(_dBranch, 0);
            InitialDWeight.CopyTo(_dWeight, 0);
            InitialDBias.CopyTo(_dBias, 0);
        }

        private float[][] Results() =>
            [(float[])_output.Clone(), (float[])_sum.Clone(), (float[])_mean.Clone(), (float[])_rstd.Clone(),
             (float[])_dInput.Clone(), (float[])_dBranch.Clone(), (float[])_dWeight.Clone(), (float[])_dBias.Clone()];
    }
}
