using System;
using ModelDsl.Kernels;

namespace ModelDsl.Parity;

/// <summary>
/// nn.MultiheadAttention (batch_first, per-head weights) against ModelDsl's composition of the same layer:
/// three Linear projections from in_proj_weight/in_proj_bias, <see cref="Attention"/>, and the out_proj Linear.
/// 225 configurations: heads 1/2/4/8, lengths 1 to 17 (non-multiples of 8 included), self and cross, and
/// every mask kind. PyTorch's masks mean "true = blocked"; the fixture stores ours ("allowed").
/// </summary>
public sealed class AttentionParityTests
{
    private static readonly Fixture Cases = Fixture.Load("attention");

    public static TheoryData<string> All => Fixture.CaseNames("attention");

    [Fact]
    public void Fixture_HasAtLeast200Configurations() => Assert.True(All.Count >= 200, $"{All.Count} configurations");

    [Theory]
    [MemberData(nameof(All))]
    public void MultiheadAttention_MatchesTorch(string name)
    {
        var c = Cases.Config(name);
        int batch = c.GetProperty("batch").GetInt32(), heads = c.GetProperty("heads").GetInt32();
        int tq = c.GetProperty("queryLength").GetInt32(), tk = c.GetProperty("keyLength").GetInt32();
        int d = c.GetProperty("width").GetInt32(), dh = d / heads;
        bool cross = c.GetProperty("cross").GetBoolean();
        string kind = c.GetProperty("mask").GetString()!;
        int radius = c.GetProperty("radius").GetInt32();
        float[] query = Cases.Floats(name, "query");
        float[] key = cross ? Cases.Floats(name, "key") : query, value = cross ? Cases.Floats(name, "value") : query;
        float[] inW = Cases.Floats(name, "in_proj_weight"), inB = Cases.Floats(name, "in_proj_bias");
        float[] outW = Cases.Floats(name, "out_proj.weight"), outB = Cases.Floats(name, "out_proj.bias");
        int[] lengths = Cases.Ints(name, "lengths");
        bool[] allowed = Cases.Bools(name, "allowed");
        var mask = kind switch
        {
            "none" => AttentionMask.None,
            "causal" => AttentionMask.Causal(),
            "key_padding" => AttentionMask.KeyPadding(lengths),
            "window" => AttentionMask.LocalWindow(radius),
            "window_causal" => AttentionMask.LocalWindow(radius).WithCausal(),
            "graph" => AttentionMask.Adjacency(allowed),
            "key_padding_causal" => AttentionMask.Causal().WithKeyPadding(lengths),
            _ => throw new ArgumentException($"unknown mask kind {kind}"),
        };

        // Our mask predicate must agree with the boolean matrix the fixture was built from.
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < tq; i++)
            {
                for (int j = 0; j < tk; j++)
                {
                    Assert.True(allowed[(b * tq + i) * tk + j] == mask.IsAllowed(b, i, j, tq, tk), $"mask ({b},{i},{j})");
                }
            }
        }

        int rq = batch * tq, rk = batch * tk;
        float[] q = new float[rq * d], k = new float[rk * d], v = new float[rk * d];
        Linear.Forward(q, query, inW.AsSpan(0, d * d), inB.AsSpan(0, d), rq, d, d);
        Linear.Forward(k, key, inW.AsSpan(d * d, d * d), inB.AsSpan(d, d), rk, d, d);
        Linear.Forward(v, value, inW.AsSpan(2 * d * d, d * d), inB.AsSpan(2 * d, d), rk, d, d);
        var context = new float[rq * d];
        var probabilities = new float[batch * heads * tq * tk];
        float scale = Attention.DefaultScale(dh);
        Attention.Forward(context, probabilities, q, k, v, batch, tq, tk, heads, dh, mask, scale);
        var output = new float[rq * d];
        Linear.Forward(output, context, outW, outB, rq, d, d);

        // Rows whose keys are all masked: PyTorch gives NaN, ModelDsl a zero attention context, so the
        // layer's output there is the out_proj bias. Compare them separately, then take them out.
        var expectedOut = Cases.Floats(name, "out");
        var expectedWeights = Cases.Floats(name, "weights");
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < tq; i++)
            {
                if (Array.IndexOf(allowed, true, (b * tq + i) * tk, tk) >= 0)
                {
                    continue;
                }

                for (int x = 0; x < d; x++)
                {
                    Assert.True(float.IsNaN(expectedOut[(b * tq + i) * d + x]), "PyTorch gives NaN for a fully masked row");
                    Assert.Equal(outB[x], output[(b * tq + i) * d + x]);
                    expectedOut[(b * tq + i) * d + x] = output[(b * tq + i) * d + x];
                }

                for (int h = 0; h < heads; h++)
                {
                    for (int j = 0; j < tk; j++)
                    {
                        int at = ((b * heads + h) * tq + i) * tk + j;
                        Assert.True(float.IsNaN(expectedWeights[at]));
                        Assert.Equal(0f, probabilities[at]);
                        expectedWeights[at] = 0f;
                    }
                }
            }
        }

        Tolerance.Close(expectedWeights, probabilities, "weights");
        Tolerance.Close(expectedOut, output, "out");

        // Backward: dout is zero on fully masked rows (the fixture's choice), so PyTorch's gradients are finite.
        var dOut = Cases.Floats(name, "dout");
        float[] dContext = new float[context.Length], dOutW = new float[outW.Length], dOutB = new float[outB.Length];
        Linear.Backward(dContext, dOutW, dOutB, dOut, context, outW, rq, d, d);
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length];
        Attention.Backward(dq, dk, dv, dContext, q, k, v, probabilities, batch, tq, tk, heads, dh, mask, scale,
            new float[Attention.ScratchLength(tq, tk, 1)]);
        float[] dQuery = new float[query.Length], dKey = cross ? new float[key.Length] : dQuery, dValue = cross ? new float[value.Length] : dQuery;
        float[] dInW = new float[inW.Length], dInB = new float[inB.Length];
        Linear.Backward(dQuery, dInW.AsSpan(0, d * d), dInB.AsSpan(0, d), dq, query, inW.AsSpan(0, d * d), rq, d, d);
        Linear.Backward(dKey, dInW.AsSpan(d * d, d * d), dInB.AsSpan(d, d), dk, key, inW.AsSpan(d * d, d * d), rk, d, d);
        Linear.Backward(dValue, dInW.AsSpan(2 * d * d, d * d), dInB.AsSpan(2 * d, d), dv, value, inW.AsSpan(2 * d * d, d * d), rk, d, d);

        Tolerance.Close(Cases.Floats(name, "grad.query"), dQuery, "grad.query");
        if (cross)
        {
            Tolerance.Close(Cases.Floats(name, "grad.key"), dKey, "grad.key");
            Tolerance.Close(Cases.Floats(name, "grad.value"), dValue, "grad.value");
        }

        Tolerance.Close(Cases.Floats(name, "grad.in_proj_weight"), dInW, "grad.in_proj_weight");
        Tolerance.Close(Cases.Floats(name, "grad.in_proj_bias"), dInB, "grad.in_proj_bias");
        Tolerance.Close(Cases.Floats(name, "grad.out_proj.weight"), dOutW, "grad.out_proj.weight");
        Tolerance.Close(Cases.Floats(name, "grad.out_proj.bias"), dOutB, "grad.out_proj.bias");
    }
}
