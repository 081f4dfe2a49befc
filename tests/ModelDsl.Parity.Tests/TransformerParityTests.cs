using System;
using System.Collections.Generic;
using ModelDsl.Kernels;

namespace ModelDsl.Parity;

/// <summary>
/// nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (dropout 0; post-norm and norm_first; ReLU and
/// GELU) and a 2-layer nn.TransformerEncoder, forward and every gradient, against the kernels composed as
/// PyTorch defines the layers:
/// post-norm  x = norm1(x + sa(x)); [decoder: x = norm2(x + mha(x, memory))]; x = normLast(x + ff(x));
/// norm_first x = x + sa(norm1(x)); [decoder: x = x + mha(norm2(x), memory)]; x = x + ff(normLast(x)).
/// </summary>
public sealed class TransformerParityTests
{
    private static readonly Fixture Cases = Fixture.Load("transformer");

    public static TheoryData<string> All => Fixture.CaseNames("transformer");

    [Theory]
    [MemberData(nameof(All))]
    public void Layer_MatchesTorch(string name)
    {
        var c = Cases.Config(name);
        string layer = c.GetProperty("layer").GetString()!;
        bool decoder = layer == "decoder";
        var p = new Parameters(Cases, name);
        var settings = new Settings(
            c.GetProperty("batch").GetInt32(), c.GetProperty("length").GetInt32(),
            decoder ? c.GetProperty("memoryLength").GetInt32() : 0, c.GetProperty("width").GetInt32(),
            c.GetProperty("heads").GetInt32(), c.GetProperty("feedForward").GetInt32(), c.GetProperty("normFirst").GetBoolean(),
            c.GetProperty("activation").GetString() == "gelu" ? ActivationKind.Gelu : ActivationKind.ReLU);
        int layers = layer == "encoder_stack" ? c.GetProperty("layers").GetInt32() : 1;
        int[] lengths = Cases.Has(name, "lengths") ? Cases.Ints(name, "lengths") : [];
        int[] memoryLengths = decoder ? Cases.Ints(name, "memory_lengths") : [];
        float[] memory = decoder ? Cases.Floats(name, "memory") : [];

        var tape = new List<Action>();
        var x = Cases.Floats(name, "x");
        var dMemory = new float[memory.Length];
        var gradients = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var dX = new Box();
        var current = x;
        var outputs = new List<Box>();
        for (int l = 0; l < layers; l++)
        {
            string prefix = layers > 1 ? $"layers.{l}." : "";
            var output = new Box();
            var input = current;
            var dInput = l == 0 ? dX : outputs[l - 1];
            current = Block(settings, p, gradients, prefix, decoder, input, memory, dMemory, lengths, memoryLengths, tape, output, dInput);
            outputs.Add(output);
        }

        Tolerance.Close(Cases.Floats(name, "out"), current, "out");

        outputs[^1].Gradient = Cases.Floats(name, "dout");
        dX.Gradient = new float[x.Length];
        for (int i = tape.Count - 1; i >= 0; i--)
        {
            tape[i]();
        }

        Tolerance.Close(Cases.Floats(name, "grad.x"), dX.Gradient, "grad.x");
        if (decoder)
        {
            Tolerance.Close(Cases.Floats(name, "grad.memory"), dMemory, "grad.memory");
        }

        // Every parameter gradient PyTorch computed must have been produced and compared here.
        foreach (var tensor in Cases.TensorNames(name))
        {
            if (tensor.StartsWith("grad.", StringComparison.Ordinal) && tensor is not ("grad.x" or "grad.memory"))
            {
                Assert.True(gradients.ContainsKey(tensor["grad.".Length..]), $"no gradient computed for {tensor}");
            }
        }

        Assert.NotEmpty(gradients);
        foreach (var (parameter, gradient) in gradients)
        {
            Tolerance.Close(Cases.Floats(name, "grad." + parameter), gradient, "grad." + parameter);
        }
    }

    private sealed record Settings(int Batch, int Length, int MemoryLength, int Width, int Heads, int FeedForward, bool NormFirst, ActivationKind Activation);

    /// <summary>A gradient buffer filled during backward (allocated by whoever consumes it first).</summary>
    private sealed class Box
    {
        public float[] Gradient = [];
    }

    private sealed class Parameters(Fixture fixture, string name)
    {
        public float[] this[string parameter] => fixture.Floats(name, parameter);
    }

