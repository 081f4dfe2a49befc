using System;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Kernels;

/// <summary>
/// The pointer-generator head (See et al. 2017): the reference's backward against central differences for every input and
/// the gate's parameters, the output is a normalized log-distribution that is finite for extreme logits, the copy weights
/// land on the source ids, bad ids are refused by name, and the float kernel allocates nothing.
/// </summary>
public sealed class PointerGeneratorTests
{
    [Theory]
    [InlineData(1, 1, 3, 4, 3, 6, false)] // one row, three source positions
    [InlineData(2, 3, 5, 4, 2, 7, false)] // two items, three queries each (training layout)
    [InlineData(3, 2, 4, 3, 5, 9, true)] // an item with no valid source position
    public void Reference_GradientsMatchCentralDifferences(int items, int queries, int source, int width, int inputWidth, int vocabulary, bool emptyItem)
    {
        int rows = items * queries, seed = (items * 100) + (queries * 10) + source;
        var shape = new PointerGeneratorShape(rows, queries, source, width, inputWidth, vocabulary);
        double[] logits = TestData.UniformDouble(rows * vocabulary, seed, 2);
        double[] query = TestData.UniformDouble(rows * width, seed + 1);
        double[] state = TestData.UniformDouble(rows * width, seed + 2);
        double[] input = TestData.UniformDouble(rows * inputWidth, seed + 3);
        double[] memory = TestData.UniformDouble(items * source * width, seed + 4);
        double[] gateWeight = TestData.UniformDouble((2 * width) + inputWidth, seed + 5);
        double[] gateBias = TestData.UniformDouble(1, seed + 6);
        double[] dOutput = TestData.UniformDouble(rows * vocabulary, seed + 7);
        (int[] ids, int[] lengths) = SourceTokens(items, source, vocabulary, emptyItem);

        var output = new double[rows * vocabulary];
        var weights = new double[rows * source];
        var context = new double[rows * width];
        var gate = new double[rows];
        var scratch = new double[PointerGenerator.ScratchLength(vocabulary, source)];
        double Loss()
        {
            PointerGeneratorReference.Forward<double>(output, weights, context, gate, logits, query, state, input, memory, ids, lengths, gateWeight, gateBias, shape, scratch);
            return GradientCheck.Dot(output, dOutput);
        }

        Loss();
        var dLogits = new double[logits.Length];
        var dQuery = new double[query.Length];
        var dState = new double[state.Length];
        var dInput = new double[input.Length];
        var dMemory = new double[memory.Length];
        var dGateWeight = new double[gateWeight.Length];
        var dGateBias = new double[1];
        PointerGeneratorReference.Backward<double>(dLogits, dQuery, dState, dInput, dMemory, dGateWeight, dGateBias, dOutput, output, weights, context, gate,
            logits, query, state, input, memory, ids, lengths, gateWeight, shape, scratch);
        GradientCheck.Check("dLogits", logits, dLogits, Loss);
        GradientCheck.Check("dQuery", query, dQuery, Loss);
        GradientCheck.Check("dState", state, dState, Loss);
        GradientCheck.Check("dInput", input, dInput, Loss);
        GradientCheck.Check("dMemory", memory, dMemory, Loss);
        GradientCheck.Check("dGateWeight", gateWeight, dGateWeight, Loss);
        GradientCheck.Check("dGateBias", gateBias, dGateBias, Loss);
    }

    [Fact]
    public void Forward_IsANormalizedLogDistribution_WithTheCopyWeightsOnTheSourceIds()
    {
        const int Source = 4, Width = 3, Vocabulary = 6;
        var shape = new PointerGeneratorShape(1, 1, Source, Width, Width, Vocabulary);
        float[] logits = TestData.Uniform(Vocabulary, 1, 2f), query = TestData.Uniform(Width, 2), state = TestData.Uniform(Width, 3);
        float[] input = TestData.Uniform(Width, 4), memory = TestData.Uniform(Source * Width, 5), gateWeight = TestData.Uniform(3 * Width, 6);
        float[] gateBias = [0.3f];
        int[] ids = [2, 5, 2, 0], lengths = [3]; // token 2 twice; position 3 (token 0) is padding
        var output = new float[Vocabulary];
        var weights = new float[Source];
        var context = new float[Width];
        var gate = new float[1];
        PointerGenerator.Forward(output, weights, context, gate, logits, query, state, input, memory, ids, lengths, gateWeight, gateBias, shape, new float[Vocabulary]);

        double total = 0;
        foreach (float logP in output)
        {
            total += Math.Exp(logP);
        }

        // Six float32 terms, each with a relative rounding error of a few ulps (1.2e-7): 1e-5 leaves a wide margin.
        Assert.Equal(1.0, total, 1e-5);
        Assert.Equal(0f, weights[3]);
        double p = 1 / (1 + Math.Exp(-gate[0]));
        double max = 0, sum = 0;
        foreach (float z in logits)
        {
            max = Math.Max(max, z);
        }

        foreach (float z in logits)
        {
            sum += Math.Exp(z - max);
        }

        // P(v) from its definition in double: the generator's share plus the copied weights of v's positions.
        for (int v = 0; v < Vocabulary; v++)
        {
            double copied = (v == 2 ? weights[0] + weights[2] : 0) + (v == 5 ? weights[1] : 0);
            double expected = (p * Math.Exp(logits[v] - max) / sum) + ((1 - p) * copied);
            // float32 log-space arithmetic against double: relative 1e-5 of P is well above float rounding (~1e-6).
            Assert.Equal(expected, Math.Exp(output[v]), 1e-5 * Math.Max(expected, 1e-3));
        }
    }

