using System;
using ModelDsl.Kernels;

namespace ModelDsl.Parity;

/// <summary>
/// nn.RNN / nn.GRU / nn.LSTM (batch_first, stacked, bidirectional, packed variable lengths) against the
/// recurrent kernels assembled the way a generated model assembles them: one kernel call per layer and
/// direction, directions concatenated along the feature axis, h_n ordered [layer·dirs + dir].
/// </summary>
public sealed class RecurrentParityTests
{
    private static readonly Fixture Cases = Fixture.Load("recurrent");

    public static TheoryData<string> All => Fixture.CaseNames("recurrent");

    private static int SavedLength(string cell, int b, int t, int h) => cell switch
    {
        "GRU" => Gru.SavedLength(b, t, h),
        "LSTM" => Lstm.SavedLength(b, t, h),
        _ => Rnn.SavedLength(b, t, h),
    };

    private static int ScratchLength(string cell, int b, int t, int h) => cell switch
    {
        "GRU" => Gru.ScratchLength(b, t, h),
        "LSTM" => Lstm.ScratchLength(b, t, h),
        _ => Rnn.ScratchLength(b, t, h),
    };

    [Theory]
    [MemberData(nameof(All))]
    public void StackedBidirectional_MatchesTorch(string name)
    {
        var c = Cases.Config(name);
        string cell = c.GetProperty("cell").GetString()!;
        int layers = c.GetProperty("layers").GetInt32(), dirs = c.GetProperty("bidirectional").GetBoolean() ? 2 : 1;
        int batch = c.GetProperty("batch").GetInt32(), steps = c.GetProperty("length").GetInt32();
        int inputSize = c.GetProperty("inputSize").GetInt32(), hidden = c.GetProperty("hiddenSize").GetInt32();
        bool lstm = cell == "LSTM";
        int[] lengths = Cases.Ints(name, "lengths");
        float[] h0 = Cases.Floats(name, "h0"), c0 = lstm ? Cases.Floats(name, "c0") : [];
        int state = batch * hidden, outWidth = dirs * hidden;

        // Forward, layer by layer; keep every layer's input and each direction's saved tensors for backward.
        var inputs = new float[layers + 1][];
        inputs[0] = Cases.Floats(name, "x");
        var saved = new float[layers * dirs][];
        var hN = new float[layers * dirs * state];
        var cN = new float[lstm ? layers * dirs * state : 0];
        var scratch = new float[ScratchLength(cell, batch, steps, hidden)];
        var direction = new float[batch * steps * hidden];
        for (int l = 0; l < layers; l++)
        {
            int width = l == 0 ? inputSize : outWidth;
            inputs[l + 1] = new float[batch * steps * outWidth];
            for (int dir = 0; dir < dirs; dir++)
            {
                int k = l * dirs + dir;
                string suffix = $"l{l}" + (dir == 1 ? "_reverse" : "");
                saved[k] = new float[SavedLength(cell, batch, steps, hidden)];
                var stateSlice = hN.AsSpan(k * state, state);
                float[] wih = Cases.Floats(name, "weight_ih_" + suffix), whh = Cases.Floats(name, "weight_hh_" + suffix);
                float[] bih = Cases.Floats(name, "bias_ih_" + suffix), bhh = Cases.Floats(name, "bias_hh_" + suffix);
                var x = inputs[l];
                switch (cell)
                {
                    case "GRU":
                        Gru.Forward(direction, stateSlice, saved[k], scratch, x, h0.AsSpan(k * state, state), wih, whh, bih, bhh,
                            lengths, batch, steps, width, hidden, reverse: dir == 1);
                        break;
                    case "LSTM":
                        Lstm.Forward(direction, stateSlice, cN.AsSpan(k * state, state), saved[k], scratch, x, h0.AsSpan(k * state, state),
                            c0.AsSpan(k * state, state), wih, whh, bih, bhh, lengths, batch, steps, width, hidden, reverse: dir == 1);
                        break;
                    default:
                        Rnn.Forward(direction, stateSlice, saved[k], scratch, x, h0.AsSpan(k * state, state), wih, whh, bih, bhh,
                            lengths, batch, steps, width, hidden, reverse: dir == 1);
                        break;
                }

                for (int row = 0; row < batch * steps; row++)
                {
                    direction.AsSpan(row * hidden, hidden).CopyTo(inputs[l + 1].AsSpan(row * outWidth + dir * hidden, hidden));
                }
            }
        }

        Tolerance.Close(Cases.Floats(name, "out"), inputs[layers], "out");
        Tolerance.Close(Cases.Floats(name, "h_n"), hN, "h_n");
        if (lstm)
        {
            Tolerance.Close(Cases.Floats(name, "c_n"), cN, "c_n");
        }

        // Backward, top layer first; both directions accumulate into the same input gradient.
        float[] dhN = Cases.Floats(name, "dh_n"), dcN = lstm ? Cases.Floats(name, "dc_n") : [];
        var dh0 = new float[h0.Length];
        var dc0 = new float[c0.Length];
        var dY = Cases.Floats(name, "dout");
        var dDirection = new float[batch * steps * hidden];
        for (int l = layers - 1; l >= 0; l--)
        {
            int width = l == 0 ? inputSize : outWidth;
            var dX = new float[batch * steps * width];
            for (int dir = 0; dir < dirs; dir++)
            {
                int k = l * dirs + dir;
                string suffix = $"l{l}" + (dir == 1 ? "_reverse" : "");
                for (int row = 0; row < batch * steps; row++)
                {
                    dY.AsSpan(row * outWidth + dir * hidden, hidden).CopyTo(dDirection.AsSpan(row * hidden, hidden));
                }

                float[] wih = Cases.Floats(name, "weight_ih_" + suffix), whh = Cases.Floats(name, "weight_hh_" + suffix);
                float[] dWih = new float[wih.Length], dWhh = new float[whh.Length], dBih = new float[Cases.Floats(name, "bias_ih_" + suffix).Length];
                var dBhh = new float[dBih.Length];
                switch (cell)
                {
                    case "GRU":
                        Gru.Backward(dX, dWih, dWhh, dBih, dBhh, dh0.AsSpan(k * state, state), scratch, dDirection, dhN.AsSpan(k * state, state),
                            inputs[l], wih, whh, saved[k], lengths, batch, steps, width, hidden, reverse: dir == 1);
                        break;
                    case "LSTM":
                        Lstm.Backward(dX, dWih, dWhh, dBih, dBhh, dh0.AsSpan(k * state, state), dc0.AsSpan(k * state, state), scratch, dDirection,
                            dhN.AsSpan(k * state, state), dcN.AsSpan(k * state, state), inputs[l], wih, whh, saved[k], lengths, batch, steps, width, hidden,
                            reverse: dir == 1);
                        break;
                    default:
                        Rnn.Backward(dX, dWih, dWhh, dBih, dBhh, dh0.AsSpan(k * state, state), scratch, dDirection, dhN.AsSpan(k * state, state),
                            inputs[l], wih, whh, saved[k], lengths, batch, steps, width, hidden, reverse: dir == 1);
                        break;
                }

                Tolerance.Close(Cases.Floats(name, "grad.weight_ih_" + suffix), dWih, "grad.weight_ih_" + suffix);
                Tolerance.Close(Cases.Floats(name, "grad.weight_hh_" + suffix), dWhh, "grad.weight_hh_" + suffix);
                Tolerance.Close(Cases.Floats(name, "grad.bias_ih_" + suffix), dBih, "grad.bias_ih_" + suffix);
                Tolerance.Close(Cases.Floats(name, "grad.bias_hh_" + suffix), dBhh, "grad.bias_hh_" + suffix);
            }

            dY = dX;
        }

        Tolerance.Close(Cases.Floats(name, "grad.x"), dY, "grad.x");
        Tolerance.Close(Cases.Floats(name, "grad.h0"), dh0, "grad.h0");
        if (lstm)
        {
            Tolerance.Close(Cases.Floats(name, "grad.c0"), dc0, "grad.c0");
        }
    }
}
