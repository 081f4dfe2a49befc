using System;
using ModelDsl.Kernels;

namespace ModelDsl.Parity;

/// <summary>Linear (every activation), element-wise activations, softmax, embedding and losses against PyTorch.</summary>
public sealed class LayerParityTests
{
    private static readonly Fixture Linears = Fixture.Load("linear");
    private static readonly Fixture Activations_ = Fixture.Load("activations");
    private static readonly Fixture EmbeddingLosses = Fixture.Load("embedding_losses");

    public static TheoryData<string> LinearCases => Fixture.CaseNames("linear");

    public static TheoryData<string> ActivationCases => Fixture.CaseNames("activations", c => c.TryGetProperty("activation", out _));

    public static TheoryData<string> SoftmaxCases => Fixture.CaseNames("activations", c => c.TryGetProperty("op", out _));

    public static TheoryData<string> EmbeddingCases => Fixture.CaseNames("embedding_losses", c => c.GetProperty("op").GetString() == "embedding");

    public static TheoryData<string> CrossEntropyCases => Fixture.CaseNames("embedding_losses", c => c.GetProperty("op").GetString() == "cross_entropy");

    private static ActivationKind Kind(string name) => Enum.Parse<ActivationKind>(name);

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void Linear_MatchesTorch(string name)
    {
        var c = Linears.Config(name);
        int rows = c.GetProperty("rows").GetInt32(), fin = c.GetProperty("inFeatures").GetInt32(), fout = c.GetProperty("outFeatures").GetInt32();
        var activation = Kind(c.GetProperty("activation").GetString()!);
        float[] x = Linears.Floats(name, "x"), w = Linears.Floats(name, "weight"), b = Linears.Floats(name, "bias");
        var output = new float[rows * fout];
        var pre = new float[Linear.ScratchLength(rows, fout, activation)];
        Linear.Forward(output, x, w, b, rows, fin, fout, activation, pre);
        // PyTorch's addmm (OpenBLAS) sums the k products in a different order than our blocked kernel;
        // for k ≤ 33 the difference stays within assert_close's float32 defaults.
        Tolerance.Close(Linears.Floats(name, "out"), output, "out");

        var dx = new float[x.Length];
        var dw = new float[w.Length];
        var db = new float[b.Length];
        Linear.Backward(dx, dw, db, Linears.Floats(name, "dout"), x, w, rows, fin, fout, activation, pre, new float[Linear.ScratchLength(rows, fout, activation)]);
        Tolerance.Close(Linears.Floats(name, "grad.x"), dx, "grad.x");
        Tolerance.Close(Linears.Floats(name, "grad.weight"), dw, "grad.weight");
        Tolerance.Close(Linears.Floats(name, "grad.bias"), db, "grad.bias");
    }

    [Theory]
    [MemberData(nameof(ActivationCases))]
    public void Activation_MatchesTorch(string name)
    {
        var kind = Kind(Activations_.Config(name).GetProperty("activation").GetString()!);
        var x = Activations_.Floats(name, "x");
        var output = new float[x.Length];
        ModelDsl.Kernels.Activations.Forward(output, x, kind);
        Tolerance.Close(Activations_.Floats(name, "out"), output, "out");
        var dx = new float[x.Length];
        ModelDsl.Kernels.Activations.Backward(dx, Activations_.Floats(name, "dout"), x, kind);
        Tolerance.Close(Activations_.Floats(name, "grad.x"), dx, "grad.x");
    }

    [Theory]
    [MemberData(nameof(SoftmaxCases))]
    public void Softmax_MatchesTorch(string name)
    {
        var c = Activations_.Config(name);
        int rows = c.GetProperty("rows").GetInt32(), width = c.GetProperty("width").GetInt32();
        bool log = c.GetProperty("op").GetString() == "log_softmax";
        var x = Activations_.Floats(name, "x");
        var output = new float[x.Length];
        var dx = new float[x.Length];
        if (log)
        {
            Softmax.LogForward(output, x, rows, width);
            Softmax.LogBackward(dx, Activations_.Floats(name, "dout"), output, rows, width);
        }
        else
        {
            Softmax.Forward(output, x, rows, width);
            Softmax.Backward(dx, Activations_.Floats(name, "dout"), output, rows, width);
        }

        Tolerance.Close(Activations_.Floats(name, "out"), output, "out");
        Tolerance.Close(Activations_.Floats(name, "grad.x"), dx, "grad.x");
    }

    [Theory]
    [MemberData(nameof(EmbeddingCases))]
    public void Embedding_MatchesTorch(string name)
    {
        var c = EmbeddingLosses.Config(name);
        int vocab = c.GetProperty("vocab").GetInt32(), width = c.GetProperty("width").GetInt32(), pad = c.GetProperty("paddingIndex").GetInt32();
        var ids = EmbeddingLosses.Ints(name, "ids");
        var table = EmbeddingLosses.Floats(name, "weight");
        var output = new float[ids.Length * width];
        Embedding.Forward(output, table, ids, vocab, width, pad);
        Tolerance.Close(EmbeddingLosses.Floats(name, "out"), output, "out");
        var dTable = new float[table.Length];
        Embedding.Backward(dTable, EmbeddingLosses.Floats(name, "dout"), ids, vocab, width, pad);
        Tolerance.Close(EmbeddingLosses.Floats(name, "grad.weight"), dTable, "grad.weight");
    }

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    public void CrossEntropy_MatchesTorch(string name)
    {
        var c = EmbeddingLosses.Config(name);
        int rows = c.GetProperty("rows").GetInt32(), classes = c.GetProperty("classes").GetInt32();
        float smoothing = c.GetProperty("labelSmoothing").GetSingle();
        int ignore = c.GetProperty("ignoreIndex").GetInt32();
        var logits = EmbeddingLosses.Floats(name, "logits");
        var targets = EmbeddingLosses.Ints(name, "targets");
        var logProbs = new float[logits.Length];
        float loss = CrossEntropy.Forward(logProbs, logits, targets, rows, classes, smoothing, ignore);
        Tolerance.Close(EmbeddingLosses.Floats(name, "loss"), [loss], "loss");
        var dLogits = new float[logits.Length];
        CrossEntropy.Backward(dLogits, 1f, logProbs, targets, rows, classes, smoothing, ignore);
        Tolerance.Close(EmbeddingLosses.Floats(name, "grad.logits"), dLogits, "grad.logits");
    }

    [Fact]
    public void MeanSquaredError_MatchesTorch()
    {
        var pred = EmbeddingLosses.Floats("mse", "pred");
        var target = EmbeddingLosses.Floats("mse", "target");
        float loss = MeanSquaredError.Forward(pred, target, pred.Length);
        Tolerance.Close(EmbeddingLosses.Floats("mse", "loss"), [loss], "loss");
        var dPred = new float[pred.Length];
        MeanSquaredError.Backward(dPred, 1f, pred, target, pred.Length);
        Tolerance.Close(EmbeddingLosses.Floats("mse", "grad.pred"), dPred, "grad.pred");
    }
}
