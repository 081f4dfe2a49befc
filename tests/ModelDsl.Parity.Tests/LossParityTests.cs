using ModelDsl.Kernels;

namespace ModelDsl.Parity;

/// <summary>The loss kernels of issue 19 against PyTorch (fixtures/losses.safetensors, tests/parity/losses.py), at assert_close defaults.</summary>
public sealed class LossParityTests
{
    private static readonly Fixture Losses = Fixture.Load("losses");

    public static TheoryData<string> Cases => Fixture.CaseNames("losses");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_MatchesTorch(string name)
    {
        var c = Losses.Config(name);
        string op = c.GetProperty("op").GetString()!;
        int rows = c.GetProperty("rows").GetInt32(), width = c.GetProperty("width").GetInt32(), n = rows * width;
        float[] logits = Losses.Floats(name, "logits"), target = op == "weighted_ce" ? [] : Losses.Floats(name, "target");
        float[] a = new float[n], b = new float[n], d = new float[n];
        float loss;
        switch (op)
        {
            case "l1":
                loss = MeanAbsoluteError.Forward(logits, target, n);
                MeanAbsoluteError.Backward(d, 1f, logits, target, n);
                break;
            case "bce":
                loss = BinaryCrossEntropyWithLogits.Forward(logits, target, n);
                BinaryCrossEntropyWithLogits.Backward(d, 1f, logits, target, n);
                break;
            case "soft_ce":
                loss = SoftCrossEntropy.Forward(a, logits, target, rows, width);
                SoftCrossEntropy.Backward(d, 1f, a, target, rows, width);
                break;
            case "weighted_ce":
                int[] labels = Losses.Ints(name, "labels");
                float[] weights = Losses.Floats(name, "weights");
                float smoothing = c.GetProperty("labelSmoothing").GetSingle();
                int ignore = c.GetProperty("ignoreIndex").GetInt32();
                loss = CrossEntropy.WeightedForward(a, logits, labels, weights, rows, width, smoothing, ignore);
                CrossEntropy.WeightedBackward(d, 1f, a, labels, weights, rows, width, smoothing, ignore);
                break;
            default:
                Assert.Equal("kl", op);
                float temperature = c.GetProperty("temperature").GetSingle();
                loss = KLDivergence.Forward(a, b, logits, target, rows, width, temperature);
                KLDivergence.Backward(d, 1f, a, b, rows, width, temperature);
                break;
        }

        Tolerance.Close(Losses.Floats(name, "loss"), [loss], "loss");
        Tolerance.Close(Losses.Floats(name, "grad.logits"), d, "grad.logits");
    }
}
