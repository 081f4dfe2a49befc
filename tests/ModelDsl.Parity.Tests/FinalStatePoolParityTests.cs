using ModelDsl.Kernels;

namespace ModelDsl.Parity;

/// <summary>
/// [FinalStatePool] against PyTorch: bidirectional and unidirectional <c>nn.GRU</c>/<c>nn.LSTM</c> (1 and 2 layers) over
/// <c>pack_padded_sequence(enforce_sorted=False)</c> with unsorted lengths. Read from the padded encoder output, the kernel
/// gives <c>torch.cat([h_n[-2], h_n[-1]], -1)</c> (or <c>h_n[-1]</c>), and its backward the gradient w.r.t. that output.
/// </summary>
public sealed class FinalStatePoolParityTests
{
    private static readonly Fixture FinalStates = Fixture.Load("final_state");

    public static TheoryData<string> Cases => Fixture.CaseNames("final_state");

    [Theory]
    [MemberData(nameof(Cases))]
    public void FinalStatePool_MatchesTorch_h_n(string name)
    {
        var c = FinalStates.Config(name);
        int batch = c.GetProperty("batch").GetInt32(), length = c.GetProperty("length").GetInt32();
        int hidden = c.GetProperty("hiddenSize").GetInt32(), directions = c.GetProperty("bidirectional").GetBoolean() ? 2 : 1;
        float[] y = FinalStates.Floats(name, "y");
        int[] lengths = FinalStates.Ints(name, "lengths");
        Assert.Contains(1, lengths);

        var output = new float[batch * hidden * directions];
        FinalStatePooling.Forward(output, y, lengths, batch, length, hidden, directions);
        Tolerance.Close(FinalStates.Floats(name, "out"), output, "out"); // h_n, computed by the packed RNN itself

        var dy = new float[y.Length];
        FinalStatePooling.Backward(dy, FinalStates.Floats(name, "dout"), lengths, batch, length, hidden, directions);
        Tolerance.Close(FinalStates.Floats(name, "grad.y"), dy, "grad.y");
    }
}