    private static float[] Grad(Dictionary<string, float[]> gradients, string name, int length)
    {
        if (!gradients.TryGetValue(name, out var g))
        {
            g = new float[length];
            gradients.Add(name, g);
        }

        return g;
    }

    /// <summary>Builds one layer's forward now and pushes its backward steps on <paramref name="tape"/>.</summary>
    private static float[] Block(Settings s, Parameters p, Dictionary<string, float[]> gradients, string prefix, bool decoder,
        float[] x, float[] memory, float[] dMemory, int[] lengths, int[] memoryLengths, List<Action> tape, Box output, Box dInputBox)
    {
        int rows = s.Batch * s.Length, d = s.Width;
        // Sublayer helper: output = attention(norm?(input)) and its backward, accumulating into dResidual / dMemory.
        float[] Norm(string norm, float[] input, out Action<float[], float[]> backward)
        {
            float[] w = p[prefix + norm + ".weight"], b = p[prefix + norm + ".bias"];
            var output = new float[input.Length];
            var mean = new float[input.Length / d];
            var rstd = new float[input.Length / d];
            LayerNorm.Forward(output, mean, rstd, input, w, b, input.Length / d, d);
            backward = (dOut, dIn) => LayerNorm.Backward(dIn, Grad(gradients, prefix + norm + ".weight", d), Grad(gradients, prefix + norm + ".bias", d),
                dOut, input, w, mean, rstd, input.Length / d, d);
            return output;
        }

        float[] Attend(string module, float[] query, float[] keyValue, int keyLength, bool causal, int[] keyLengths, out Action<float[], float[], float[]> backward)
        {
            float[] inW = p[prefix + module + ".in_proj_weight"], inB = p[prefix + module + ".in_proj_bias"];
            float[] outW = p[prefix + module + ".out_proj.weight"], outB = p[prefix + module + ".out_proj.bias"];
            int rk = s.Batch * keyLength, dh = d / s.Heads;
            float[] q = new float[rows * d], k = new float[rk * d], v = new float[rk * d];
            Linear.Forward(q, query, inW.AsSpan(0, d * d), inB.AsSpan(0, d), rows, d, d);
            Linear.Forward(k, keyValue, inW.AsSpan(d * d, d * d), inB.AsSpan(d, d), rk, d, d);
            Linear.Forward(v, keyValue, inW.AsSpan(2 * d * d, d * d), inB.AsSpan(2 * d, d), rk, d, d);
            var mask = causal ? AttentionMask.Causal() : AttentionMask.None;
            if (keyLengths.Length > 0)
            {
                mask = mask.WithKeyPadding(keyLengths);
            }

            var context = new float[rows * d];
            var probabilities = new float[s.Batch * s.Heads * s.Length * keyLength];
            Attention.Forward(context, probabilities, q, k, v, s.Batch, s.Length, keyLength, s.Heads, dh, mask, Attention.DefaultScale(dh));
            var output = new float[rows * d];
            Linear.Forward(output, context, outW, outB, rows, d, d);
            backward = (dOut, dQuery, dKeyValue) =>
            {
                var m = causal ? AttentionMask.Causal() : AttentionMask.None;
                if (keyLengths.Length > 0)
                {
                    m = m.WithKeyPadding(keyLengths);
                }

                var dContext = new float[context.Length];
                Linear.Backward(dContext, Grad(gradients, prefix + module + ".out_proj.weight", d * d), Grad(gradients, prefix + module + ".out_proj.bias", d),
                    dOut, context, outW, rows, d, d);
                float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length];
                Attention.Backward(dq, dk, dv, dContext, q, k, v, probabilities, s.Batch, s.Length, keyLength, s.Heads, dh, m,
                    Attention.DefaultScale(dh), new float[Attention.ScratchLength(s.Length, keyLength, 1)]);
                var dInW = Grad(gradients, prefix + module + ".in_proj_weight", 3 * d * d);
                var dInB = Grad(gradients, prefix + module + ".in_proj_bias", 3 * d);
                Linear.Backward(dQuery, dInW.AsSpan(0, d * d), dInB.AsSpan(0, d), dq, query, inW.AsSpan(0, d * d), rows, d, d);
                Linear.Backward(dKeyValue, dInW.AsSpan(d * d, d * d), dInB.AsSpan(d, d), dk, keyValue, inW.AsSpan(d * d, d * d), rk, d, d);
                Linear.Backward(dKeyValue, dInW.AsSpan(2 * d * d, d * d), dInB.AsSpan(2 * d, d), dv, keyValue, inW.AsSpan(2 * d * d, d * d), rk, d, d);
            };
            return output;
        }

