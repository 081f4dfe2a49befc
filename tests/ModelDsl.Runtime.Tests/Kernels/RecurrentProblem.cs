using System;
using System.Numerics;
using ModelDsl.Kernels;
using ModelDsl.Kernels.Reference;
using ModelDsl.Tests.Support;
using ModelDsl.Threading;

namespace ModelDsl.Tests.Kernels;

/// <summary>Which recurrent cell a test runs.</summary>
public enum CellKind
{
    /// <summary>tanh RNN.</summary>
    Rnn,

    /// <summary>GRU.</summary>
    Gru,

    /// <summary>LSTM.</summary>
    Lstm,
}

/// <summary>Forward results of one layer call.</summary>
public sealed record RecurrentOutputs<T>(T[] Output, T[] FinalState, T[] FinalCell, T[] Saved);

/// <summary>Gradients accumulated by one backward call (each starts at zero).</summary>
public sealed record RecurrentGradients<T>(T[] Input, T[] WeightIh, T[] WeightHh, T[] BiasIh, T[] BiasHh, T[] InitialState, T[] InitialCell);

/// <summary>
/// One recurrent layer call with seeded random inputs, weights and upstream gradients, runnable through the reference
/// (any T) or the tuned kernel (float). The loss whose gradient backward computes is
/// <c>L = Σ dOutput·y + Σ dFinalState·h_n + Σ dFinalCell·c_n</c>.
/// </summary>
public sealed class RecurrentProblem<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public RecurrentProblem(CellKind cell, int batch, int steps, int inputSize, int hiddenSize, int[] lengths, bool reverse, int seed)
    {
        Cell = cell;
        Batch = batch;
        Steps = steps;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Lengths = lengths;
        Reverse = reverse;
        int gates = GateWidth;
        Input = Random(batch * steps * inputSize, seed, 1.0);
        InitialState = Random(batch * hiddenSize, seed + 1, 0.8);
        InitialCell = cell == CellKind.Lstm ? Random(batch * hiddenSize, seed + 2, 1.0) : [];
        WeightIh = Random(gates * inputSize, seed + 3, 0.5);
        WeightHh = Random(gates * hiddenSize, seed + 4, 0.5);
        BiasIh = Random(gates, seed + 5, 0.5);
        BiasHh = Random(gates, seed + 6, 0.5);
        DOutput = Random(batch * steps * hiddenSize, seed + 7, 1.0);
        DFinalState = Random(batch * hiddenSize, seed + 8, 1.0);
        DFinalCell = cell == CellKind.Lstm ? Random(batch * hiddenSize, seed + 9, 1.0) : [];
    }

    public CellKind Cell { get; }

    public int Batch { get; }

    public int Steps { get; }

    public int InputSize { get; }

    public int HiddenSize { get; }

    public int[] Lengths { get; }

    public bool Reverse { get; }

    public int GateWidth => HiddenSize * Cell switch { CellKind.Rnn => 1, CellKind.Gru => 3, _ => 4 };

    public T[] Input { get; set; }

    public T[] InitialState { get; set; }

    public T[] InitialCell { get; set; }

    public T[] WeightIh { get; set; }

    public T[] WeightHh { get; set; }

    public T[] BiasIh { get; set; }

    public T[] BiasHh { get; set; }

    public T[] DOutput { get; set; }

    public T[] DFinalState { get; set; }

    public T[] DFinalCell { get; set; }

    public override string ToString() =>
        $"{Cell} B={Batch} T={Steps} I={InputSize} H={HiddenSize} lengths=[{string.Join(',', Lengths)}] reverse={Reverse}";

    public RecurrentOutputs<T> ReferenceForward()
    {
        int b = Batch, t = Steps, h = HiddenSize;
        var outputs = new RecurrentOutputs<T>(new T[b * t * h], new T[b * h], Cell == CellKind.Lstm ? new T[b * h] : [],
            new T[Cell switch
            {
                CellKind.Rnn => RnnReference.SavedLength(b, t, h),
                CellKind.Gru => GruReference.SavedLength(b, t, h),
                _ => LstmReference.SavedLength(b, t, h),
            }]);
        var scratch = new T[ReferenceScratchLength()];
        switch (Cell)
        {
            case CellKind.Rnn:
                RnnReference.Forward<T>(outputs.Output, outputs.FinalState, outputs.Saved, scratch, Input, InitialState,
                    WeightIh, WeightHh, BiasIh, BiasHh, Lengths, b, t, InputSize, h, Reverse);
                break;
            case CellKind.Gru:
                GruReference.Forward<T>(outputs.Output, outputs.FinalState, outputs.Saved, scratch, Input, InitialState,
                    WeightIh, WeightHh, BiasIh, BiasHh, Lengths, b, t, InputSize, h, Reverse);
                break;
            default:
                LstmReference.Forward<T>(outputs.Output, outputs.FinalState, outputs.FinalCell, outputs.Saved, scratch, Input, InitialState,
                    InitialCell, WeightIh, WeightHh, BiasIh, BiasHh, Lengths, b, t, InputSize, h, Reverse);
                break;
        }

        return outputs;
    }

    public RecurrentGradients<T> ReferenceBackward(T[] saved)
    {
        var g = NewGradients();
        var scratch = new T[ReferenceScratchLength()];
        int b = Batch, t = Steps, h = HiddenSize;
        switch (Cell)
        {
            case CellKind.Rnn:
                RnnReference.Backward<T>(g.Input, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, g.InitialState, scratch,
                    DOutput, DFinalState, Input, WeightIh, WeightHh, saved, Lengths, b, t, InputSize, h, Reverse);
                break;
            case CellKind.Gru:
                GruReference.Backward<T>(g.Input, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, g.InitialState, scratch,
                    DOutput, DFinalState, Input, WeightIh, WeightHh, saved, Lengths, b, t, InputSize, h, Reverse);
                break;
            default:
                LstmReference.Backward<T>(g.Input, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, g.InitialState, g.InitialCell, scratch,
                    DOutput, DFinalState, DFinalCell, Input, WeightIh, WeightHh, saved, Lengths, b, t, InputSize, h, Reverse);
                break;
        }

        return g;
    }

    /// <summary>The loss <c>Σ dOutput·y + Σ dFinalState·h_n + Σ dFinalCell·c_n</c> of a forward's results, in double.</summary>
    public double Loss(RecurrentOutputs<T> outputs) =>
        Dot(DOutput, outputs.Output) + Dot(DFinalState, outputs.FinalState) + Dot(DFinalCell, outputs.FinalCell);

    public RecurrentGradients<T> NewGradients()
    {
        int b = Batch, h = HiddenSize;
        return new RecurrentGradients<T>(new T[Input.Length], new T[WeightIh.Length], new T[WeightHh.Length],
            new T[GateWidth], new T[GateWidth], new T[b * h], Cell == CellKind.Lstm ? new T[b * h] : []);
    }

    private int ReferenceScratchLength() => Cell switch
    {
        CellKind.Rnn => RnnReference.ScratchLength(Batch, Steps, HiddenSize),
        CellKind.Gru => GruReference.ScratchLength(Batch, Steps, HiddenSize),
        _ => LstmReference.ScratchLength(Batch, Steps, HiddenSize),
    };

    private static double Dot(T[] a, T[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += double.CreateTruncating(a[i]) * double.CreateTruncating(b[i]);
        }

        return sum;
    }

    private static T[] Random(int length, int seed, double scale)
    {
        double[] values = TestData.UniformDouble(length, seed, scale);
        var result = new T[length];
        for (int i = 0; i < length; i++)
        {
            result[i] = T.CreateTruncating(values[i]);
        }

        return result;
    }
}

