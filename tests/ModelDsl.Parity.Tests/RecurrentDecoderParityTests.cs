using System;
using ModelDsl.Kernels;

namespace ModelDsl.Parity;

/// <summary>
/// RNN decoders with attention written out in PyTorch (an nn.GRUCell / nn.LSTMCell loop with masked lengths: GRU with
/// Bahdanau, LSTM with Luong general, GRU with Luong dot, GRU without attention from the <c>seq2seq</c> family; GRU and
/// LSTM with Luong concat, whose <c>W_a</c> is one <c>nn.Linear</c> over <c>[s_t; h_j]</c>, from the
/// <c>recurrent_variants</c> family of <c>tests/parity/recurrent_variants.py</c>) against <see cref="RecurrentDecoder"/>:
/// the teacher-forced forward, every gradient of <c>sum(out · dout)</c>, and position-by-position decoding with
/// <see cref="RecurrentDecoder.Step"/>.
/// </summary>
public sealed class RecurrentDecoderParityTests
{
    /// <summary>Every case of both families, as (family, case).</summary>
    public static TheoryData<string, string> All
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string family in new[] { "seq2seq", "recurrent_variants" })
            {
                foreach (string name in Fixture.CaseNames(family))
                {
                    data.Add(family, name);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void TeacherForced_ForwardAndBackward_MatchTorch(string family, string name)
    {
        var cases = Fixture.Load(family);
        var c = Case.Load(cases, name);
        var config = c.Config;
        int batch = c.Batch, steps = c.Steps, source = c.Source;
        var parameters = c.Parameters();
        var output = new float[batch * steps * config.OutputSize];
        var saved = new float[RecurrentDecoder.SavedLength(batch, steps, source, config)];
        var scratch = new float[RecurrentDecoder.ScratchLength(batch, steps, source, config)];
        RecurrentDecoder.Forward(output, saved, scratch, c.X, c.S0, c.C0, c.Memory, parameters, c.TargetLengths, c.SourceLengths,
            batch, steps, source, config);
        Tolerance.Close(cases.Floats(name, "out"), output, "out");
        if (config.Attention != DecoderAttention.None)
        {
            Tolerance.Close(cases.Floats(name, "weights"), RecurrentDecoder.AttentionWeights(saved, batch, steps, source, config), "weights");
        }

        float[] dOutput = cases.Floats(name, "dout");
        double loss = 0;
        for (int i = 0; i < output.Length; i++)
        {
            loss += (double)output[i] * dOutput[i];
        }

        Tolerance.Close(cases.Floats(name, "loss"), [(float)loss], "loss");

        var dX = new float[c.X.Length];
        var dS0 = new float[c.S0.Length];
        var dC0 = new float[c.C0.Length];
        var dMemory = new float[c.Memory.Length];
        var g = new Gradients(c);
        RecurrentDecoder.Backward(dX, dS0, dC0, dMemory, g.AsSpans(), scratch, dOutput, c.X, c.Memory, parameters, saved,
            c.TargetLengths, c.SourceLengths, batch, steps, source, config);
        Tolerance.Close(cases.Floats(name, "grad.x"), dX, "grad.x");
        Tolerance.Close(cases.Floats(name, "grad.s0"), dS0, "grad.s0");
        if (config.HasCellState)
        {
            Tolerance.Close(cases.Floats(name, "grad.c0"), dC0, "grad.c0");
        }

        if (config.Attention != DecoderAttention.None)
        {
            Tolerance.Close(cases.Floats(name, "grad.memory"), dMemory, "grad.memory");
        }

        foreach (var (tensor, gradient) in g.ByTorchName())
        {
            Tolerance.Close(cases.Floats(name, "grad." + tensor), gradient, "grad." + tensor);
        }
    }

    /// <summary>Decoding from <c>s_0</c> one position at a time, fed the same inputs, gives PyTorch's outputs and weights.</summary>
    [Theory]
    [MemberData(nameof(All))]
    public void Step_MatchesTorchPositionByPosition(string family, string name)
    {
        var cases = Fixture.Load(family);
        var c = Case.Load(cases, name);
        var config = c.Config;
        int batch = c.Batch, steps = c.Steps, source = c.Source, o = config.OutputSize, e = config.InputSize;
        var parameters = c.Parameters();
        var projected = new float[batch * source * config.ProjectedMemorySize];
        RecurrentDecoder.ProjectMemory(projected, c.Memory, parameters, batch, source, config);
        float[] state = (float[])c.S0.Clone(), cell = (float[])c.C0.Clone();
        var output = new float[batch * o];
        var weights = new float[config.Attention == DecoderAttention.None ? 0 : batch * source];
        var scratch = new float[RecurrentDecoder.StepScratchLength(batch, source, config)];
        var x = new float[batch * e];
        float[] expectedOut = cases.Floats(name, "out");
        float[] expectedWeights = config.Attention == DecoderAttention.None ? [] : cases.Floats(name, "weights");
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                c.X.AsSpan(((b * steps) + t) * e, e).CopyTo(x.AsSpan(b * e));
            }

            RecurrentDecoder.Step(state, cell, output, weights, scratch, x, c.Memory, projected, c.SourceLengths, parameters, batch, source, config);
            for (int b = 0; b < batch; b++)
            {
                if (t >= c.TargetLengths[b])
                {
                    continue;
                }

                Tolerance.Close(expectedOut.AsSpan(((b * steps) + t) * o, o), output.AsSpan(b * o, o), $"out[{b},{t}]");
                if (weights.Length > 0)
                {
                    Tolerance.Close(expectedWeights.AsSpan(((b * steps) + t) * source, source), weights.AsSpan(b * source, source), $"weights[{b},{t}]");
                }
            }
        }
    }

    /// <summary>One fixture case's configuration, inputs and parameters.</summary>
    private sealed class Case
    {
        private readonly Fixture _cases;

        private Case(Fixture cases, string name)
        {
            _cases = cases;
            var c = _cases.Config(name);
            var cell = Enum.Parse<RecurrentDecoderCell>(c.GetProperty("cell").GetString()!, ignoreCase: true);
            var attention = Enum.Parse<DecoderAttention>(c.GetProperty("attention").GetString()!);
            Config = new RecurrentDecoderConfig(cell, attention, c.GetProperty("inputSize").GetInt32(), c.GetProperty("hiddenSize").GetInt32(),
                c.GetProperty("memorySize").GetInt32(), c.GetProperty("attentionSize").GetInt32());
            Batch = c.GetProperty("batch").GetInt32();
            Steps = c.GetProperty("steps").GetInt32();
            Source = c.GetProperty("sourceLength").GetInt32();
            X = _cases.Floats(name, "x");
            S0 = _cases.Floats(name, "s0");
            C0 = Optional(name, "c0");
            Memory = Optional(name, "memory");
            TargetLengths = _cases.Ints(name, "target_lengths");
            SourceLengths = _cases.Ints(name, "source_lengths");
            WeightIh = _cases.Floats(name, "weight_ih");
            WeightHh = _cases.Floats(name, "weight_hh");
            BiasIh = _cases.Floats(name, "bias_ih");
            BiasHh = _cases.Floats(name, "bias_hh");
            W = Optional(name, "W");
            U = Optional(name, "U");
            V = Optional(name, "v");
            Wa = Optional(name, "W_a");
            Wc = Optional(name, "W_c");
        }

        public RecurrentDecoderConfig Config { get; }

        public int Batch { get; }

        public int Steps { get; }

        public int Source { get; }

        public float[] X { get; }

        public float[] S0 { get; }

        public float[] C0 { get; }

        public float[] Memory { get; }

        public int[] TargetLengths { get; }

        public int[] SourceLengths { get; }

        public float[] WeightIh { get; }

        public float[] WeightHh { get; }

        public float[] BiasIh { get; }

        public float[] BiasHh { get; }

        public float[] W { get; }

        public float[] U { get; }

        public float[] V { get; }

        public float[] Wa { get; }

        public float[] Wc { get; }

        public static Case Load(Fixture cases, string name) => new(cases, name);

        /// <summary>Bahdanau's U and Luong general's W_a are both the decoder's memory projection.</summary>
        public RecurrentDecoderParameters Parameters() => new()
        {
            WeightIh = WeightIh, WeightHh = WeightHh, BiasIh = BiasIh, BiasHh = BiasHh,
            StateWeight = W, MemoryWeight = U.Length > 0 ? U : Wa, ScoreVector = V, CombineWeight = Wc,
        };

        private float[] Optional(string name, string tensor) => _cases.Has(name, tensor) ? _cases.Floats(name, tensor) : [];
    }

    /// <summary>Zeroed gradients shaped like a case's parameters.</summary>
    private sealed class Gradients(Case c)
    {
        private readonly float[] _weightIh = new float[c.WeightIh.Length], _weightHh = new float[c.WeightHh.Length];
        private readonly float[] _biasIh = new float[c.BiasIh.Length], _biasHh = new float[c.BiasHh.Length];
        private readonly float[] _w = new float[c.W.Length], _u = new float[c.U.Length], _v = new float[c.V.Length];
        private readonly float[] _wa = new float[c.Wa.Length], _wc = new float[c.Wc.Length];

        public RecurrentDecoderGradients AsSpans() => new()
        {
            WeightIh = _weightIh, WeightHh = _weightHh, BiasIh = _biasIh, BiasHh = _biasHh,
            StateWeight = _w, MemoryWeight = _u.Length > 0 ? _u : _wa, ScoreVector = _v, CombineWeight = _wc,
        };

        /// <summary>Each gradient under the fixture's PyTorch name, for the parameters the case has.</summary>
        public (string Name, float[] Gradient)[] ByTorchName()
        {
            var all = new (string, float[])[]
            {
                ("weight_ih", _weightIh), ("weight_hh", _weightHh), ("bias_ih", _biasIh), ("bias_hh", _biasHh),
                ("W", _w), ("U", _u), ("v", _v), ("W_a", _wa), ("W_c", _wc),
            };
            return Array.FindAll(all, pair => pair.Item2.Length > 0);
        }
    }
}
