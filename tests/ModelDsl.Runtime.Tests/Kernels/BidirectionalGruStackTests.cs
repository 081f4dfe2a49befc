using System;
using ModelDsl.Kernels;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

/// <summary>
/// Worked example: PyTorch's <c>nn.GRU(I, H, num_layers=2, bidirectional=True, batch_first=True)</c> over packed sequences,
/// assembled from <see cref="Gru.Forward"/> and <see cref="Gru.Backward"/> the way generated model code does it.
/// </summary>
/// <remarks>
/// <para>Parameters are indexed <c>k = 2·layer + direction</c> (direction 0 runs forward, 1 in reverse), which is PyTorch's order
/// of <c>weight_ih_l0, weight_ih_l0_reverse, weight_ih_l1, weight_ih_l1_reverse</c> and of the rows of <c>h_0</c> and
/// <c>h_n [2·layers, B, H]</c>. Layer 0 reads <c>x [B, T, I]</c>; layer 1 reads layer 0's output <c>[B, T, 2H]</c>.</para>
/// <para>Forward, per layer: each direction writes <c>[B, T, H]</c> into a staging buffer, which is copied into its half of
/// the layer output (forward direction in features <c>[0, H)</c>, reverse in <c>[H, 2H)</c>, PyTorch's concatenation).
/// Backward runs the layers top down: the layer's output gradient is split into the two halves, each direction's
/// <see cref="Gru.Backward"/> accumulates into the same input-gradient buffer (the kernel adds), and that buffer is the
/// output gradient of the layer below. Every buffer is allocated once here; the calls allocate nothing.</para>
/// </remarks>
public sealed class BidirectionalGruStack
{
    public const int Layers = 2;
    private readonly int _batch, _steps, _inputSize, _hidden;
    private readonly int[] _lengths;
    private readonly float[][] _saved = new float[2 * Layers][];
    private readonly float[][] _layerOutput = new float[Layers][];
    private readonly float[] _direction, _directionGradient, _layerOneInputGradient, _scratch;

    public BidirectionalGruStack(int batch, int steps, int inputSize, int hiddenSize, int[] lengths, int seed)
    {
        (_batch, _steps, _inputSize, _hidden, _lengths) = (batch, steps, inputSize, hiddenSize, lengths);
        for (int k = 0; k < 2 * Layers; k++)
        {
            int input = k < 2 ? inputSize : 2 * hiddenSize;
            WeightIh[k] = TestData.Uniform(3 * hiddenSize * input, seed + (10 * k), 0.5f);
            WeightHh[k] = TestData.Uniform(3 * hiddenSize * hiddenSize, seed + (10 * k) + 1, 0.5f);
            BiasIh[k] = TestData.Uniform(3 * hiddenSize, seed + (10 * k) + 2, 0.5f);
            BiasHh[k] = TestData.Uniform(3 * hiddenSize, seed + (10 * k) + 3, 0.5f);
            DWeightIh[k] = new float[WeightIh[k].Length];
            DWeightHh[k] = new float[WeightHh[k].Length];
            DBiasIh[k] = new float[3 * hiddenSize];
            DBiasHh[k] = new float[3 * hiddenSize];
            _saved[k] = new float[Gru.SavedLength(batch, steps, hiddenSize)];
        }

        for (int l = 0; l < Layers; l++)
        {
            _layerOutput[l] = new float[batch * steps * 2 * hiddenSize];
        }

        InitialState = TestData.Uniform(2 * Layers * batch * hiddenSize, seed + 99, 0.5f);
        FinalState = new float[InitialState.Length];
        DInitialState = new float[InitialState.Length];
        _direction = new float[batch * steps * hiddenSize];
        _directionGradient = new float[batch * steps * hiddenSize];
        _layerOneInputGradient = new float[batch * steps * 2 * hiddenSize];
        _scratch = new float[Gru.ScratchLength(batch, steps, hiddenSize)];
    }

    public float[][] WeightIh { get; } = new float[2 * Layers][];

    public float[][] WeightHh { get; } = new float[2 * Layers][];