/// <summary>Runs a float <see cref="RecurrentProblem{T}"/> through the tuned kernels.</summary>
public static class TunedRecurrent
{
    public static int SavedLength(CellKind cell, int batch, int steps, int hiddenSize) => cell switch
    {
        CellKind.Rnn => Rnn.SavedLength(batch, steps, hiddenSize),
        CellKind.Gru => Gru.SavedLength(batch, steps, hiddenSize),
        _ => Lstm.SavedLength(batch, steps, hiddenSize),
    };

    public static int ScratchLength(CellKind cell, int batch, int steps, int hiddenSize) => cell switch
    {
        CellKind.Rnn => Rnn.ScratchLength(batch, steps, hiddenSize),
        CellKind.Gru => Gru.ScratchLength(batch, steps, hiddenSize),
        _ => Lstm.ScratchLength(batch, steps, hiddenSize),
    };

    public static RecurrentOutputs<float> TunedForward(this RecurrentProblem<float> p, float[]? scratch = null, WorkerPool? pool = null)
    {
        int b = p.Batch, t = p.Steps, h = p.HiddenSize;
        var o = new RecurrentOutputs<float>(new float[b * t * h], new float[b * h], p.Cell == CellKind.Lstm ? new float[b * h] : [],
            new float[SavedLength(p.Cell, b, t, h)]);
        TunedForward(p, o, scratch ?? new float[ScratchLength(p.Cell, b, t, h)], pool);
        return o;
    }

