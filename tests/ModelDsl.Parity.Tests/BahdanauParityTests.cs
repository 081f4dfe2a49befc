using ModelDsl.Kernels;

namespace ModelDsl.Parity;

/// <summary>
/// Additive (Bahdanau) attention e[b,j] = v·tanh(W s[b] + U h[b,j]) written out in PyTorch, against
/// <see cref="AdditiveAttention"/> with the W and U projections done by <see cref="Gemm"/>.
/// </summary>
public sealed class BahdanauParityTests
{
    private static readonly Fixture Bahdanau = Fixture.Load("bahdanau");

    public static TheoryData<string> Cases => Fixture.CaseNames("bahdanau");

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackward_MatchTorch(string name)
    {
        var c = Bahdanau.Config(name);
        int batch = c.GetProperty("batch").GetInt32(), keys = c.GetProperty("keyLength").GetInt32();
        int ds = c.GetProperty("stateWidth").GetInt32(), dh = c.GetProperty("valueWidth").GetInt32(), a = c.GetProperty("attentionWidth").GetInt32();
        float[] s = Bahdanau.Floats(name, "s"), h = Bahdanau.Floats(name, "h"), w = Bahdanau.Floats(name, "W"),
            u = Bahdanau.Floats(name, "U"), v = Bahdanau.Floats(name, "v");
        int[] lengths = Bahdanau.Ints(name, "lengths");

        var ws = new float[batch * a];
        var uh = new float[batch * keys * a];
        Gemm.Multiply(ws, s, false, w, true, batch, a, ds);
        Gemm.Multiply(uh, h, false, u, true, batch * keys, a, dh);
        var context = new float[batch * dh];
        var tanh = new float[batch * keys * a];
        var weights = new float[batch * keys];
        AdditiveAttention.Forward(context, tanh, weights, ws, uh, v, h, batch, keys, a, dh, lengths);
        Tolerance.Close(Bahdanau.Floats(name, "weights"), weights, "weights");
        Tolerance.Close(Bahdanau.Floats(name, "out"), context, "context");

        var dWs = new float[ws.Length];
        var dUh = new float[uh.Length];
        var dv = new float[a];
        var dH = new float[h.Length];
        AdditiveAttention.Backward(dWs, dUh, dv, dH, Bahdanau.Floats(name, "dout"), v, h, tanh, weights,
            batch, keys, a, dh, lengths, new float[AdditiveAttention.ScratchLength(batch, keys)]);
        var dS = new float[s.Length];
        var dW = new float[w.Length];
        var dU = new float[u.Length];
        Gemm.Multiply(dW, dWs, true, s, false, a, ds, batch);               // dW = dWsᵀ·s
        Gemm.Multiply(dS, dWs, false, w, false, batch, ds, a);              // ds = dWs·W
        Gemm.Multiply(dU, dUh, true, h, false, a, dh, batch * keys);        // dU = dUhᵀ·h
        Gemm.Multiply(dH, dUh, false, u, false, batch * keys, dh, a, beta: 1f); // dh += dUh·U
        Tolerance.Close(Bahdanau.Floats(name, "grad.v"), dv, "grad.v");
        Tolerance.Close(Bahdanau.Floats(name, "grad.s"), dS, "grad.s");
        Tolerance.Close(Bahdanau.Floats(name, "grad.h"), dH, "grad.h");
        Tolerance.Close(Bahdanau.Floats(name, "grad.W"), dW, "grad.W");
        Tolerance.Close(Bahdanau.Floats(name, "grad.U"), dU, "grad.U");
    }
}