    public float[][] BiasIh { get; } = new float[2 * Layers][];

    public float[][] BiasHh { get; } = new float[2 * Layers][];

    public float[][] DWeightIh { get; } = new float[2 * Layers][];

    public float[][] DWeightHh { get; } = new float[2 * Layers][];

    public float[][] DBiasIh { get; } = new float[2 * Layers][];

    public float[][] DBiasHh { get; } = new float[2 * Layers][];

    /// <summary><c>h_0 [2·layers, B, H]</c>.</summary>
    public float[] InitialState { get; }

    public float[] DInitialState { get; }

    /// <summary><c>h_n [2·layers, B, H]</c>.</summary>
    public float[] FinalState { get; }

    /// <summary>The top layer's output <c>[B, T, 2H]</c>.</summary>
    public float[] Output => _layerOutput[Layers - 1];

    public void Forward(ReadOnlySpan<float> input, WorkerPool? pool = null)
    {
        int bh = _batch * _hidden;
        for (int l = 0; l < Layers; l++)
        {
            ReadOnlySpan<float> layerInput = l == 0 ? input : _layerOutput[l - 1];
            int inputSize = l == 0 ? _inputSize : 2 * _hidden;
            for (int d = 0; d < 2; d++)
            {
                int k = (2 * l) + d;
                Gru.Forward(_direction, FinalState.AsSpan(k * bh, bh), _saved[k], _scratch, layerInput, InitialState.AsSpan(k * bh, bh),
                    WeightIh[k], WeightHh[k], BiasIh[k], BiasHh[k], _lengths, _batch, _steps, inputSize, _hidden, reverse: d == 1, pool);
                CopyColumns(_direction, _hidden, 0, _layerOutput[l], 2 * _hidden, d * _hidden, _batch * _steps, _hidden);
            }
        }
    }

    /// <summary>Accumulates every parameter gradient and <paramref name="dInput"/>; call after <see cref="Forward"/>.</summary>
    public void Backward(Span<float> dInput, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> dFinalState,
        WorkerPool? pool = null)
    {
        int bh = _batch * _hidden;
        _layerOneInputGradient.AsSpan().Clear();
        for (int l = Layers - 1; l >= 0; l--)
        {
            ReadOnlySpan<float> layerInput = l == 0 ? input : _layerOutput[l - 1];
            ReadOnlySpan<float> dLayerOutput = l == Layers - 1 ? dOutput : _layerOneInputGradient;
            Span<float> dLayerInput = l == 0 ? dInput : _layerOneInputGradient;
            int inputSize = l == 0 ? _inputSize : 2 * _hidden;
            for (int d = 0; d < 2; d++)
            {
                int k = (2 * l) + d;
                CopyColumns(dLayerOutput, 2 * _hidden, d * _hidden, _directionGradient, _hidden, 0, _batch * _steps, _hidden);
                Gru.Backward(dLayerInput, DWeightIh[k], DWeightHh[k], DBiasIh[k], DBiasHh[k], DInitialState.AsSpan(k * bh, bh), _scratch,
                    _directionGradient, dFinalState.Slice(k * bh, bh), layerInput, WeightIh[k], WeightHh[k], _saved[k], _lengths,
                    _batch, _steps, inputSize, _hidden, reverse: d == 1, pool);
            }
        }
    }

    private static void CopyColumns(ReadOnlySpan<float> source, int sourceStride, int sourceOffset,
        Span<float> destination, int destinationStride, int destinationOffset, int rows, int width)
    {
        for (int r = 0; r < rows; r++)
        {
            source.Slice((r * sourceStride) + sourceOffset, width).CopyTo(destination.Slice((r * destinationStride) + destinationOffset, width));
        }
    }
}

public sealed class BidirectionalGruStackTests
{
    private const int Batch = 3, Steps = 5, InputSize = 3, Hidden = 4;

