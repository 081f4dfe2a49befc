using System;
using ModelDsl.Kernels;

namespace ModelDsl.Parity;

/// <summary>
/// The pointer-generator head (the kernels a <c>[PointerGenerator]</c> layer's training code runs: the vocabulary and copy-query
/// projections, <see cref="PointerGenerator"/>, cross-entropy on log P) against the probability-space PyTorch reference of
/// <c>tests/parity/copy_head.py</c>: log P, the loss and the gradient of every input and parameter.
/// </summary>
public sealed class PointerGeneratorParityTests
{
    private static readonly Fixture Copies = Fixture.Load("copy");

    public static TheoryData<string> Cases => Fixture.CaseNames("copy");

    [Theory]
    [MemberData(nameof(Cases))]
    public void PointerGenerator_MatchesTorch(string name)
    {
        var c = Copies.Config(name);
        int batch = c.GetProperty("batch").GetInt32(), steps = c.GetProperty("steps").GetInt32(), source = c.GetProperty("source").GetInt32();
        int d = c.GetProperty("width").GetInt32(), e = c.GetProperty("inputWidth").GetInt32(), v = c.GetProperty("vocab").GetInt32();
        int rows = batch * steps;
        float[] h = Copies.Floats(name, "h"), x = Copies.Floats(name, "x"), memory = Copies.Floats(name, "memory");
        float[] weight = Copies.Floats(name, "weight"), bias = Copies.Floats(name, "bias"), query = Copies.Floats(name, "copy_query");
        float[] gateWeight = Copies.Floats(name, "gate_weight"), gateBias = Copies.Floats(name, "gate_bias");
        int[] ids = Copies.Ints(name, "ids"), lengths = Copies.Ints(name, "lengths"), labels = Copies.Ints(name, "labels");
        var shape = new PointerGeneratorShape(rows, steps, source, d, e, v);
        var scratch = new float[PointerGenerator.ScratchLength(v, source)];

        var logits = new float[rows * v];
        var q = new float[rows * d];
        Linear.Forward(logits, h, weight, bias, rows, d, v);
        Linear.Forward(q, h, query, default, rows, d, d);
        var logP = new float[rows * v];
        var weights = new float[rows * source];
        var context = new float[rows * d];
        var gate = new float[rows];
        PointerGenerator.Forward(logP, weights, context, gate, logits, q, h, x, memory, ids, lengths, gateWeight, gateBias, shape, scratch);
        Tolerance.Close(Copies.Floats(name, "log_p"), logP, "log_p");

        // Cross-entropy of log P: its log-softmax is log P itself (a normalized distribution), so this is −log P(label).
        var saved = new float[rows * v];
        float loss = CrossEntropy.Forward(saved, logP, labels, rows, v);
        Tolerance.Close(Copies.Floats(name, "loss"), [loss], "loss");

        var dLogP = new float[rows * v];
        CrossEntropy.Backward(dLogP, 1f, saved, labels, rows, v);
        float[] dLogits = new float[rows * v], dQ = new float[rows * d], dH = new float[h.Length], dX = new float[x.Length], dMemory = new float[memory.Length];
        float[] dGateWeight = new float[gateWeight.Length], dGateBias = new float[1], dWeight = new float[weight.Length], dBias = new float[v], dQuery = new float[query.Length];
        PointerGenerator.Backward(dLogits, dQ, dH, dX, dMemory, dGateWeight, dGateBias, dLogP, logP, weights, context, gate, logits, q, h, x, memory, ids, lengths, gateWeight, shape, scratch);
        Linear.Backward(dH, dQuery, default, dQ, h, query, rows, d, d);
        Linear.Backward(dH, dWeight, dBias, dLogits, h, weight, rows, d, v);
        Tolerance.Close(Copies.Floats(name, "grad.h"), dH, "grad.h");
        Tolerance.Close(Copies.Floats(name, "grad.x"), dX, "grad.x");
        Tolerance.Close(Copies.Floats(name, "grad.memory"), dMemory, "grad.memory");
        Tolerance.Close(Copies.Floats(name, "grad.weight"), dWeight, "grad.weight");
        Tolerance.Close(Copies.Floats(name, "grad.bias"), dBias, "grad.bias");
        Tolerance.Close(Copies.Floats(name, "grad.copy_query"), dQuery, "grad.copy_query");
        Tolerance.Close(Copies.Floats(name, "grad.gate_weight"), dGateWeight, "grad.gate_weight");
        Tolerance.Close(Copies.Floats(name, "grad.gate_bias"), dGateBias, "grad.gate_bias");
    }
}