    [Fact]
    public void Forward_IsFiniteForExtremeLogits()
    {
        const int Vocabulary = 4;
        var shape = new PointerGeneratorShape(1, 1, 2, 2, 2, Vocabulary);
        float[] logits = [1e4f, -1e4f, 0f, -1e4f];
        float[] gateBias = [-30f]; // p_gen ≈ 1e-13: the vocabulary's tiny share and the copy share meet in log space
        var output = new float[Vocabulary];
        var weights = new float[2];
        var context = new float[2];
        var gate = new float[1];
        float[] ones = [1f, 1f];
        PointerGenerator.Forward(output, weights, context, gate, logits, ones, ones, ones, [1f, 0f, 0f, 1f], [3, 3], [2], [0f, 0f, 0f, 0f, 0f, 0f], gateBias, shape, new float[Vocabulary]);
        Assert.All(output, value => Assert.True(float.IsFinite(value), $"log P {value}"));

        var dLogits = new float[Vocabulary];
        var dOutput = new float[] { 0f, 0f, 0f, -1f }; // −log P(3): the copied token
        var dGateWeight = new float[6];
        var dGateBias = new float[1];
        var d2 = new float[2];
        var d4 = new float[4];
        PointerGenerator.Backward(dLogits, new float[2], new float[2], d2, d4, dGateWeight, dGateBias, dOutput, output, weights, context, gate,
            logits, ones, ones, ones, [1f, 0f, 0f, 1f], [3, 3], [2], [0f, 0f, 0f, 0f, 0f, 0f], shape, new float[Vocabulary]);
        Assert.All(dLogits, value => Assert.True(float.IsFinite(value), $"d logits {value}"));
        Assert.True(float.IsFinite(dGateBias[0]));
    }

    [Fact]
    public void Forward_RefusesASourceIdOutsideTheVocabulary_NamingIt()
    {
        var shape = new PointerGeneratorShape(1, 1, 2, 1, 1, 3);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PointerGenerator.Forward(new float[3], new float[2], new float[1], new float[1],
            new float[3], new float[1], new float[1], new float[1], new float[2], [1, 7], [2], new float[3], new float[1], shape, new float[3]));
        Assert.Contains("source token id 7 (item 0, position 1)", error.Message, StringComparison.Ordinal);
        Assert.Contains("output vocabulary [0, 3)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardAndBackward_AllocateNothing()
    {
        const int Items = 2, Queries = 3, Source = 5, Width = 8, Vocabulary = 11, Rows = Items * Queries;
        var shape = new PointerGeneratorShape(Rows, Queries, Source, Width, Width, Vocabulary);
        float[] logits = TestData.Uniform(Rows * Vocabulary, 1), query = TestData.Uniform(Rows * Width, 2), state = TestData.Uniform(Rows * Width, 3);
        float[] input = TestData.Uniform(Rows * Width, 4), memory = TestData.Uniform(Items * Source * Width, 5), gateWeight = TestData.Uniform(3 * Width, 6);
        float[] gateBias = [0.1f], dOutput = TestData.Uniform(Rows * Vocabulary, 7);
        (int[] ids, int[] lengths) = SourceTokens(Items, Source, Vocabulary, emptyItem: false);
        var output = new float[Rows * Vocabulary];
        var weights = new float[Rows * Source];
        var context = new float[Rows * Width];
        var gate = new float[Rows];
        var scratch = new float[PointerGenerator.ScratchLength(Vocabulary, Source)];
        float[] dLogits = new float[logits.Length], dQuery = new float[query.Length], dState = new float[state.Length], dInput = new float[input.Length];
        float[] dMemory = new float[memory.Length], dGateWeight = new float[gateWeight.Length], dGateBias = new float[1];
        long bytes = Allocations.Measure(() =>
        {
            PointerGenerator.Forward(output, weights, context, gate, logits, query, state, input, memory, ids, lengths, gateWeight, gateBias, shape, scratch);
            PointerGenerator.Backward(dLogits, dQuery, dState, dInput, dMemory, dGateWeight, dGateBias, dOutput, output, weights, context, gate,
                logits, query, state, input, memory, ids, lengths, gateWeight, shape, scratch);
        });
        Assert.Equal(0, bytes);
    }

    /// <summary>Source ids with repeats (so a token's copy probability sums several positions) and lengths below the maximum.</summary>
    private static (int[] Ids, int[] Lengths) SourceTokens(int items, int source, int vocabulary, bool emptyItem)
    {
        var ids = new int[items * source];
        var lengths = new int[items];
        for (int b = 0; b < items; b++)
        {
            lengths[b] = emptyItem && b == 1 ? 0 : Math.Max(1, source - b);
            for (int j = 0; j < source; j++)
            {
                ids[(b * source) + j] = ((b * 3) + (j * 2)) % Math.Max(1, vocabulary - 2);
            }
        }

        return (ids, lengths);
    }
}