    /// <summary>
    /// The assembled stack's gradients (input, first- and last-layer weights of both directions, initial states) match
    /// central differences of the whole stack in float32: h = 1e-2, tolerance 1e-2 relative, for the reasons given at
    /// <see cref="GradientCheck.CheckSingle"/>; a mis-wired direction or layer gives O(1) errors.
    /// </summary>
    [Fact]
    public void Gradients_MatchCentralDifferences()
    {
        int[] lengths = [5, 2, 0];
        var stack = new BidirectionalGruStack(Batch, Steps, InputSize, Hidden, lengths, seed: 7);
        float[] input = TestData.Uniform(Batch * Steps * InputSize, 1);
        float[] dOutput = TestData.Uniform(Batch * Steps * 2 * Hidden, 2);
        float[] dFinal = TestData.Uniform(2 * BidirectionalGruStack.Layers * Batch * Hidden, 3);
        float[] dInput = new float[input.Length];
        stack.Forward(input);
        stack.Backward(dInput, input, dOutput, dFinal);

        double Loss()
        {
            stack.Forward(input);
            return GradientCheck.Dot(dOutput, stack.Output) + GradientCheck.Dot(dFinal, stack.FinalState);
        }

        GradientCheck.CheckSingle("input", input, dInput, Loss);
        GradientCheck.CheckSingle("weight_ih_l0", stack.WeightIh[0], stack.DWeightIh[0], Loss, maxEntries: 20);
        GradientCheck.CheckSingle("weight_hh_l0_reverse", stack.WeightHh[1], stack.DWeightHh[1], Loss, maxEntries: 20);
        GradientCheck.CheckSingle("bias_ih_l1", stack.BiasIh[2], stack.DBiasIh[2], Loss);
        GradientCheck.CheckSingle("weight_ih_l1_reverse", stack.WeightIh[3], stack.DWeightIh[3], Loss, maxEntries: 20);
        GradientCheck.CheckSingle("bias_hh_l1_reverse", stack.BiasHh[3], stack.DBiasHh[3], Loss);
        GradientCheck.CheckSingle("h_0", stack.InitialState, stack.DInitialState, Loss);
    }

    [Fact]
    public void Output_IsZeroAtPaddingAndFinalStatesFollowPyTorchOrder()
    {
        int[] lengths = [5, 2, 0];
        var stack = new BidirectionalGruStack(Batch, Steps, InputSize, Hidden, lengths, seed: 8);
        stack.Forward(TestData.Uniform(Batch * Steps * InputSize, 4));
        int bh = Batch * Hidden;
        for (int b = 0; b < Batch; b++)
        {
            for (int t = lengths[b]; t < Steps; t++)
            {
                Assert.All(stack.Output.AsSpan(((b * Steps) + t) * 2 * Hidden, 2 * Hidden).ToArray(), v => Assert.Equal(0f, v));
            }

            if (lengths[b] == 0)
            {
                continue;
            }

            // Top layer: h_n[2] is the forward direction at the last valid step, h_n[3] the reverse one at position 0.
            int last = ((b * Steps) + lengths[b] - 1) * 2 * Hidden, first = b * Steps * 2 * Hidden;
            Assert.Equal(stack.Output.AsSpan(last, Hidden).ToArray(), stack.FinalState.AsSpan((2 * bh) + (b * Hidden), Hidden).ToArray());
            Assert.Equal(stack.Output.AsSpan(first + Hidden, Hidden).ToArray(), stack.FinalState.AsSpan((3 * bh) + (b * Hidden), Hidden).ToArray());
        }
    }
}

public sealed class BidirectionalGruStackAllocationTests
{
    [Fact]
    public void ForwardAndBackward_AllocateNothing()
    {
        using var pool = new WorkerPool(2);
        var stack = new BidirectionalGruStack(3, 5, 3, 4, [5, 2, 0], seed: 9);
        float[] input = TestData.Uniform(3 * 5 * 3, 1), dInput = new float[input.Length];
        float[] dOutput = TestData.Uniform(3 * 5 * 8, 2), dFinal = TestData.Uniform(4 * 3 * 4, 3);
        long bytes = Allocations.Measure(() =>
        {
            stack.Forward(input, pool);
            stack.Backward(dInput, input, dOutput, dFinal, pool);
        });
        Assert.Equal(0, bytes);
    }
}
