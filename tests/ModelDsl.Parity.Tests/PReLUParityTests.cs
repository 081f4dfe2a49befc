using ModelDsl.Kernels;

namespace ModelDsl.Parity;

/// <summary>
/// PReLU against PyTorch's <c>nn.PReLU</c>: one shared slope and one per channel, at init 0.25 and with random slopes, on
/// <c>[B, C]</c> and on sequences (PyTorch's <c>[B, C, T]</c>, stored transposed as ModelDsl's channels-last <c>[B·T, C]</c>).
/// </summary>
public sealed class PReLUParityTests
{
    private static readonly Fixture PReLUs = Fixture.Load("prelu");

    public static TheoryData<string> Cases => Fixture.CaseNames("prelu");

    [Theory]
    [MemberData(nameof(Cases))]
    public void PReLU_MatchesTorch(string name)
    {
        var c = PReLUs.Config(name);
        int rows = c.GetProperty("rows").GetInt32(), channels = c.GetProperty("channels").GetInt32();
        float[] x = PReLUs.Floats(name, "x"), weight = PReLUs.Floats(name, "weight");
        Assert.Equal(c.GetProperty("perChannel").GetBoolean() ? channels : 1, weight.Length);
        if (!c.GetProperty("randomSlopes").GetBoolean())
        {
            Assert.All(weight, a => Assert.Equal(PReLU.DefaultSlope, a)); // nn.PReLU's init
        }

        var output = new float[x.Length];
        PReLU.Forward(output, x, weight, rows, channels);
        Tolerance.Close(PReLUs.Floats(name, "out"), output, "out");

        var dx = new float[x.Length];
        var dw = new float[weight.Length];
        PReLU.Backward(dx, dw, PReLUs.Floats(name, "dout"), x, weight, rows, channels);
        Tolerance.Close(PReLUs.Floats(name, "grad.x"), dx, "grad.x");
        // PyTorch sums the slope gradient over up to 165 entries in its own order.
        Tolerance.Close(PReLUs.Floats(name, "grad.weight"), dw, "grad.weight", rtol: 1e-5, atol: 1e-5);
    }
}