    public static void TunedForward(this RecurrentProblem<float> p, RecurrentOutputs<float> o, float[] scratch, WorkerPool? pool = null)
    {
        int b = p.Batch, t = p.Steps, h = p.HiddenSize;
        switch (p.Cell)
        {
            case CellKind.Rnn:
                Rnn.Forward(o.Output, o.FinalState, o.Saved, scratch, p.Input, p.InitialState, p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh,
                    p.Lengths, b, t, p.InputSize, h, p.Reverse, pool);
                break;
            case CellKind.Gru:
                Gru.Forward(o.Output, o.FinalState, o.Saved, scratch, p.Input, p.InitialState, p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh,
                    p.Lengths, b, t, p.InputSize, h, p.Reverse, pool);
                break;
            default:
                Lstm.Forward(o.Output, o.FinalState, o.FinalCell, o.Saved, scratch, p.Input, p.InitialState, p.InitialCell,
                    p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, p.Lengths, b, t, p.InputSize, h, p.Reverse, pool);
                break;
        }
    }

    public static RecurrentGradients<float> TunedBackward(this RecurrentProblem<float> p, float[] saved, float[]? scratch = null, WorkerPool? pool = null)
    {
        var g = p.NewGradients();
        TunedBackward(p, g, saved, scratch ?? new float[ScratchLength(p.Cell, p.Batch, p.Steps, p.HiddenSize)], pool);
        return g;
    }

    public static void TunedBackward(this RecurrentProblem<float> p, RecurrentGradients<float> g, float[] saved, float[] scratch, WorkerPool? pool = null)
    {
        int b = p.Batch, t = p.Steps, h = p.HiddenSize;
        switch (p.Cell)
        {
            case CellKind.Rnn:
                Rnn.Backward(g.Input, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, g.InitialState, scratch, p.DOutput, p.DFinalState,
                    p.Input, p.WeightIh, p.WeightHh, saved, p.Lengths, b, t, p.InputSize, h, p.Reverse, pool);
                break;
            case CellKind.Gru:
                Gru.Backward(g.Input, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, g.InitialState, scratch, p.DOutput, p.DFinalState,
                    p.Input, p.WeightIh, p.WeightHh, saved, p.Lengths, b, t, p.InputSize, h, p.Reverse, pool);
                break;
            default:
                Lstm.Backward(g.Input, g.WeightIh, g.WeightHh, g.BiasIh, g.BiasHh, g.InitialState, g.InitialCell, scratch,
                    p.DOutput, p.DFinalState, p.DFinalCell, p.Input, p.WeightIh, p.WeightHh, saved, p.Lengths, b, t, p.InputSize, h,
                    p.Reverse, pool);
                break;
        }
    }
}