        float[] FeedForward(float[] input, out Action<float[], float[]> backward)
        {
            float[] w1 = p[prefix + "linear1.weight"], b1 = p[prefix + "linear1.bias"], w2 = p[prefix + "linear2.weight"], b2 = p[prefix + "linear2.bias"];
            var hidden = new float[rows * s.FeedForward];
            var pre = new float[rows * s.FeedForward];
            Linear.Forward(hidden, input, w1, b1, rows, d, s.FeedForward, s.Activation, pre);
            var output = new float[rows * d];
            Linear.Forward(output, hidden, w2, b2, rows, s.FeedForward, d);
            backward = (dOut, dIn) =>
            {
                var dHidden = new float[hidden.Length];
                Linear.Backward(dHidden, Grad(gradients, prefix + "linear2.weight", w2.Length), Grad(gradients, prefix + "linear2.bias", d),
                    dOut, hidden, w2, rows, s.FeedForward, d);
                Linear.Backward(dIn, Grad(gradients, prefix + "linear1.weight", w1.Length), Grad(gradients, prefix + "linear1.bias", s.FeedForward),
                    dHidden, input, w1, rows, d, s.FeedForward, s.Activation, pre, new float[pre.Length]);
            };
            return output;
        }

        // One residual sublayer: y = post-norm ? norm(x + f(x)) : x + f(norm(x)). Returns y; pushes the backward
        // that maps dY (in the box) to dX (accumulated into the previous box).
        var sublayers = new List<(string Norm, Func<float[], (float[] Out, Action<float[], float[]> Back)> F)>
        {
            ("norm1", input =>
            {
                var o = Attend("self_attn", input, input, s.Length, causal: decoder, decoder ? [] : lengths, out var back);
                return (o, (dOut, dIn) => back(dOut, dIn, dIn));
            }),
        };
        if (decoder)
        {
            sublayers.Add(("norm2", input =>
            {
                var o = Attend("multihead_attn", input, memory, s.MemoryLength, causal: false, memoryLengths, out var back);
                return (o, (dOut, dIn) => back(dOut, dIn, dMemory));
            }));
        }

        sublayers.Add((decoder ? "norm3" : "norm2", input =>
        {
            var o = FeedForward(input, out var back);
            return (o, back);
        }));

        var dCurrentBox = dInputBox;
        var current = x;
        for (int i = 0; i < sublayers.Count; i++)
        {
            var (norm, f) = sublayers[i];
            var input = current;
            var dInBox = dCurrentBox;
            var dOutBox = i == sublayers.Count - 1 ? output : new Box();
            if (s.NormFirst)
            {
                var normed = Norm(norm, input, out var normBack);
                var (branch, branchBack) = f(normed);
                var y = new float[input.Length];
                Residual.Forward(y, input, branch);
                tape.Add(() =>
                {
                    var dNormed = new float[normed.Length];
                    if (dInBox.Gradient.Length == 0)
                    {
                        dInBox.Gradient = new float[input.Length];
                    }

                    Residual.Backward(dInBox.Gradient, new float[input.Length], dOutBox.Gradient); // identity path
                    branchBack(dOutBox.Gradient, dNormed);
                    normBack(dNormed, dInBox.Gradient);
                });
                current = y;
            }
            else
            {
                var (branch, branchBack) = f(input);
                var sum = new float[input.Length];
                Residual.Forward(sum, input, branch);
                var y = Norm(norm, sum, out var normBack);
                tape.Add(() =>
                {
                    var dSum = new float[sum.Length];
                    normBack(dOutBox.Gradient, dSum);
                    if (dInBox.Gradient.Length == 0)
                    {
                        dInBox.Gradient = new float[input.Length];
                    }

                    var dBranch = new float[sum.Length];
                    Residual.Backward(dInBox.Gradient, dBranch, dSum);
                    branchBack(dBranch, dInBox.Gradient);
                });
                current = y;
            }

            dCurrentBox = dOutBox;
        }

        return current;
    }
}
